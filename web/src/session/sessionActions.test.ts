import { describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import type { Language } from "../client/types";
import { errorToast, switchLanguage } from "./sessionActions";

describe("errorToast", () => {
  it("names a refused run-channel command in words, with the server's reason", () => {
    const toast = vi.fn();
    errorToast(toast, "forbidden", "the view-only link cannot run code");
    expect(toast).toHaveBeenCalledWith(
      "error",
      "Not allowed with this link",
      "the view-only link cannot run code",
    );
  });
});

describe("switching language", () => {
  const lang = (id: string, template: string): Language => ({
    id,
    name: id,
    version: "",
    image: "",
    available: true,
    template,
  });
  const python = lang("python", 'print("Hello, world!")\n');
  const c = lang("c", '#include <stdio.h>\nint main(void) { puts("Hello, world!"); }\n');

  function session(text: string) {
    const doc = new Y.Doc();
    const code = doc.getText("code");
    const meta = doc.getMap("meta");
    code.insert(0, text);
    meta.set("language", "python");
    return { doc, code, meta };
  }

  it("replaces an untouched starter (or nothing) with the new language's, in one update", () => {
    for (const start of [python.template, `  ${python.template}\n\n`, "", "\n"]) {
      const { doc, code, meta } = session(start);
      const updates: Uint8Array[] = [];
      doc.on("update", (u: Uint8Array) => updates.push(u));
      expect(switchLanguage(doc, meta, code, python, c, "c")).toBe(true);
      expect([code.toString(), meta.get("language"), updates.length]).toEqual([c.template, "c", 1]);
    }
  });

  it("keeps code someone wrote", () => {
    const { doc, code, meta } = session('print("mine")\n');
    expect(switchLanguage(doc, meta, code, python, c, "c")).toBe(false);
    expect([code.toString(), meta.get("language")]).toEqual(['print("mine")\n', "c"]);
  });

  it("undo brings the old code back", () => {
    const { doc, code, meta } = session(python.template);
    const undo = new Y.UndoManager(code);
    switchLanguage(doc, meta, code, python, c, "c");
    undo.undo();
    expect(code.toString()).toBe(python.template);
  });

  it("switches a language the client does not know without touching the code", () => {
    const { doc, code, meta } = session(python.template);
    expect(switchLanguage(doc, meta, code, python, undefined, "cobol")).toBe(false);
    expect([code.toString(), meta.get("language")]).toEqual([python.template, "cobol"]);
  });
});
