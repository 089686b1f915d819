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

  it("gives an unknown language plain text", async () => {
    expect(await loadLanguage("cobol")).toEqual([]);
    expect(languageLabel("cobol")).toBe("cobol");
  });
});
