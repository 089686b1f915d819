import { describe, expect, it } from "vitest";
import { PresenceTracker } from "./presence";

const state = (name: string, color = "#ff0000") => ({ user: { name, color } });

describe("PresenceTracker", () => {
  it("lists people, local first, and announces joins and leaves", () => {
    const tracker = new PresenceTracker(1);
    const first = tracker.update(new Map([[1, state("me")]]), "all");
    expect(first.peers.map((p) => p.name)).toEqual(["me"]);
    const joined = tracker.update(
      new Map<number, unknown>([
        [1, state("me")],
        [2, state("bob")],
        [3, state("ann")],
      ]),
      "all",
    );
    expect(joined.peers.map((p) => p.name)).toEqual(["me", "ann", "bob"]);
    expect(joined.joined.map((p) => p.name).sort()).toEqual(["ann", "bob"]);
    const left = tracker.update(
      new Map<number, unknown>([
        [1, state("me")],
        [3, state("ann")],
      ]),
      "all",
    );
    expect(left.left.map((p) => p.name)).toEqual(["bob"]);
    expect(left.joined).toEqual([]);
  });

  it("stays silent offline but keeps the list current", () => {
    const tracker = new PresenceTracker(1);
    const change = tracker.update(new Map([[5, state("zoe")]]), "none");
    expect(change.joined).toEqual([]);
    expect(change.peers.map((p) => p.name)).toEqual(["zoe"]);
    expect(tracker.update(new Map(), "none").left).toEqual([]);
  });

  it("just after connecting announces leaves but not the people already there", () => {
    const tracker = new PresenceTracker(1);
    const arrived = tracker.update(new Map([[5, state("zoe")]]), "leaves");
    expect(arrived.joined).toEqual([]);
    expect(arrived.peers.map((p) => p.name)).toEqual(["zoe"]);
    expect(tracker.update(new Map(), "leaves").left.map((p) => p.name)).toEqual(["zoe"]);
  });

  it("skips states without a user (a client that has not announced itself)", () => {
    const tracker = new PresenceTracker(1);
    expect(tracker.update(new Map<number, unknown>([[2, { cursor: null }]]), "all").peers).toEqual(
      [],
    );
  });
});
