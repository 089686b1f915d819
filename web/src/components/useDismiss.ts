import { type RefObject, useCallback, useEffect, useRef, useState } from "react";

/** While `open`, Escape or a press outside `wrap` calls `close` (popovers, menus). */
export function useDismiss(
  open: boolean,
  wrap: RefObject<HTMLElement | null>,
  close: () => void,
): void {
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && close();
    const onDown = (e: MouseEvent) => {
      if (!wrap.current?.contains(e.target as Node)) close();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("mousedown", onDown);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("mousedown", onDown);
    };
  }, [open, wrap, close]);
}

/** A popover's state: `open`, `trigger` (the props of the button that opens it), and
 * `wrap` for the element holding both, outside which a press (or Escape) closes it. */
export function usePopover<T extends HTMLElement>() {
  const [open, setOpen] = useState(false);
  const wrap = useRef<T>(null);
  const close = useCallback(() => setOpen(false), []);
  const toggle = useCallback(() => setOpen((o) => !o), []);
  useDismiss(open, wrap, close);
  const trigger = {
    type: "button" as const,
    onClick: toggle,
    "aria-expanded": open,
    "aria-haspopup": "dialog" as const,
  };
  return { open, close, trigger, wrap };
}
