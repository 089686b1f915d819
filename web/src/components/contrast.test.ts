import { describe, expect, it } from "vitest";
import { textOn } from "./contrast";

describe("textOn", () => {
  it("picks whichever of white and black reads on a person's colour", () => {
    expect(textOn("#1e3a8a")).toBe("#ffffff"); // navy
    expect(textOn("rgb(250, 204, 21)")).toBe("#111418"); // yellow
    expect(textOn("rgb(225, 29, 72)")).toBe("#ffffff"); // rose: 4.7:1 in white, 3.9 in black
    expect(textOn("not a colour")).toBe("#ffffff");
  });
});
