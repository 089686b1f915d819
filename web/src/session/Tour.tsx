import { useEffect, useLayoutEffect, useState } from "react";

interface Step {
  target: string;
  title: string;
  body: string;
}

const STEPS: Step[] = [
  {
    target: "editor",
    title: "Write code together",
    body: "Everyone here edits the same file live. You see their cursors in their colour.",
  },
  {
    target: "language-select",
    title: "Pick a language",
    body: "Switching the language switches it for everyone in the session.",
  },
  {
    target: "run-button",
    title: "Run it",
    body: "Run the program in a sandbox, or press Ctrl/⌘+Enter. Everyone sees the output.",
  },
  {
    target: "output",
    title: "Output",
    body: "stdout and stderr (in red) stream here. While a program runs, you can type its input below.",
  },
  {
    target: "share-button",
    title: "Invite people",
    body: "Copy the link and send it: whoever opens it joins this session.",
  },
];

/** A short walk through the session page, shown once. */
export function Tour({ onDone }: { onDone: () => void }) {
  const [index, setIndex] = useState(0);
  const [rect, setRect] = useState<DOMRect | null>(null);
  const step = STEPS[index];

  useLayoutEffect(() => {
    if (!step) return;
    const measure = () =>
      setRect(
        document.querySelector(`[data-testid="${step.target}"]`)?.getBoundingClientRect() ?? null,
      );
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [step]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onDone();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onDone]);

  if (!step) return null;
  const last = index === STEPS.length - 1;
  const pad = 6;
  const card = placeCard(rect);
  return (
    <div className="tour" role="dialog" aria-label="Guided tour" data-testid="tour">
      {rect && (
        <div
          className="tour-spot"
          style={{
            left: rect.left - pad,
            top: rect.top - pad,
            width: rect.width + pad * 2,
            height: rect.height + pad * 2,
          }}
        />
      )}
      <div className="tour-card" style={card}>
        <div className="tour-step">
          {index + 1} / {STEPS.length}
        </div>
        <h3>{step.title}</h3>
        <p>{step.body}</p>
        <div className="tour-actions">
          <button type="button" className="btn ghost small" onClick={onDone}>
            Skip tour
          </button>
          <span className="spacer" />
          {index > 0 && (
            <button type="button" className="btn small" onClick={() => setIndex(index - 1)}>
              Back
            </button>
          )}
          <button
            type="button"
            className="btn primary small"
            onClick={() => (last ? onDone() : setIndex(index + 1))}
          >
            {last ? "Done" : "Next"}
          </button>
        </div>
      </div>
    </div>
  );
}

function placeCard(rect: DOMRect | null): React.CSSProperties {
  const width = 300;
  if (!rect) return { left: "50%", top: "40%", transform: "translate(-50%, -50%)", width };
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  if (rect.height > vh / 2) {
    // A big target (the editor): the card sits inside it, lower right, clear of the code.
    return {
      left: Math.min(vw - width - 12, rect.right - width - 24),
      top: rect.bottom - 220,
      width,
    };
  }
  const left = Math.max(12, Math.min(vw - width - 12, rect.left));
  if (rect.bottom + 190 < vh) return { left, top: rect.bottom + 14, width };
  if (rect.top - 190 > 0) return { left, top: rect.top - 190, width };
  return {
    left: Math.max(12, Math.min(vw - width - 12, rect.left + rect.width / 2 - width / 2)),
    top: rect.top + 40,
    width,
  };
}
