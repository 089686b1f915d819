import { useEffect, useRef } from "react";
import type * as Y from "yjs";
import type { Language } from "../client/types";
import type { ToastKind } from "../components/Toasts";

type Toast = (kind: ToastKind, text: string, detail?: string) => void;

const ERRORS: Record<string, string> = {
  runtime_unavailable: "The runtime for this language is unavailable",
  rate_limited: "Too many runs: slow down a little",
  run_in_progress: "A run is already in progress",
  unknown_language: "This language is not supported by the server",
  bad_message: "The server did not understand the request",
  forbidden: "Not allowed with this link",
};

/** Shows a run-channel error as a toast a person can act on. */
export function errorToast(toast: Toast, code: string, message: string): void {
  toast("error", ERRORS[code] ?? "Something went wrong", message);
}

export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission denied (an insecure origin, say): fall through to the old way.
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy failed");
}

/** Hands `blob` to the browser as a download called `name`. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked once the click has been handled: the download keeps its own reference.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function typingInField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.isContentEditable ||
    ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) ||
    !!el.closest?.(".cm-editor")
  );
}

/** Page-wide keys: Mod+Enter runs from anywhere; `?` opens the shortcuts outside text fields. */
export function useSessionKeys(handlers: { onRun: () => void; onHelp: () => void }): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        ref.current.onRun();
      } else if (e.key === "?" && !typingInField(e.target)) {
        e.preventDefault();
        ref.current.onHelp();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/** Whether `code` is still what a new session of `lang` starts with (or nothing at all). */
export function untouchedStarter(code: string, lang: Language | undefined): boolean {
  const trimmed = code.trim();
  return trimmed === "" || (lang !== undefined && trimmed === lang.template.trim());
}

/**
 * Switches the session's language. Where the code is still the old language's starter
 * (or empty), the new language's starter replaces it in the same transaction, so that
 * everyone sees one change and the switcher's undo brings the old code back. Code
 * someone has written is kept as it is. Returns whether the code was replaced.
 */
export function switchLanguage(
  doc: Y.Doc,
  meta: Y.Map<unknown>,
  code: Y.Text,
  from: Language | undefined,
  to: Language | undefined,
  toId: string,
): boolean {
  const replace = to !== undefined && from?.id !== to.id && untouchedStarter(code.toString(), from);
  doc.transact(() => {
    meta.set("language", toId);
    if (replace) {
      code.delete(0, code.length);
      code.insert(0, to.template);
    }
  });
  return replace;
}
