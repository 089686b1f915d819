/** Shapes of the playground's outer contract (CONTRACT.md), as the server sends them. */

import type { Role, SessionLinks } from "./access";

export type ConnectionState = "connected" | "connecting" | "offline";

export type RunStatus = "queued" | "running" | "ok" | "failed" | "timeout" | "killed" | "error";

export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(["queued", "running"]);

export interface Run {
  id: string;
  session_id: string;
  language: string;
  user: string | null;
  status: RunStatus;
  exit_code: number | null;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  timed_out: boolean;
  oom_killed: boolean;
  output_truncated: boolean;
  /** It ended in its compile step; a server that does not say is taken as "no". */
  compile_failed?: boolean;
  /** CPU time of the program; null or absent when not measured. */
  cpu_ms?: number | null;
  /** Peak resident memory of the program's largest process, KiB; as `cpu_ms`. */
  memory_kb?: number | null;
}

export type OutputStream = "stdout" | "stderr";

export interface OutputChunk {
  run_id: string;
  seq: number;
  stream: OutputStream;
  data: string;
  /** When it was printed (ms); only the catch-up `state` frame carries it. */
  t?: number;
}

/** What someone typed into the running program (`eof`: they ended its stdin). */
export interface InputChunk {
  run_id: string;
  seq: number;
  t: number;
  data: string;
  eof: boolean;
}

/** Typed input as `GET /api/runs/{id}` returns it. */
export interface StoredInput {
  seq: number;
  t: number;
  data: string;
  eof: boolean;
}

/** A stored output chunk, as `GET /api/runs/{id}` returns it. */
export interface StoredOutput {
  seq: number;
  t: number;
  stream: OutputStream;
  data: string;
}

export interface RunWithOutput extends Run {
  output: StoredOutput[];
  /** What people typed while it ran; a server that does not keep it sends none. */
  input: StoredInput[];
}

export interface Session {
  id: string;
  title: string;
  language: string;
  created_at: number;
  updated_at: number;
  /** Not in the contract's SESSION; shown when a server adds it. */
  last_run?: Run | null;
}

export interface SessionDetail extends Session {
  code: string;
  runs: Run[];
  /** The caller's rights; a server without access control sends none (everyone edits). */
  role?: Role;
  /** Both share links, for callers who may edit. */
  links?: SessionLinks;
}

/** A new session (created or imported): its creator gets both share links. */
export interface CreatedSession extends Session {
  links?: SessionLinks;
}

export interface SessionPage {
  items: Session[];
  total: number;
}

export interface Language {
  id: string;
  name: string;
  version: string;
  image: string;
  available: boolean;
  template: string;
}

/** `author`: who made the edit or started the run, where the server knows it. */
export type TimelineEvent =
  | { t: number; kind: "edit"; seq: number; author?: string | null }
  | { t: number; kind: "run_started"; run_id: string; author?: string | null }
  | {
      t: number;
      kind: "run_finished";
      run_id: string;
      author?: string | null;
      status?: RunStatus | null;
    };

export interface Snapshot {
  at: number;
  /** The last update the document holds (0: none). */
  seq: number;
  code: string;
  language: string;
  title: string;
}

/** Limits in force on the server, when it publishes them. */
export interface Limits {
  time_limit_s?: number;
  memory_mb?: number;
  output_bytes?: number;
  pids?: number;
  code_bytes?: number;
}

export type ServerFrame =
  | { type: "state"; active_run: Run | null; output: OutputChunk[]; input?: InputChunk[] }
  | { type: "run_started"; run: Run }
  | ({ type: "output" } & OutputChunk)
  | ({ type: "input" } & InputChunk)
  | { type: "run_finished"; run: Run }
  | { type: "error"; code: string; message: string };

export type ClientFrame =
  | { type: "run"; user?: string; stdin?: string }
  | { type: "stdin"; data: string }
  | { type: "stdin"; eof: true }
  | { type: "stop" };

/** The socket close code the server uses for an unknown or deleted session. */
export const CLOSE_SESSION_GONE = 4404;

/** The socket close code for a missing or wrong share-link token (or a foreign origin). */
export const CLOSE_FORBIDDEN = 4403;

/** The socket close code for changes that would make the code larger than the server's limit. */
export const CLOSE_TOO_LARGE = 4413;
