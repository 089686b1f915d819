import { useEffect, useMemo, useState } from "react";
import type { ApiClient } from "../client/api";
import type { Run, RunWithOutput } from "../client/types";
import { Modal } from "../components/Modal";
import { languageLabel } from "../editor/languages";
import { RunStatus } from "./RunPanel";
import {
  clockTime,
  effectText,
  formatDuration,
  pieceText,
  relativeTime,
  runHeadline,
  startedLine,
  transcript,
} from "./runFormat";
import { Terminal } from "./Terminal";
import { TerminalSink } from "./terminalSink";

/** The session's past runs, latest first; a click opens one with its output. */
export function RunHistory({
  runs,
  loading,
  failed,
  onOpen,
}: {
  runs: Run[];
  loading: boolean;
  failed: boolean;
  onOpen: (run: Run) => void;
}) {
  if (loading && runs.length === 0) return <div className="history-empty">Loading runs…</div>;
  if (failed && runs.length === 0)
    return <div className="history-empty">The run history is unavailable while offline.</div>;
  if (runs.length === 0)
    return <div className="history-empty">Runs of this session will be listed here.</div>;
  return (
    <ul className="history" data-testid="run-history">
      {runs.map((run) => {
        const { text, tone } = runHeadline(run);
        return (
          <li key={run.id}>
            <button type="button" className="history-row" onClick={() => onOpen(run)}>
              <span className={`dot dot-${tone}`} aria-hidden />
              <span className="history-main">
                <span className="history-title">{text}</span>
                <span className="history-sub">
                  {run.user ?? "someone"} · {languageLabel(run.language)}
                  {run.duration_ms !== null && ` · ${formatDuration(run.duration_ms)}`}
                </span>
              </span>
              <span className="history-time" title={clockTime(run.started_at)}>
                {run.started_at ? relativeTime(run.started_at) : ""}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A past run's output, fetched from the server, in its own read-only terminal. */
export function RunViewer({
  runId,
  api,
  initial,
  theme,
  onClose,
}: {
  runId: string;
  /** The API with this session's link token. */
  api: ApiClient;
  initial?: Run;
  theme: "light" | "dark";
  onClose: () => void;
}) {
  const sink = useMemo(() => new TerminalSink(), []);
  const [full, setFull] = useState<RunWithOutput | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.run(runId).then(
      (r) => {
        if (!live) return;
        setFull(r);
        sink.write(startedLine(r));
        for (const piece of transcript(r.output, r.input)) sink.write(pieceText(piece));
        sink.write(effectText({ kind: "finished", run: r }, sink.atLineStart));
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [runId, api, sink]);

  return (
    <Modal
      title={`Run at ${clockTime((full ?? initial)?.started_at ?? null)}`}
      onClose={onClose}
      width={760}
    >
      <div className="viewer-head">
        {(full ?? initial) && <RunStatus run={(full ?? initial) as Run} />}
      </div>
      {error ? (
        <div className="error-box">{error}</div>
      ) : (
        <div className="terminal-frame viewer-terminal">
          <Terminal sink={sink} theme={theme} testId="past-output" />
        </div>
      )}
    </Modal>
  );
}
