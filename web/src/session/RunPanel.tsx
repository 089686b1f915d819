import { type ClipboardEvent, type FormEvent, type ReactNode, useState } from "react";
import type { Run } from "../client/types";
import { Icon } from "../components/Icon";
import { Kbd, MOD } from "../components/Kbd";
import { formatDuration, runFlags, runHeadline, runUsage } from "./runFormat";

export interface RunPanelProps {
  run: Run | null;
  active: boolean;
  /** The run channel is connected. */
  ready: boolean;
  /** The run channel has failed to connect repeatedly. */
  offline: boolean;
  /** A view-only link: output is shown, but nothing can be run, stopped or typed in. */
  viewOnly?: boolean;
  onRun: () => void;
  onStop: () => void;
  onStdin: (line: string) => void;
  onEof: () => void;
  onClear: () => void;
  canClear: boolean;
  /** Placeholder text over the empty terminal. */
  emptyHint: string | null;
  children: ReactNode;
}

export function RunStatus({ run }: { run: Run }) {
  const { text, tone } = runHeadline(run);
  const flags = runFlags(run);
  const usage = runUsage(run);
  return (
    <div className="run-status" data-testid="run-status" data-status={run.status}>
      <span className={`chip chip-${tone}`}>
        {tone === "busy" && <span className="spinner" aria-hidden />}
        {text}
      </span>
      {run.user && <span className="run-meta">by {run.user}</span>}
      {run.duration_ms !== null && (
        // What the program used stays one hover away: the header keeps its one row.
        <span
          className="run-meta"
          data-testid="run-duration"
          title={usage ? `Wall clock; the program used ${usage}` : "Wall clock"}
        >
          {formatDuration(run.duration_ms)}
        </span>
      )}
      {flags.map((f) => (
        <span key={f} className="chip chip-warn chip-small">
          {f}
        </span>
      ))}
    </div>
  );
}

/** Run controls, status of the current run, the output terminal and stdin while running. */
export function RunPanel(props: RunPanelProps) {
  const { run, active, ready } = props;
  const viewOnly = props.viewOnly ?? false;
  const denied = viewOnly ? "View only: ask for the edit link to run code" : undefined;
  const [line, setLine] = useState("");

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (viewOnly) return;
    props.onStdin(`${line}\n`);
    setLine("");
  };
  // A one-line field would join pasted lines (sample input for an exercise, say): whole
  // lines go to the program at once, and only a last unfinished line stays to edit.
  const paste = (e: ClipboardEvent<HTMLInputElement>) => {
    const text = e.clipboardData.getData("text/plain").replace(/\r\n?/g, "\n");
    if (viewOnly || !text.includes("\n")) return;
    e.preventDefault();
    const field = e.currentTarget;
    const start = field.selectionStart ?? line.length;
    const end = field.selectionEnd ?? line.length;
    const typed = line.slice(0, start) + text + line.slice(end);
    const cut = typed.lastIndexOf("\n") + 1;
    props.onStdin(typed.slice(0, cut));
    setLine(typed.slice(cut));
  };

  return (
    <section className="run-panel" aria-label="Run output">
      <div className="run-toolbar">
        <button
          type="button"
          className="btn primary run-btn"
          data-testid="run-button"
          onClick={props.onRun}
          disabled={viewOnly || !ready || active}
          title={denied ?? `Run (${MOD}+Enter)`}
        >
          <Icon name="play" filled size={14} /> Run
          <Kbd keys={[MOD, "↵"]} />
        </button>
        <button
          type="button"
          className="btn danger-ghost"
          data-testid="stop-button"
          onClick={props.onStop}
          disabled={viewOnly || !active}
          title={denied ?? "Stop the running program"}
        >
          <Icon name="stop" filled size={12} /> Stop
        </button>
        <div className="run-toolbar-status">
          {run ? (
            <RunStatus run={run} />
          ) : (
            <span className="muted">
              {ready ? "No runs yet" : props.offline ? "Runner offline" : "Runner connecting…"}
            </span>
          )}
        </div>
        <button
          type="button"
          className="btn icon-btn"
          onClick={props.onClear}
          disabled={!props.canClear}
          title="Clear output"
          aria-label="Clear output"
          data-testid="clear-output"
        >
          <Icon name="clear" />
        </button>
      </div>
      <div className="terminal-frame">
        {props.children}
        {props.emptyHint && <div className="terminal-empty">{props.emptyHint}</div>}
      </div>
      {active && (
        <form className="stdin-bar" onSubmit={submit}>
          <span className="stdin-prompt" aria-hidden>
            stdin ›
          </span>
          <input
            data-testid="stdin-input"
            value={line}
            onChange={(e) => setLine(e.target.value)}
            onPaste={paste}
            placeholder={
              viewOnly
                ? "View only: input comes from people with the edit link"
                : "Type input for the program and press Enter"
            }
            aria-label="Standard input"
            disabled={viewOnly}
            title={denied}
            autoComplete="off"
            spellCheck={false}
          />
          <button
            type="button"
            className="btn ghost small"
            onClick={props.onEof}
            title={denied ?? "Close stdin (EOF)"}
            disabled={viewOnly}
          >
            EOF
          </button>
        </form>
      )}
    </section>
  );
}
