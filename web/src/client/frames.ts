import type { InputChunk, OutputChunk, Run, RunStatus, ServerFrame } from "./types";

const STATUSES: ReadonlySet<string> = new Set([
  "queued",
  "running",
  "ok",
  "failed",
  "timeout",
  "killed",
  "error",
]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Reads a RUN object; `null` when it lacks what the client relies on. */
export function parseRun(v: unknown): Run | null {
  if (!isObject(v)) return null;
  const id = str(v.id) ?? (typeof v.id === "number" ? String(v.id) : null);
  const status = str(v.status);
  if (id === null || status === null || !STATUSES.has(status)) return null;
  return {
    id,
    session_id: str(v.session_id) ?? "",
    language: str(v.language) ?? "",
    user: str(v.user),
    status: status as RunStatus,
    exit_code: num(v.exit_code),
    started_at: num(v.started_at),
    finished_at: num(v.finished_at),
    duration_ms: num(v.duration_ms),
    timed_out: v.timed_out === true,
    oom_killed: v.oom_killed === true,
    output_truncated: v.output_truncated === true,
    compile_failed: v.compile_failed === true,
    cpu_ms: num(v.cpu_ms),
    memory_kb: num(v.memory_kb),
  };
}

/** Reads an output chunk; `fallbackRunId` fills a missing `run_id` (catch-up output). */
export function parseOutput(v: unknown, fallbackRunId?: string): OutputChunk | null {
  if (!isObject(v)) return null;
  const runId = str(v.run_id) ?? (typeof v.run_id === "number" ? String(v.run_id) : null);
  const seq = num(v.seq);
  const stream = v.stream;
  const data = str(v.data);
  if (seq === null || data === null || (stream !== "stdout" && stream !== "stderr")) return null;
  const run_id = runId ?? fallbackRunId;
  if (run_id === undefined) return null;
  const t = num(v.t);
  return t === null ? { run_id, seq, stream, data } : { run_id, seq, stream, data, t };
}

/** Reads what someone typed; `fallbackRunId` fills a missing `run_id` (catch-up input). */
export function parseInput(v: unknown, fallbackRunId?: string): InputChunk | null {
  if (!isObject(v)) return null;
  const run_id = str(v.run_id) ?? fallbackRunId;
  const seq = num(v.seq);
  const t = num(v.t);
  const data = str(v.data);
  if (run_id === undefined || seq === null || t === null || data === null) return null;
  return { run_id, seq, t, data, eof: v.eof === true };
}

/**
 * Parses one text frame of the run channel. Unknown or malformed frames give `null`:
 * a newer server may add frame types, and the client must keep going.
 */
export function parseServerFrame(text: string): ServerFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(raw)) return null;
  switch (raw.type) {
    case "state": {
      const active = raw.active_run == null ? null : parseRun(raw.active_run);
      if (raw.active_run != null && active === null) return null;
      const list = Array.isArray(raw.output) ? raw.output : [];
      const output = list
        .map((o) => parseOutput(o, active?.id))
        .filter((o): o is OutputChunk => o !== null);
      const typed = (Array.isArray(raw.input) ? raw.input : [])
        .map((i) => parseInput(i, active?.id))
        .filter((i): i is InputChunk => i !== null);
      return { type: "state", active_run: active, output, input: typed };
    }
    case "run_started":
    case "run_finished": {
      const run = parseRun(raw.run);
      return run === null ? null : { type: raw.type, run };
    }
    case "output": {
      const chunk = parseOutput(raw);
      return chunk === null ? null : { type: "output", ...chunk };
    }
    case "input": {
      const chunk = parseInput(raw);
      return chunk === null ? null : { type: "input", ...chunk };
    }
    case "error":
      return {
        type: "error",
        code: str(raw.code) ?? "unknown_error",
        message: str(raw.message) ?? "Something went wrong.",
      };
    default:
      return null;
  }
}
