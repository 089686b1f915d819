import { EditorView } from "@codemirror/view";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { showLabel } from "./caretLabels";

/** Where `clientId`'s caret is in `code` now, or null (no caret: they have not been in
 * the editor, or they left). */
export function caretOf(awareness: Awareness, code: Y.Text, clientId: number): number | null {
  const state = awareness.getStates().get(clientId) as
    | { cursor?: { head?: unknown } | null }
    | undefined;
  const head = state?.cursor?.head;
  if (head == null || code.doc === null) return null;
  try {
    const position = Y.createAbsolutePositionFromRelativePosition(
      Y.createRelativePositionFromJSON(head),
      code.doc,
    );
    return position !== null && position.type === code ? position.index : null;
  } catch {
    return null; // a malformed position from someone else's client
  }
}

/** Scrolls `view` to show `clientId`'s caret, without moving this person's own, and
 * shows the name over it (`name`). Returns whether there was a caret to show. */
export function revealCaret(
  view: EditorView,
  awareness: Awareness,
  code: Y.Text,
  clientId: number,
  name: string,
): boolean {
  const at = caretOf(awareness, code, clientId);
  if (at === null) return false;
  const pos = Math.min(at, view.state.doc.length);
  view.dispatch({
    effects: [EditorView.scrollIntoView(pos, { y: "center" }), showLabel.of(name)],
  });
  return true;
}
