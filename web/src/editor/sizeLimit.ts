import { EditorState, type Extension, type Text } from "@codemirror/state";
import { ySyncAnnotation } from "y-codemirror.next";

/** The UTF-8 size of `text`, the way the server measures the code against its limit. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 for each half.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}

function docBytes(doc: Text): number {
  let bytes = 0;
  for (const chunk of doc.iter()) bytes += utf8Length(chunk);
  return bytes;
}

/**
 * Refuses local edits that would make the code larger than `maxBytes` (the server's
 * limit, which would refuse them and keep refusing this browser until they were undone),
 * and tells `onRefused` how large the code would have been. Edits that shrink the code
 * always pass, and so do others' edits arriving through Yjs.
 */
export function codeSizeLimit(maxBytes: number, onRefused: (bytes: number) => void): Extension {
  return EditorState.transactionFilter.of((tr) => {
    if (!tr.docChanged || tr.annotation(ySyncAnnotation) !== undefined) return tr;
    // UTF-8 takes at least one byte per UTF-16 unit and at most three.
    if (tr.newDoc.length * 3 <= maxBytes) return tr;
    const after = tr.newDoc.length > maxBytes ? Number.POSITIVE_INFINITY : docBytes(tr.newDoc);
    if (after <= maxBytes) return tr;
    const bytes = Number.isFinite(after) ? after : docBytes(tr.newDoc);
    if (bytes <= docBytes(tr.startState.doc)) return tr;
    queueMicrotask(() => onRefused(bytes));
    return [];
  });
}
