import { EditorState } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { ySyncAnnotation } from "y-codemirror.next";
import { codeSizeLimit, utf8Length } from "./sizeLimit";

describe("utf8Length", () => {
  it("measures as UTF-8 does", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "ascii", "é", "€ 100", "🙂 emoji", "日本語", "mixed é€🙂 a"])
      expect(utf8Length(text)).toBe(encoder.encode(text).length);
  });
});

describe("codeSizeLimit", () => {
  function editor(doc: string, max: number) {
    const refused: number[] = [];
    const state = EditorState.create({
      doc,
      extensions: codeSizeLimit(max, (b) => refused.push(b)),
    });
    return { state, refused };
  }

  it("refuses an edit past the limit, and says how large the code would be", async () => {
    const { state, refused } = editor("12345", 10);
    const tr = state.update({ changes: { from: 5, insert: "678901" } });
    expect(tr.state.doc.toString()).toBe("12345");
    await Promise.resolve();
    expect(refused).toEqual([11]);
  });

  it("counts bytes, not characters", () => {
    const { state } = editor("", 9);
    // Four characters, ten bytes; three characters, nine.
    expect(state.update({ changes: { from: 0, insert: "日本語!" } }).state.doc.toString()).toBe("");
    expect(state.update({ changes: { from: 0, insert: "日本語" } }).state.doc.length).toBe(3);
  });

  it("lets through edits up to the limit, edits that shrink, and others' edits", () => {
    const { state } = editor("123456789", 10);
    expect(state.update({ changes: { from: 9, insert: "0" } }).state.doc.toString()).toBe(
      "1234567890",
    );
    // Already over (a limit lowered, or others' text): deleting is always allowed.
    const over = editor("123456789012", 10).state;
    expect(over.update({ changes: { from: 0, to: 1 } }).state.doc.toString()).toBe("23456789012");
    const remote = state.update({
      changes: { from: 9, insert: "remote text" },
      annotations: [ySyncAnnotation.of({} as never)],
    });
    expect(remote.state.doc.toString()).toBe("123456789remote text");
  });
});
