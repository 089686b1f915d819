import { describe, expect, it } from "vitest";
import { changedRange } from "./changes";

/** Applies what `changedRange` found to `before`, the way the replay's view does. */
function apply(before: string, after: string): string {
  const range = changedRange(before, after);
  if (range === null) return before;
  const removedTo = before.length - (after.length - range.to);
  return before.slice(0, range.from) + after.slice(range.from, range.to) + before.slice(removedTo);
}

describe("changedRange", () => {
  it("finds an insertion, a deletion and a replacement", () => {
    expect(changedRange("print(1)", "print(12)")).toEqual({ from: 7, to: 8 });
    expect(changedRange("print(12)", "print(1)")).toEqual({ from: 7, to: 7 });
    expect(changedRange("a = 1\nb = 2", "a = 1\nc = 3")).toEqual({ from: 6, to: 11 });
    expect(changedRange("same", "same")).toBeNull();
  });

  it("never counts a character twice in a repeated run", () => {
    // "aaa" → "aaaa": the prefix takes all three, so the suffix must not reuse them.
    expect(changedRange("aaa", "aaaa")).toEqual({ from: 3, to: 4 });
    expect(changedRange("aaaa", "aa")).toEqual({ from: 2, to: 2 });
  });

  it("describes a change that turns one text into the other", () => {
    const texts = ["", "x", "def f():\n    pass\n", "def g():\n    return 1\n", "🙂 ok", "ok", ""];
    for (const before of texts) for (const after of texts) expect(apply(before, after)).toBe(after);
  });
});
