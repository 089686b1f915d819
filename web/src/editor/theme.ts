import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorView } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

/**
 * One editor theme for both colour schemes: every colour is a CSS variable, so switching
 * dark/light is a change of `data-theme` on <html> and needs no reconfiguration.
 */
export const editorTheme = EditorView.theme({
  "&": {
    height: "100%",
    fontSize: "14px",
    backgroundColor: "var(--editor-bg)",
    color: "var(--fg)",
  },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.6" },
  ".cm-content": { caretColor: "var(--accent)", padding: "12px 0" },
  ".cm-gutters": {
    backgroundColor: "var(--editor-bg)",
    color: "var(--fg-faint)",
    border: "none",
    paddingLeft: "8px",
  },
  ".cm-activeLineGutter": { backgroundColor: "transparent", color: "var(--fg-muted)" },
  ".cm-activeLine": { backgroundColor: "var(--editor-active-line)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--accent)", borderLeftWidth: "2px" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--editor-selection) !important",
  },
  ".cm-matchingBracket, &.cm-focused .cm-matchingBracket": {
    backgroundColor: "var(--editor-bracket)",
    outline: "1px solid var(--accent-soft)",
  },
  ".cm-searchMatch": { backgroundColor: "var(--editor-search)" },
  ".cm-panels": { backgroundColor: "var(--surface)", color: "var(--fg)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
  ".cm-panel.cm-search input, .cm-panel.cm-search button": { fontFamily: "var(--font-ui)" },
  ".cm-ySelectionInfo": {
    fontFamily: "var(--font-ui)",
    fontWeight: "600",
    fontSize: "11px",
    padding: "1px 5px",
    borderRadius: "4px 4px 4px 0",
    top: "-1.45em",
  },
  // Shown while its person is active (caretLabels.ts), else on hover of the caret.
  ".cm-ySelectionInfo.is-active": { opacity: "1" },
  ".cm-ySelectionCaret": { borderLeftWidth: "2px" },
  ".cm-tooltip": { backgroundColor: "var(--surface-raised)", border: "1px solid var(--border)" },
});

export const highlight = syntaxHighlighting(
  HighlightStyle.define([
    {
      tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword],
      color: "var(--syn-keyword)",
    },
    { tag: [t.string, t.special(t.string), t.character], color: "var(--syn-string)" },
    { tag: [t.number, t.bool, t.null, t.atom], color: "var(--syn-number)" },
    {
      tag: [t.comment, t.lineComment, t.blockComment],
      color: "var(--syn-comment)",
      fontStyle: "italic",
    },
    { tag: [t.function(t.variableName), t.function(t.propertyName)], color: "var(--syn-function)" },
    {
      tag: [t.definition(t.variableName), t.definition(t.function(t.variableName))],
      color: "var(--syn-def)",
    },
    { tag: [t.typeName, t.className, t.namespace], color: "var(--syn-type)" },
    { tag: [t.propertyName, t.attributeName], color: "var(--syn-property)" },
    { tag: [t.operator, t.punctuation, t.bracket], color: "var(--syn-punct)" },
    { tag: [t.macroName, t.meta, t.processingInstruction], color: "var(--syn-meta)" },
    { tag: t.invalid, color: "var(--danger)" },
  ]),
);
