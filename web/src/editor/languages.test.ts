import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { describe, expect, it } from "vitest";
import { languageLabel, loadLanguage } from "./languages";

// Every language id of the server (runners/languages.py).
const SERVER_LANGUAGES = [
  "python",
  "javascript",
  "typescript",
  "c",
  "cpp",
  "rust",
  "go",
  "java",
  "csharp",
  "bash",
  "ruby",
  "php",
  "lua",
  "sqlite",
];

describe("editor languages", () => {
  // A grammar that fails to load falls back to plain text ([]) without a word.
  it.each(SERVER_LANGUAGES)("loads a grammar for %s", async (id) => {
    expect(await loadLanguage(id)).not.toEqual([]);
  });

  it.each(SERVER_LANGUAGES)("has a badge label for %s", (id) => {
    expect(languageLabel(id)).not.toBe(id);
  });

  it("shows the sqlite3 shell's dot-commands as commands, not SQL", async () => {
    const doc =
      ".mode box\nSELECT 1 AS x; -- .not a command\n  .indented is SQL\n.import /dev/stdin t\n";
    const view = new EditorView({
      state: EditorState.create({ doc, extensions: [await loadLanguage("sqlite")] }),
      parent: document.body,
    });
    try {
      const marked = [...view.contentDOM.querySelectorAll(".cm-dotCommand")].map(
        (node) => node.textContent,
      );
      expect(marked).toEqual([".mode box", ".import /dev/stdin t"]);
    } finally {
      view.destroy();
    }
  });

  it("gives an unknown language plain text", async () => {
    expect(await loadLanguage("cobol")).toEqual([]);
    expect(languageLabel("cobol")).toBe("cobol");
  });
});
