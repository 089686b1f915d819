import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
} from "react";

export type ToastKind = "info" | "success" | "error" | "join" | "leave";

interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  detail?: string;
}

type Push = (kind: ToastKind, text: string, detail?: string) => void;

const ToastContext = createContext<Push>(() => {});

export const useToast = (): Push => useContext(ToastContext);

const LIFETIME_MS: Record<ToastKind, number> = {
  info: 3500,
  success: 2500,
  join: 3000,
  leave: 3000,
  error: 7000,
};

/** Holds the toast stack; identical toasts in quick succession are shown once. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback(
    (id: number) => setToasts((list) => list.filter((t) => t.id !== id)),
    [],
  );

  const push = useCallback<Push>(
    (kind, text, detail) => {
      const id = nextId.current++;
      setToasts((list) => {
        if (list.some((t) => t.text === text && t.kind === kind)) return list;
        return [
          ...list.slice(-4),
          detail === undefined ? { id, kind, text } : { id, kind, text, detail },
        ];
      });
      setTimeout(() => dismiss(id), LIFETIME_MS[kind]);
    },
    [dismiss],
  );

  const value = useMemo(() => push, [push]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast">
            <span className="toast-dot" aria-hidden />
            <div>
              <div className="toast-text">{t.text}</div>
              {t.detail && <div className="toast-detail">{t.detail}</div>}
            </div>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss"
              onClick={() => dismiss(t.id)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
