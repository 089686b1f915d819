import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { colorFor } from "../app/prefs";
import type { ApiClient } from "../client/api";
import type { Run, Snapshot, TimelineEvent } from "../client/types";
import { Icon } from "../components/Icon";
import { CodeView } from "../editor/Editor";
import {
  advance,
  buildReplay,
  editAt,
  mergeEvents,
  type Replay,
  type RunMark,
  runAt,
  type Shown,
  SPEEDS,
  step,
  terminalAt,
} from "./replayModel";
import {
  clockTime,
  counted,
  formatDuration,
  runHeadline,
  type TranscriptPiece,
  transcript,
} from "./runFormat";
import { Terminal } from "./Terminal";
import { TerminalSink } from "./terminalSink";

interface ReplayViewProps {
  sessionId: string;
  /** The API with this session's link token. */
  api: ApiClient;
  theme: "light" | "dark";
  onOpenRun: (runId: string) => void;
  onClose: () => void;
  /** Another dialog is open above the replay: its keys are not the replay's. */
  covered?: boolean;
}

/** How often playback moves on, in ms of real time. */
const TICK_MS = 50;
/** Snapshots kept in memory, so stepping back and forth asks the server once. */
const SNAPSHOT_CACHE = 400;
/** Bars in the activity strip above the slider. */
const BUCKETS = 160;
/** Runs whose output is kept in memory (each up to the output limit, 1 MiB by default). */
const RUN_CACHE = 16;
/** How often the replay asks for what happened since it opened. */
const POLL_MS = 3000;
/** How far back each poll reaches, so an event stored a little late is not missed. */
const POLL_OVERLAP_MS = 2000;

interface RunDetail {
  run: Run;
  /** Its output and what was typed into it, in the order they happened. */
  output: TranscriptPiece[];
}

interface CachedRun {
  detail: Promise<RunDetail>;
  /** The run had finished when fetched: its detail will not change. */
  final: boolean;
}

/**
 * Play a session back: the code as it stood at any moment, who changed it, and what the
 * run on screen then had printed. Scrub, step from one moment to the next, or play it at
 * a chosen speed with long pauses shortened. Everything here is read-only.
 */
export function ReplayView({
  sessionId,
  api,
  theme,
  onOpenRun,
  onClose,
  covered = false,
}: ReplayViewProps) {
  const [events, setEvents] = useState<TimelineEvent[] | null>(null);
  const replay = useMemo(() => (events ? buildReplay(events) : null), [events]);
  const [complete, setComplete] = useState(true);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<number>(2);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);

  useEffect(() => {
    api.timeline(sessionId, { limit: 5000 }).then(
      (t) => {
        setEvents(t.events);
        setComplete(t.complete);
      },
      (err: Error) => setError(err.message),
    );
  }, [sessionId, api]);

  // The session may be live: what happens after the replay opened joins the timeline.
  // Whoever is at the end stays at the end; anyone elsewhere stays where they are.
  const lastT = replay?.end ?? 0;
  const loaded = replay !== null;
  useEffect(() => {
    if (!loaded || !complete) return;
    let live = true;
    const timer = setInterval(() => {
      const since = Math.max(0, lastT - POLL_OVERLAP_MS);
      api.timeline(sessionId, { since, limit: 5000 }).then(
        (t) => {
          if (!live) return;
          setEvents((old) => (old ? mergeEvents(old, t.events) : old));
          setTick((n) => n + 1);
        },
        () => {}, // The next poll tries again.
      );
    }, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, sessionId, loaded, complete, lastT]);
  const shownEnd = useRef<number | null>(null);
  useEffect(() => {
    if (!replay) return;
    // (The updater runs later: it must see the end as it was, not the ref.)
    const previousEnd = shownEnd.current;
    setAt((a) => (a === null || a === previousEnd ? replay.end : a));
    shownEnd.current = replay.end;
  }, [replay]);

  // The document: fetched by the seq of the last edit at `at`. One request at a time;
  // when playback outruns the server, the newest wanted seq is fetched next and the
  // ones in between are skipped.
  const position = replay && at !== null ? editAt(replay, at) : null;
  const seq = position?.edit?.seq ?? 0;
  const cache = useRef(new Map<number, Snapshot>());
  const wanted = useRef(-1);
  const fetching = useRef(false);
  const load = useCallback(() => {
    if (fetching.current) return;
    const target = wanted.current;
    const hit = cache.current.get(target);
    if (hit) {
      setSnapshot(hit);
      return;
    }
    fetching.current = true;
    api.snapshot(sessionId, { seq: target }).then(
      (s) => {
        fetching.current = false;
        setError(null);
        remember(cache.current, target, s, SNAPSHOT_CACHE);
        if (wanted.current === target) setSnapshot(s);
        else load();
      },
      (err: Error) => {
        fetching.current = false;
        setError(err.message);
        setPlaying(false);
      },
    );
  }, [api, sessionId]);
  useEffect(() => {
    if (!replay) return;
    wanted.current = seq;
    load();
  }, [replay, seq, load]);

  // Playback: session time moves at `speed` times real time, pauses capped.
  useEffect(() => {
    if (!playing || !replay) return;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const elapsed = (now - last) * speed;
      last = now;
      setAt((a) => advance(replay, a ?? replay.start, elapsed));
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [playing, speed, replay]);
  useEffect(() => {
    if (playing && replay && at !== null && at >= replay.end) setPlaying(false);
  }, [playing, replay, at]);

  const togglePlay = useCallback(() => {
    if (!replay) return;
    if (!playing && at !== null && at >= replay.end) setAt(replay.start);
    setPlaying(!playing);
  }, [replay, playing, at]);
  const seek = useCallback(
    (t: number) => {
      if (!replay) return;
      setAt(Math.min(Math.max(t, replay.start), replay.end));
    },
    [replay],
  );
  const stepBy = useCallback(
    (direction: 1 | -1) => {
      if (!replay || at === null) return;
      setPlaying(false);
      setAt(step(replay, at, direction));
    },
    [replay, at],
  );

  useEffect(() => {
    if (covered) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target instanceof HTMLElement ? e.target : null;
      // A focused list or button keeps its own keys; the slider hands its arrows here.
      if (target?.closest("select, textarea, input:not([type=range])")) return;
      const onControl = target?.closest("button, a") != null;
      if (e.key === "Escape") onClose();
      else if (e.key === " " && !onControl) togglePlay();
      else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        stepBy(e.key === "ArrowLeft" ? -1 : 1);
      } else if (e.key === "Home" && replay) seek(replay.start);
      else if (e.key === "End" && replay) seek(replay.end);
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [covered, onClose, togglePlay, stepBy, seek, replay]);

  const onScreen = replay && at !== null ? runAt(replay, at) : null;
  const author = position?.edit?.author ?? null;
  const caret = useMemo(
    () => (author ? { name: author, color: colorFor(author) } : null),
    [author],
  );

  return (
    <div className="replay" role="dialog" aria-label="Replay" data-testid="replay">
      {/* Not a <header>: the page has its banner already (the session's top bar). */}
      <div className="replay-head">
        <Icon name="replay" size={18} />
        <h2>Replay</h2>
        <span className="replay-badge">read-only</span>
        {replay && (
          <span className="muted">
            {counted(replay.edits.length, "edit")} · {counted(replay.runs.length, "run")}
          </span>
        )}
        {replay && replay.people.length > 0 && (
          <ul className="replay-people" aria-label="Who edited">
            {replay.people.map((p) => (
              <li key={p.name} title={`${p.name}: ${p.edits} edits`}>
                <span className="replay-dot" style={{ background: colorFor(p.name) }} />
                {p.name}
              </li>
            ))}
          </ul>
        )}
        <span className="spacer" />
        <button type="button" className="btn" onClick={onClose}>
          Back to live
        </button>
      </div>
      {error && <div className="error-box">{error}</div>}
      {!complete && (
        <div className="error-box">This session is long: the replay holds its first part only.</div>
      )}
      <div className="replay-track">
        <div className="replay-controls">
          <StepButton direction={-1} disabled={!replay} onStep={stepBy} />
          <button
            type="button"
            className="btn primary replay-play"
            onClick={togglePlay}
            disabled={!replay || replay.stops.length === 0}
            title={playing ? "Pause (Space)" : "Play (Space)"}
            data-testid="replay-play"
            data-playing={playing ? "true" : "false"}
          >
            <Icon name={playing ? "pause" : "play"} filled />
            {playing ? "Pause" : "Play"}
          </button>
          <StepButton direction={1} disabled={!replay} onStep={stepBy} />
          <select
            value={speed}
            onChange={(e) => setSpeed(Number(e.target.value))}
            aria-label="Playback speed"
            data-testid="replay-speed"
          >
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
          <Position replay={replay} at={at} index={position?.index ?? -1} author={author} />
        </div>
        {replay && <Activity replay={replay} />}
        <input
          type="range"
          min={replay?.start ?? 0}
          max={replay ? Math.max(replay.end, replay.start + 1) : 1}
          value={at ?? replay?.end ?? 0}
          onChange={(e) => {
            setPlaying(false);
            seek(Number(e.target.value));
          }}
          onKeyDown={(e) => {
            // The window's handler steps from moment to moment; a millisecond is no step.
            if (e.key.startsWith("Arrow")) e.preventDefault();
          }}
          aria-label="Point in time"
          aria-valuetext={at !== null ? new Date(at).toLocaleString() : undefined}
          data-testid="replay-slider"
          disabled={!replay?.stops.length}
        />
        {replay && (
          <RunMarks
            replay={replay}
            onSeek={(t) => {
              setPlaying(false);
              seek(t);
            }}
          />
        )}
      </div>
      <div className="replay-body">
        <div className="replay-code">
          {snapshot && (
            <CodeView text={snapshot.code} language={snapshot.language} author={caret} />
          )}
        </div>
        <ReplayOutput
          api={api}
          run={onScreen}
          at={at}
          tick={tick}
          theme={theme}
          onOpenRun={(id) => {
            setPlaying(false);
            onOpenRun(id);
          }}
        />
      </div>
    </div>
  );
}

/** Keeps `value` under `key` as the newest entry, forgetting the oldest past `cap`. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V, cap: number): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > cap) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

function StepButton({
  direction,
  disabled,
  onStep,
}: {
  direction: 1 | -1;
  disabled: boolean;
  onStep: (direction: 1 | -1) => void;
}) {
  const back = direction < 0;
  const label = back ? "Previous moment" : "Next moment";
  return (
    <button
      type="button"
      className="btn icon-btn"
      onClick={() => onStep(direction)}
      disabled={disabled}
      title={`${label} (${back ? "←" : "→"})`}
      aria-label={label}
      data-testid={back ? "replay-back" : "replay-forward"}
    >
      <Icon name={back ? "step-back" : "step-forward"} filled />
    </button>
  );
}

function Position({
  replay,
  at,
  index,
  author,
}: {
  replay: Replay | null;
  at: number | null;
  index: number;
  author: string | null;
}) {
  if (!replay || at === null) return <span className="replay-time">Loading history…</span>;
  if (replay.stops.length === 0) return <span className="replay-time">Nothing recorded yet.</span>;
  const elapsed = formatClock(at - replay.start);
  const total = formatClock(replay.end - replay.start);
  return (
    <span className="replay-time" data-testid="replay-position">
      <strong>{new Date(at).toLocaleString()}</strong>
      <span>
        {elapsed} / {total}
      </span>
      <span>
        edit {index + 1} of {replay.edits.length}
        {author && index >= 0 ? ` · by ${author}` : ""}
      </span>
    </span>
  );
}

function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Edits over time, as a strip of bars: where the typing happened. */
function Activity({ replay }: { replay: Replay }) {
  const bars = useMemo(() => {
    const span = Math.max(replay.end - replay.start, 1);
    const counts = new Array<number>(BUCKETS).fill(0);
    for (const e of replay.edits) {
      const i = Math.min(BUCKETS - 1, Math.floor(((e.t - replay.start) / span) * BUCKETS));
      counts[i] = (counts[i] ?? 0) + 1;
    }
    const most = Math.max(1, ...counts);
    return counts.map((n) => (n === 0 ? 0 : Math.max(0.12, n / most)));
  }, [replay]);
  return (
    <div className="replay-activity" aria-hidden="true">
      {bars.map((h, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the buckets are positions.
        <span key={i} style={{ height: `${h * 100}%` }} />
      ))}
    </div>
  );
}

/** Each run as a span of the track, coloured by how it ended; a click goes to its end. */
function RunMarks({ replay, onSeek }: { replay: Replay; onSeek: (t: number) => void }) {
  const span = Math.max(replay.end - replay.start, 1);
  const pct = (t: number) => ((t - replay.start) / span) * 100;
  return (
    <div className="replay-marks">
      {replay.runs.map((r) => {
        const end = r.finished ?? replay.end;
        return (
          <button
            key={r.id}
            type="button"
            className="replay-mark"
            data-status={r.status ?? "running"}
            style={{ left: `${pct(r.started)}%`, width: `${pct(end) - pct(r.started)}%` }}
            title={`Run${r.author ? ` by ${r.author}` : ""} at ${clockTime(r.started)}${
              r.status ? `: ${r.status}` : ""
            }. Click to see its output.`}
            aria-label={`Run at ${clockTime(r.started)}`}
            onClick={() => onSeek(end)}
          />
        );
      })}
    </div>
  );
}

/** The terminal as it stood at `at`: the run then on screen, and what it had printed. */
function ReplayOutput({
  api,
  run,
  at,
  tick,
  theme,
  onOpenRun,
}: {
  api: ApiClient;
  run: RunMark | null;
  at: number | null;
  /** Counts the timeline's polls: a run still going is fetched again at each. */
  tick: number;
  theme: "light" | "dark";
  onOpenRun: (runId: string) => void;
}) {
  const sink = useMemo(() => new TerminalSink(), []);
  const shown = useRef<Shown | null>(null);
  const details = useRef(new Map<string, CachedRun>());
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  const runId = run?.id ?? null;
  const runFinished = run?.finished ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new poll (tick) or the run's end fetches an unfinished run again.
  useEffect(() => {
    if (runId === null) {
      setDetail(null);
      return;
    }
    let live = true;
    let cached = details.current.get(runId);
    if (!cached?.final) {
      const entry: CachedRun = {
        detail: api.run(runId).then((r) => {
          entry.final = r.finished_at !== null;
          return { run: r, output: transcript(r.output, r.input) };
        }),
        final: false,
      };
      cached = entry;
      remember(details.current, runId, entry, RUN_CACHE);
    }
    cached.detail.then(
      (d) => live && setDetail(d),
      (err: Error) => {
        details.current.delete(runId);
        if (live) setError(err.message);
      },
    );
    return () => {
      live = false;
    };
  }, [api, runId, runFinished, tick]);

  useEffect(() => {
    if (runId === null || at === null) {
      if (shown.current !== null) sink.clear();
      shown.current = null;
      return;
    }
    if (detail === null || detail.run.id !== runId) return;
    const next = terminalAt(shown.current, detail.run, detail.output, at);
    if (next.reset) sink.clear();
    sink.write(next.text);
    shown.current = next.shown;
  }, [sink, runId, detail, at]);

  const current = detail && detail.run.id === runId ? detail.run : null;
  const finished =
    current && at !== null && current.finished_at !== null && current.finished_at <= at;
  return (
    <section className="replay-output" aria-label="Output at this moment">
      <div className="replay-output-head">
        <Icon name="terminal" />
        {current ? (
          <>
            <span>
              Run{current.user ? ` by ${current.user}` : ""} at {clockTime(current.started_at)}
            </span>
            <span className="muted" data-testid="replay-run-status">
              {finished
                ? `${runHeadline(current).text} · ${formatDuration(current.duration_ms)}`
                : "running"}
            </span>
            <span className="spacer" />
            <button type="button" className="btn small" onClick={() => onOpenRun(current.id)}>
              Open run
            </button>
          </>
        ) : (
          <span className="muted">Output</span>
        )}
      </div>
      {error && <div className="error-box">{error}</div>}
      <div className="terminal-frame">
        <Terminal sink={sink} theme={theme} testId="replay-output" />
        {runId === null && (
          <div className="terminal-empty">Nothing had run yet at this moment.</div>
        )}
      </div>
    </section>
  );
}
