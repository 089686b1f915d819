import { describe, expect, it } from "vitest";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { caretOf } from "./follow";

describe("caretOf", () => {
  it("finds someone's caret where their relative position now points", () => {
    const doc = new Y.Doc();
    const code = doc.getText("code");
    code.insert(0, "line one\nline two\n");
    const them = new Awareness(new Y.Doc());
    const awareness = new Awareness(doc);
    const head = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(code, 9));
    // Their state as it arrives over the wire.
    awareness.getStates().set(them.clientID, { cursor: { anchor: head, head } });
    expect(caretOf(awareness, code, them.clientID)).toBe(9);
    code.insert(0, "# header\n"); // the caret moves with the text it sits in
    expect(caretOf(awareness, code, them.clientID)).toBe(18);
  });

  it("is null for someone with no caret, an unknown client or a malformed position", () => {
    const doc = new Y.Doc();
    const code = doc.getText("code");
    const awareness = new Awareness(doc);
    awareness.getStates().set(7, { user: { name: "Eve" } });
    awareness.getStates().set(8, { cursor: { head: { nonsense: true } } });
    expect(caretOf(awareness, code, 7)).toBeNull();
    expect(caretOf(awareness, code, 8)).toBeNull();
    expect(caretOf(awareness, code, 99)).toBeNull();
  });
});
