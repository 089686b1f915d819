import type { Run } from "../client/types";

export function makeRun(overrides: Partial<Run> = {}): Run {
  return {
    id: "r1",
    session_id: "s1",
    language: "python",
    user: "ada",
    status: "running",
    exit_code: null,
    started_at: 1_700_000_000_000,
    finished_at: null,
    duration_ms: null,
    timed_out: false,
    oom_killed: false,
    output_truncated: false,
    compile_failed: false,
    cpu_ms: null,
    memory_kb: null,
    ...overrides,
  };
}
