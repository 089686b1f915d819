import { renderHook } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Peer } from "../client/presence";

// A connection that, like the real one, lists its own person while it is being made,
// before anyone can subscribe.
vi.mock("../client/docConnection", () => {
  class FakeConnection {
    readonly peers: Peer[];
    readonly state = "connecting";
    constructor(options: { user: { name: string; color: string } }) {
      this.peers = [
        { clientId: 1, name: options.user.name, color: options.user.color, isLocal: true },
      ];
    }
    on() {
      return () => {};
    }
    setUser() {}
    dispose() {}
    clearLocal() {
      return Promise.resolve();
    }
  }
  return { DocConnection: FakeConnection };
});

const { useDoc } = await import("./useDoc");

describe("useDoc", () => {
  it("lists the person alone in a session from the start", () => {
    const callbacks = { onJoin: () => {}, onLeave: () => {} };
    const { result } = renderHook(() =>
      useDoc("s1", null, { name: "Ada", color: "#e11d48" }, callbacks),
    );
    expect(result.current.peers.map((p) => p.name)).toEqual(["Ada"]);
  });
});
