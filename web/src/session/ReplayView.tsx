import { useEffect, useMemo, useState } from "react";
import type { ApiClient } from "../client/api";
import type { Snapshot, TimelineEvent } from "../client/types";
import { Icon } from "../components/Icon";
import { CodeView } from "../editor/Editor";
import { clockTime } from "./runFormat";

interface ReplayViewProps {
  sessionId: string;
  /** The API with this session's link token. */
  api: ApiClient;
  theme: "light" | "dark";
  onOpenRun: (runId: string) => void;
  onClose: () => void;
}

/** Scrub through the session's history: the code as it stood at any moment, read-only. */
export function ReplayView({ sessionId, api, onOpenRun, onClose }: ReplayViewProps) {
  const [events, setEvents] = useState<TimelineEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);

  useEffect(() => {
    api.timeline(sessionId).then(
      (t) => {
        setEvents(t.events);
        setAt(t.events.at(-1)?.t ?? Date.now());
      },
      (err: Error) => setError(err.message),
    );
  }, [sessionId, api]);

  useEffect(() => {
    if (at === null) return;
    let live = true;
    const timer = setTimeout(() => {
      api.snapshot(sessionId, at).then(
        (s) => live && setSnapshot(s),
        (err: Error) => live && setError(err.message),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [sessionId, api, at]);

  const [start, end] = useMemo(() => {
    if (!events?.length) return [0, 1];
    const first = events[0]?.t ?? 0;
    const last = events.at(-1)?.t ?? first;
    return [first, Math.max(last, first + 1)];
  }, [events]);
  const edits = events?.filter((e) => e.kind === "edit").length ?? 0;
  const runMarks = events?.filter((e) => e.kind === "run_started") ?? [];
  const pct = (t: number) => ((t - start) / (end - start)) * 100;

  return (
    <div className="replay" role="dialog" aria-label="Replay" data-testid="replay">
      <header className="replay-head">
        <Icon name="replay" size={18} />
        <h2>Replay</h2>
        <span className="replay-badge">read-only</span>
        <span className="muted">
          {edits} edits · {runMarks.length} runs
        </span>
        <span className="spacer" />
        <button type="button" className="btn" onClick={onClose}>
          Back to live
        </button>
      </header>
      {error && <div className="error-box">{error}</div>}
      <div className="replay-track">
        <input
          type="range"
          min={start}
          max={end}
          value={at ?? end}
          onChange={(e) => setAt(Number(e.target.value))}
          aria-label="Point in time"
          data-testid="replay-slider"
          disabled={!events?.length}
        />
        <div className="replay-marks">
          {runMarks.map((e) =>
            e.kind === "run_started" ? (
              <button
                key={e.run_id}
                type="button"
                className="replay-mark"
                style={{ left: `${pct(e.t)}%` }}
                title={`Run at ${clockTime(e.t)}: click for its output`}
                onClick={() => onOpenRun(e.run_id)}
              />
            ) : null,
          )}
        </div>
        <div className="replay-time">
          {at !== null ? new Date(at).toLocaleString() : "Loading history…"}
          {snapshot && ` · ${snapshot.language}`}
        </div>
      </div>
      <div className="replay-code">
        {snapshot && <CodeView text={snapshot.code} language={snapshot.language} />}
      </div>
    </div>
  );
}
