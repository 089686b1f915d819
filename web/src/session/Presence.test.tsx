import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Peer } from "../client/presence";
import { MAX_AVATARS, Presence } from "./Presence";

const peer = (i: number): Peer => ({
  clientId: i,
  name: `Person ${i}`,
  color: "#123456",
  isLocal: i === 0,
});

function avatarNames(): (string | null)[] {
  const list = screen.getByTestId("presence");
  return [...list.querySelectorAll(":scope > li.avatar")].map((e) => e.getAttribute("data-name"));
}

describe("Presence", () => {
  it("shows everyone while they fit", () => {
    render(<Presence peers={[0, 1, 2, 3, 4].map(peer)} />);
    expect(avatarNames()).toHaveLength(MAX_AVATARS);
    expect(screen.queryByTestId("presence-more")).toBeNull();
  });

  it("follows someone else with their avatar's button; yours has none", () => {
    const onFollow = vi.fn();
    render(<Presence peers={[0, 1].map(peer)} onFollow={onFollow} />);
    const [me, other] = screen.getByTestId("presence").querySelectorAll("li.avatar");
    expect(me?.querySelector("button")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "P1: show where Person 1 is" }));
    expect(other?.contains(screen.getByRole("button", { name: /Person 1/ }))).toBe(true);
    expect(onFollow).toHaveBeenCalledOnce();
    expect(onFollow.mock.calls[0]?.[0]).toMatchObject({ name: "Person 1" });
  });

  it("folds a crowd into +N, which lists everyone and closes on Escape", () => {
    render(<Presence peers={Array.from({ length: 12 }, (_, i) => peer(i))} />);
    expect(avatarNames()).toEqual(["Person 0", "Person 1", "Person 2", "Person 3"]);
    const more = screen.getByTestId("presence-more");
    expect(more.textContent).toBe("+8");
    fireEvent.click(more);
    const names = [...screen.getByTestId("presence-list").querySelectorAll("li")].map((e) =>
      e.getAttribute("data-name"),
    );
    expect(names).toHaveLength(12);
    expect(screen.getByTestId("presence-list").textContent).toContain("you");
    fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByTestId("presence-list")).toBeNull();
  });
});
