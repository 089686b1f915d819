import type { Extension } from "@codemirror/state";

/**
 * Syntax support per language id of `/api/languages`, each loaded on first use so the
 * grammars of languages nobody opens are never downloaded. Unknown ids get plain text.
 */
const LOADERS: Record<string, () => Promise<Extension>> = {
  python: () => import("@codemirror/lang-python").then((m) => m.python()),
  javascript: () => import("@codemirror/lang-javascript").then((m) => m.javascript()),
  typescript: () =>
    import("@codemirror/lang-javascript").then((m) => m.javascript({ typescript: true })),
  c: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  cpp: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  rust: () => import("@codemirror/lang-rust").then((m) => m.rust()),
  go: () => import("@codemirror/lang-go").then((m) => m.go()),
  java: () => import("@codemirror/lang-java").then((m) => m.java()),
  csharp: () => legacy(import("@codemirror/legacy-modes/mode/clike").then((m) => m.csharp)),
  bash: () => legacy(import("@codemirror/legacy-modes/mode/shell").then((m) => m.shell)),
  ruby: () => legacy(import("@codemirror/legacy-modes/mode/ruby").then((m) => m.ruby)),
  // Text before `<?php` is HTML, as PHP itself treats it.
  php: () => import("@codemirror/lang-php").then((m) => m.php()),
  lua: () => legacy(import("@codemirror/legacy-modes/mode/lua").then((m) => m.lua)),
  sqlite: () => import("@codemirror/lang-sql").then((m) => m.sql({ dialect: m.SQLite })),
};

const ALIASES: Record<string, string> = {
  js: "javascript",
  node: "javascript",
  ts: "typescript",
  "c++": "cpp",
  sh: "bash",
};

async function legacy(
  mode: Promise<import("@codemirror/language").StreamParser<unknown>>,
): Promise<Extension> {
  const [{ StreamLanguage }, parser] = await Promise.all([import("@codemirror/language"), mode]);
  return StreamLanguage.define(parser);
}

const cache = new Map<string, Promise<Extension>>();

export function loadLanguage(id: string): Promise<Extension> {
  const key = ALIASES[id.toLowerCase()] ?? id.toLowerCase();
  const loader = LOADERS[key];
  if (!loader) return Promise.resolve([]);
  let pending = cache.get(key);
  if (!pending) {
    pending = loader().catch(() => {
      // Offline with the grammar never fetched: plain text until the next try.
      cache.delete(key);
      return [];
    });
    cache.set(key, pending);
  }
  return pending;
}

/** "Python 3.11.2" → "3.11.2": the first version number in a tool's version banner. */
export function shortVersion(version: string): string {
  return /\d+\.\d+(?:\.\d+)?/.exec(version)?.[0] ?? version;
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
  csharp: "C#",
  php: "PHP",
  lua: "Lua",
  sqlite: "SQL",
};

export function languageLabel(id: string): string {
  return LABELS[id] ?? id;
}
