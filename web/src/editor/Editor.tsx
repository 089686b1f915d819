import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  foldGutter,
  foldKeymap,
  indentOnInput,
  indentUnit,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import {
  Compartment,
  EditorState,
  type Extension,
  Prec,
  StateEffect,
  StateField,
} from "@codemirror/state";
import {
  crosshairCursor,
  Decoration,
  type DecorationSet,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
  WidgetType,
} from "@codemirror/view";
import { useEffect, useRef } from "react";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { textOn } from "../components/contrast";
import { caretLabels } from "./caretLabels";
import { changedRange } from "./changes";
import { loadLanguage } from "./languages";
import { codeSizeLimit } from "./sizeLimit";
import { editorTheme, highlight } from "./theme";

/** Editing basics shared by the live editor and the read-only replay view. */
export function baseExtensions(): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    foldGutter(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentOnInput(),
    indentUnit.of("    "),
    bracketMatching(),
    closeBrackets(),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: false }),
    editorTheme,
    highlight,
    keymap.of([
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...foldKeymap,
      indentWithTab,
    ]),
  ];
}

interface EditorProps {
  code: Y.Text;
  awareness: Awareness;
  language: string;
  onRun: () => void;
  /** View-only: the text cannot be changed here (others' edits still arrive). */
  readOnly?: boolean;
  /** The server's limit on the code's size (UTF-8 bytes): larger edits are refused here. */
  maxBytes?: number | null;
  /** Told when an edit was refused for making the code `bytes` long. */
  onTooLarge?: (bytes: number) => void;
  /** Given the editor's view once it exists (null when it goes), to act on it. */
  onView?: (view: EditorView | null) => void;
}

/** Not editable, but still focusable: a viewer can select and copy with the keyboard. */
const readOnlyExtensions = (readOnly: boolean): Extension =>
  readOnly
    ? [
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        EditorView.contentAttributes.of({ tabindex: "0", "aria-readonly": "true" }),
      ]
    : [];

const sizeExtension = (
  maxBytes: number | null,
  onTooLarge: { current: ((bytes: number) => void) | undefined },
): Extension =>
  maxBytes === null ? [] : codeSizeLimit(maxBytes, (bytes) => onTooLarge.current?.(bytes));

/**
 * The collaborative editor. Undo and redo go through a Y.UndoManager scoped to this
 * client's own edits, so nobody undoes someone else's typing.
 */
export function Editor({
  code,
  awareness,
  language,
  onRun,
  readOnly = false,
  maxBytes = null,
  onTooLarge,
  onView,
}: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const readOnlySlot = useRef(new Compartment());
  const sizeSlot = useRef(new Compartment());
  const maxBytesRef = useRef(maxBytes);
  maxBytesRef.current = maxBytes;
  const onTooLargeRef = useRef(onTooLarge);
  onTooLargeRef.current = onTooLarge;
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  const onRunRef = useRef(onRun);
  onRunRef.current = onRun;
  const onViewRef = useRef(onView);
  onViewRef.current = onView;

  useEffect(() => {
    if (!host.current) return;
    const undoManager = new Y.UndoManager(code);
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: code.toString(),
        extensions: [
          Prec.highest(
            keymap.of([
              {
                key: "Mod-Enter",
                run: () => {
                  onRunRef.current();
                  return true;
                },
              },
            ]),
          ),
          keymap.of(yUndoManagerKeymap),
          baseExtensions(),
          languageSlot.current.of([]),
          readOnlySlot.current.of(readOnlyExtensions(readOnlyRef.current)),
          sizeSlot.current.of(sizeExtension(maxBytesRef.current, onTooLargeRef)),
          yCollab(code, awareness, { undoManager }),
          caretLabels(awareness),
          EditorView.editorAttributes.of({ "data-testid": "editor" }),
          EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
        ],
      }),
    });
    view.current = v;
    onViewRef.current?.(v);
    return () => {
      onViewRef.current?.(null);
      v.destroy();
      undoManager.destroy();
      view.current = null;
    };
  }, [code, awareness]);

  // A new view (code or awareness changed) is built with the current value.
  useEffect(() => {
    view.current?.dispatch({
      effects: readOnlySlot.current.reconfigure(readOnlyExtensions(readOnly)),
    });
  }, [readOnly]);

  useEffect(() => {
    view.current?.dispatch({
      effects: sizeSlot.current.reconfigure(sizeExtension(maxBytes, onTooLargeRef)),
    });
  }, [maxBytes]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new view (code or awareness changed) needs its language too.
  useEffect(() => {
    let live = true;
    void loadLanguage(language).then((support) => {
      if (live) view.current?.dispatch({ effects: languageSlot.current.reconfigure(support) });
    });
    return () => {
      live = false;
    };
  }, [language, code, awareness]);

  return <div className="editor-host" ref={host} />;
}

/** Who made the change a `CodeView` marks; shown as a labelled caret where it ends. */
export interface ChangeAuthor {
  name: string;
  color: string;
}

const markChange = StateEffect.define<{ from: number; to: number; author: ChangeAuthor | null }>();
const clearChange = StateEffect.define<null>();

class AuthorCaret extends WidgetType {
  constructor(readonly author: ChangeAuthor | null) {
    super();
  }

  override eq(other: AuthorCaret): boolean {
    return other.author?.name === this.author?.name && other.author?.color === this.author?.color;
  }

  toDOM(): HTMLElement {
    const caret = document.createElement("span");
    caret.className = "cm-replay-caret";
    if (this.author) {
      caret.style.borderColor = this.author.color;
      const label = document.createElement("span");
      label.className = "cm-replay-author";
      label.style.background = this.author.color;
      label.style.color = textOn(this.author.color);
      label.textContent = this.author.name;
      caret.append(label);
    }
    return caret;
  }
}

/** The last change's highlight and caret, replaced by each `markChange`. */
const changeField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(clearChange)) next = Decoration.none;
      if (e.is(markChange)) {
        const { from, to, author } = e.value;
        const ranges = [Decoration.widget({ widget: new AuthorCaret(author), side: 1 }).range(to)];
        if (to > from) {
          // A light tint (every token on it keeps 4.5:1) and a line in the author's colour.
          const style = author
            ? `background-color: color-mix(in srgb, ${author.color} 12%, transparent); ` +
              `box-shadow: inset 0 -2px 0 ${author.color}`
            : "";
          ranges.unshift(
            Decoration.mark({
              class: "cm-replay-change",
              attributes: style ? { style } : {},
            }).range(from, to),
          );
        }
        next = Decoration.set(ranges);
      }
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * A read-only view of some code (the replay view). When `text` changes, the view changes
 * only what differs, keeps its scroll position, and marks the changed text with
 * `author`'s caret, scrolled into view.
 */
export function CodeView({
  text,
  language,
  author = null,
}: {
  text: string;
  language: string;
  author?: ChangeAuthor | null;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const hasText = useRef(false);

  useEffect(() => {
    if (!host.current) return;
    hasText.current = false;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        extensions: [
          baseExtensions(),
          languageSlot.current.of([]),
          changeField,
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
          EditorView.editorAttributes.of({ "data-testid": "replay-code" }),
          EditorView.contentAttributes.of({ "aria-label": "The code at this moment" }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    let live = true;
    void loadLanguage(language).then((support) => {
      if (live) view.current?.dispatch({ effects: languageSlot.current.reconfigure(support) });
    });
    return () => {
      live = false;
    };
  }, [language]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    // The first text a view shows is not a change anyone made.
    const first = !hasText.current;
    hasText.current = true;
    const before = v.state.doc.toString();
    const range = changedRange(before, text);
    if (range === null) return;
    const removedTo = before.length - (text.length - range.to);
    v.dispatch({
      changes: { from: range.from, to: removedTo, insert: text.slice(range.from, range.to) },
      effects: first
        ? clearChange.of(null)
        : [
            markChange.of({ ...range, author }),
            EditorView.scrollIntoView(range.to, { y: "nearest" }),
          ],
    });
  }, [text, author]);

  return <div className="editor-host" ref={host} />;
}
