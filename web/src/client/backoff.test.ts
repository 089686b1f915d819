import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff";

describe("Backoff", () => {
  it("doubles its ceiling per failure up to the maximum", () => {
    const top = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("never waits less than half the ceiling", () => {
    const bottom = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5].map(() => bottom.next())).toEqual([50, 100, 200, 400, 500]);
  });

  it("spreads clients out: delays differ with the random source", () => {
    const delays = new Set(
      Array.from({ length: 20 }, () => new Backoff({ baseMs: 1000, maxMs: 8000 }).next()),
    );
    expect(delays.size).toBeGreaterThan(10);
  });

  it("starts over after reset", () => {
    const b = new Backoff({ baseMs: 100, random: () => 0.5 });
    b.next();
    b.next();
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(75);
  });
});
