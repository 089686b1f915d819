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
  sqlite: () =>
    Promise.all([import("@codemirror/lang-sql"), import("@codemirror/view")]).then(([m, view]) => [
      m.sql({ dialect: m.SQLite }),
      dotCommands(view),
    ]),
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

/**
 * The sqlite3 shell's dot-commands (`.mode box`, `.import /dev/stdin t`): a line that
 * starts with a dot at the left margin is a command to the shell, not SQL, and shows
 * as one whole, in the meta colour, instead of as SQL tokens.
 */
function dotCommands(view: typeof import("@codemirror/view")): Extension {
  const mark = view.Decoration.mark({ class: "cm-dotCommand" });
  const matcher = new view.MatchDecorator({ regexp: /^\.[A-Za-z].*$/gm, decoration: () => mark });
  const plugin = view.ViewPlugin.define(
    (editor) => ({
      decorations: matcher.createDeco(editor),
      update(update) {
        this.decorations = matcher.updateDeco(update, this.decorations);
      },
    }),
    { decorations: (value) => value.decorations },
  );
  // The SQL tokens inside the line take the command's colour too.
  const theme = view.EditorView.baseTheme({
    ".cm-dotCommand, .cm-dotCommand *": { color: "var(--syn-meta)" },
  });
  return [plugin, theme];
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
