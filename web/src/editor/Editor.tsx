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
import { Compartment, EditorState, type Extension, Prec } from "@codemirror/state";
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { useEffect, useRef } from "react";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { loadLanguage } from "./languages";
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

/**
 * The collaborative editor. Undo and redo go through a Y.UndoManager scoped to this
 * client's own edits, so nobody undoes someone else's typing.
 */
export function Editor({ code, awareness, language, onRun, readOnly = false }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const readOnlySlot = useRef(new Compartment());
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  const onRunRef = useRef(onRun);
  onRunRef.current = onRun;

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
          yCollab(code, awareness, { undoManager }),
          EditorView.editorAttributes.of({ "data-testid": "editor" }),
          EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
        ],
      }),
    });
    view.current = v;
    return () => {
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

/** A read-only view of some code (the replay view). */
export function CodeView({ text, language }: { text: string; language: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const slot = new Compartment();
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: text,
        extensions: [
          baseExtensions(),
          slot.of([]),
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
          EditorView.editorAttributes.of({ "data-testid": "replay-code" }),
        ],
      }),
    });
    let live = true;
    void loadLanguage(language).then((support) => {
      if (live) v.dispatch({ effects: slot.reconfigure(support) });
    });
    return () => {
      live = false;
      v.destroy();
    };
  }, [text, language]);
  return <div className="editor-host" ref={host} />;
}
