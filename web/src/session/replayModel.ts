import type { Run, RunStatus, TimelineEvent } from "../client/types";
import { effectText, pieceText, startedLine, type TranscriptPiece } from "./runFormat";

/** One stored document update: the unit the replay steps through. */
export interface EditMark {
  t: number;
  seq: number;
  author: string | null;
}

/** A run as the timeline tells it: when it started and (if it did) finished. */
export interface RunMark {
  id: string;
  started: number;
  finished: number | null;
  author: string | null;
  status: RunStatus | null;
}

export interface Person {
  name: string;
  edits: number;
}

/** A session's timeline, arranged for playing it back. */
export interface Replay {
  edits: EditMark[];
  runs: RunMark[];
  /** Every distinct moment something happened, ascending: where stepping stops. */
  stops: number[];
  start: number;
  end: number;
  /** Who typed, most edits first; edits with no known author count as nobody's. */
  people: Person[];
}

/** Playback speeds offered, as multiples of the session's own pace. */
export const SPEEDS = [1, 2, 4, 8, 16] as const;

/** A pause longer than this (of session time) plays as this long: nobody wants to
 * watch a candidate think for four minutes. */
export const IDLE_CAP_MS = 1500;

/** The author the server gives edits made over HTTP (a new session's starting code, a
 * rename): not a person. */
export const API_AUTHOR = "api";

export function buildReplay(events: TimelineEvent[]): Replay {
  const edits: EditMark[] = [];
  const runs = new Map<string, RunMark>();
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.kind === "edit") {
      const author = e.author === API_AUTHOR ? null : (e.author ?? null);
      edits.push({ t: e.t, seq: e.seq, author });
      if (author !== null) counts.set(author, (counts.get(author) ?? 0) + 1);
    } else {
      const mark = runs.get(e.run_id) ?? {
        id: e.run_id,
        started: e.t,
        finished: null,
        author: e.author ?? null,
        status: null,
      };
      if (e.kind === "run_started") mark.started = e.t;
      else {
        mark.finished = e.t;
        mark.status = e.status ?? null;
      }
      runs.set(e.run_id, mark);
    }
  }
  edits.sort((a, b) => a.t - b.t || a.seq - b.seq);
  const runList = [...runs.values()].sort((a, b) => a.started - b.started);
  const times = new Set<number>(edits.map((e) => e.t));
  for (const r of runList) {
    times.add(r.started);
    if (r.finished !== null) times.add(r.finished);
  }
  const stops = [...times].sort((a, b) => a - b);
  const start = stops[0] ?? 0;
  const end = stops.at(-1) ?? start;
  const people = [...counts.entries()]
    .map(([name, n]) => ({ name, edits: n }))
    .sort((a, b) => b.edits - a.edits || a.name.localeCompare(b.name));
  return { edits, runs: runList, stops, start, end, people };
}

const RANK = { edit: 0, run_started: 1, run_finished: 2 } as const;

function eventKey(e: TimelineEvent): string {
  return e.kind === "edit" ? `edit:${e.seq}` : `${e.kind}:${e.run_id}`;
}

/** The server's timeline order: time, then edits before run starts before run ends. */
function compareEvents(a: TimelineEvent, b: TimelineEvent): number {
  const key = (e: TimelineEvent) =>
    e.kind === "edit" ? String(e.seq).padStart(16, "0") : e.run_id;
  return a.t - b.t || RANK[a.kind] - RANK[b.kind] || key(a).localeCompare(key(b));
}

/**
 * `known` with the events of `fresh` it does not have yet, in timeline order (`known`
 * itself when nothing is new). Polls overlap on purpose, so duplicates are expected.
 */
export function mergeEvents(known: TimelineEvent[], fresh: TimelineEvent[]): TimelineEvent[] {
  const seen = new Set(known.map(eventKey));
  const added = fresh.filter((e) => !seen.has(eventKey(e)));
  return added.length === 0 ? known : [...known, ...added].sort(compareEvents);
}

/** The index of the last item whose time is at or before `at` (-1: none). */
export function lastAtOrBefore<T>(items: readonly T[], at: number, time: (item: T) => number) {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time(items[mid] as T) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The last edit stored at or before `at`, and its position (-1: before the first). */
export function editAt(replay: Replay, at: number): { index: number; edit: EditMark | null } {
  const index = lastAtOrBefore(replay.edits, at, (e) => e.t);
  return { index, edit: replay.edits[index] ?? null };
}

/** The run that was on screen at `at`: the last one started at or before it. */
export function runAt(replay: Replay, at: number): RunMark | null {
  return replay.runs[lastAtOrBefore(replay.runs, at, (r) => r.started)] ?? null;
}

/** The moment a step of `direction` (+1 next, -1 previous) lands on from `at`. */
export function step(replay: Replay, at: number, direction: 1 | -1): number {
  const { stops } = replay;
  const i = lastAtOrBefore(stops, at, (t) => t);
  if (direction > 0) return stops[i + 1] ?? replay.end;
  // Already on a stop: go to the one before it; between stops: back to the last one.
  const back = stops[i] === at ? i - 1 : i;
  return stops[Math.max(back, 0)] ?? replay.start;
}

/**
 * Where playback is after `elapsed` ms of session time from `at`. A pause between two
 * moments plays for at most `IDLE_CAP_MS`; then playback jumps to the next moment.
 */
export function advance(replay: Replay, at: number, elapsed: number): number {
  const { stops } = replay;
  const target = Math.min(at + elapsed, replay.end);
  const i = lastAtOrBefore(stops, at, (t) => t);
  const next = stops[i + 1];
  if (next === undefined || target >= next) return target;
  const previous = stops[i] ?? replay.start;
  return target - previous > IDLE_CAP_MS ? next : target;
}

/** What the replay's terminal shows: which run, how many of its chunks, and whether it
 * has ended yet. */
export interface Shown {
  runId: string;
  chunks: number;
  finished: boolean;
}

/**
 * The terminal text that brings the replay's terminal from `shown` to `run` as it stood
 * at `at`: appended when only more of the same run is due, else from a clean terminal
 * (`reset`). `output` is the run's stored transcript (`transcript()`), in order.
 */
export function terminalAt(
  shown: Shown | null,
  run: Run,
  output: readonly TranscriptPiece[],
  at: number,
): { reset: boolean; text: string; shown: Shown } {
  const finished = run.finished_at !== null && run.finished_at <= at;
  // A finished run has printed everything (runs stored before the server stamped the
  // finish after the output may have chunks a few ms past `finished_at`).
  const chunks = finished ? output.length : lastAtOrBefore(output, at, (c) => c.t) + 1;
  const grows =
    shown !== null &&
    shown.runId === run.id &&
    shown.chunks <= chunks &&
    (!shown.finished || (finished && shown.chunks === chunks));
  const from = grows ? shown.chunks : 0;
  let text = grows ? "" : startedLine(run);
  for (const c of output.slice(from, chunks)) text += pieceText(c);
  if (finished && !(grows && shown.finished)) {
    const last = output[chunks - 1];
    const atLineStart = last === undefined || pieceText(last).endsWith("\n");
    text += effectText({ kind: "finished", run }, atLineStart);
  }
  return { reset: !grows, text, shown: { runId: run.id, chunks, finished } };
}
