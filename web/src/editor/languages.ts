import { cpp } from "@codemirror/lang-cpp";
import { go } from "@codemirror/lang-go";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { python } from "@codemirror/lang-python";
import { rust } from "@codemirror/lang-rust";
import { StreamLanguage } from "@codemirror/language";
import { ruby } from "@codemirror/legacy-modes/mode/ruby";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import type { Extension } from "@codemirror/state";

/** Syntax support per language id of `/api/languages`; unknown ids get plain text. */
const SUPPORT: Record<string, () => Extension> = {
  python: () => python(),
  javascript: () => javascript(),
  js: () => javascript(),
  node: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  ts: () => javascript({ typescript: true }),
  c: () => cpp(),
  cpp: () => cpp(),
  "c++": () => cpp(),
  rust: () => rust(),
  go: () => go(),
  bash: () => StreamLanguage.define(shell),
  sh: () => StreamLanguage.define(shell),
  ruby: () => StreamLanguage.define(ruby),
  java: () => java(),
};

export function languageSupport(id: string): Extension {
  return SUPPORT[id.toLowerCase()]?.() ?? [];
}

/** Short labels for badges when the server's language list is not at hand. */
const LABELS: Record<string, string> = {
  python: "Python",
  javascript: "JavaScript",
  typescript: "TypeScript",
  c: "C",
  cpp: "C++",
  rust: "Rust",
  go: "Go",
  bash: "Bash",
  ruby: "Ruby",
  java: "Java",
};

/** "Python 3.11.2" → "3.11.2": the first version number in a tool's version banner. */
export function shortVersion(version: string): string {
  return /\d+\.\d+(?:\.\d+)?/.exec(version)?.[0] ?? version;
}

export function languageLabel(id: string): string {
  return LABELS[id] ?? id;
}
