import { describe, expect, it } from "vitest";
import { activeLabels, LABEL_SHOWN_MS } from "./caretLabels";

function label(name: string): Element {
  const el = document.createElement("div");
  el.className = "cm-ySelectionInfo";
  el.textContent = name;
  return el;
}

describe("caret labels", () => {
  it("shows the names of people active lately, and says when to look again", () => {
    const [ada, bob, eve] = [label("Ada"), label("Bob"), label("Eve")];
    const lastActive = new Map([
      ["Ada", 10_000],
      ["Bob", 10_000 - LABEL_SHOWN_MS - 1],
    ]);
    const next = activeLabels([ada, bob, eve], lastActive, 10_500);
    expect([ada, bob, eve].map((e) => e.classList.contains("is-active"))).toEqual([
      true,
      false,
      false,
    ]);
    expect(next).toBe(LABEL_SHOWN_MS - 500);
    // Once Ada has been still long enough, her label goes too, and nothing is pending.
    expect(activeLabels([ada, bob, eve], lastActive, 10_000 + LABEL_SHOWN_MS)).toBeNull();
    expect(ada.classList.contains("is-active")).toBe(false);
  });
});
