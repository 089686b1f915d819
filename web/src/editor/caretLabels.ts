import { StateEffect } from "@codemirror/state";
import { type EditorView, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import type { Awareness } from "y-protocols/awareness";
import { textOn } from "../components/contrast";

/** How long a person's name stays over their caret after they last typed or moved. */
export const LABEL_SHOWN_MS = 3000;

/** Shows the named person's label as if they had just moved (someone looked for them). */
export const showLabel = StateEffect.define<string>();

/** Marks which remote carets' labels to show: those of people active in the last
 * `shownMs` (by name, which is all a caret's DOM carries), each in a text colour that
 * reads on its person's colour. */
export function activeLabels(
  labels: Iterable<Element>,
  lastActive: ReadonlyMap<string, number>,
  now: number,
  shownMs = LABEL_SHOWN_MS,
): number | null {
  let next: number | null = null;
  for (const label of labels) {
    const caret = label.parentElement;
    if (label instanceof HTMLElement && caret)
      label.style.color = textOn(caret.style.backgroundColor || caret.style.borderColor);
    const at = lastActive.get(label.textContent ?? "");
    const left = at === undefined ? 0 : at + shownMs - now;
    label.classList.toggle("is-active", left > 0);
    if (left > 0) next = next === null ? left : Math.min(next, left);
  }
  return next;
}

/**
 * Remote carets carry their person's name only while that person is active (typing or
 * moving their caret) and for LABEL_SHOWN_MS after, then on hover: with a class of
 * thirty, labels that never leave cover the code they sit on.
 */
export function caretLabels(awareness: Awareness) {
  return ViewPlugin.fromClass(
    class {
      private readonly lastActive = new Map<string, number>();
      private timer: ReturnType<typeof setTimeout> | undefined;
      private frame = 0;

      constructor(private readonly view: EditorView) {
        awareness.on("change", this.onChange);
      }

      private readonly onChange = (change: { added: number[]; updated: number[] }): void => {
        const now = Date.now();
        for (const id of [...change.added, ...change.updated]) {
          if (id === awareness.clientID) continue;
          const user = (awareness.getStates().get(id) as { user?: { name?: unknown } } | undefined)
            ?.user;
          if (typeof user?.name === "string") this.lastActive.set(user.name, now);
        }
        this.schedule();
      };

      update(update: ViewUpdate): void {
        for (const tr of update.transactions)
          for (const effect of tr.effects)
            if (effect.is(showLabel)) this.lastActive.set(effect.value, Date.now());
        // Any redraw may have made the carets' DOM anew.
        if (update.docChanged || update.viewportChanged || update.transactions.length > 0)
          this.schedule();
      }

      /** Applies the marks once the editor has drawn its carets. */
      private schedule(): void {
        cancelAnimationFrame(this.frame);
        this.frame = requestAnimationFrame(() => {
          clearTimeout(this.timer);
          const labels = this.view.dom.querySelectorAll(".cm-ySelectionInfo");
          const next = activeLabels(labels, this.lastActive, Date.now());
          if (next !== null) this.timer = setTimeout(() => this.schedule(), next + 20);
        });
      }

      destroy(): void {
        awareness.off("change", this.onChange);
        cancelAnimationFrame(this.frame);
        clearTimeout(this.timer);
      }
    },
  );
}
