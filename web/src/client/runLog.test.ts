import { describe, expect, it } from "vitest";
import { makeRun } from "../test/fixtures";
import { RunLog } from "./runLog";
import type { OutputChunk } from "./types";

const out = (seq: number, data: string, stream: "stdout" | "stderr" = "stdout"): OutputChunk => ({
  run_id: "r1",
  seq,
  stream,
  data,
});

const texts = (effects: ReturnType<RunLog["apply"]>) =>
  effects.flatMap((e) => (e.kind === "output" ? [e.chunk.data] : []));

describe("RunLog", () => {
  it("follows a run from start to finish", () => {
    const log = new RunLog();
    const started = log.apply({ type: "run_started", run: makeRun() });
    expect(started.map((e) => e.kind)).toEqual(["reset", "started"]);
    expect(log.active).toBe(true);
    expect(texts(log.apply({ type: "output", ...out(0, "a") }))).toEqual(["a"]);
    const done = makeRun({ status: "ok", exit_code: 0, duration_ms: 12 });
    expect(log.apply({ type: "run_finished", run: done })).toEqual([
      { kind: "finished", run: done },
    ]);
    expect(log.active).toBe(false);
  });

  it("hands out each chunk once when a reconnect's catch-up repeats output", () => {
    const log = new RunLog();
    log.apply({ type: "run_started", run: makeRun() });
    log.apply({ type: "output", ...out(0, "a") });
    log.apply({ type: "output", ...out(1, "b") });
    const effects = log.apply({
      type: "state",
      active_run: makeRun(),
      output: [out(2, "c"), out(0, "a"), out(1, "b")],
    });
    expect(texts(effects)).toEqual(["c"]);
    expect(texts(log.apply({ type: "output", ...out(2, "c") }))).toEqual([]);
  });

  it("hands out what was typed once, and places it by time when catching up", () => {
    const log = new RunLog();
    log.apply({ type: "run_started", run: makeRun() });
    const typed = { run_id: "r1", seq: 0, t: 20, data: "Zed\n", eof: false };
    expect(log.apply({ type: "input", ...typed }).map((e) => e.kind)).toEqual(["input"]);
    expect(log.apply({ type: "input", ...typed })).toEqual([]);
    // A late joiner: the prompt (t 10), the answer (t 20), the reply (t 20, after it).
    const late = new RunLog();
    const effects = late.apply({
      type: "state",
      active_run: makeRun(),
      output: [
        { ...out(1, "hi Zed\n"), t: 20 },
        { ...out(0, "Name: "), t: 10 },
      ],
      input: [typed],
    });
    expect(
      effects.flatMap((e) =>
        e.kind === "output" || e.kind === "input" ? [`${e.kind}:${e.chunk.data}`] : [],
      ),
    ).toEqual(["output:Name: ", "input:Zed\n", "output:hi Zed\n"]);
  });

  it("reports a finish that happened while disconnected", () => {
    const log = new RunLog();
    log.apply({ type: "run_started", run: makeRun() });
    const finished = makeRun({ status: "timeout", timed_out: true });
    const effects = log.apply({ type: "state", active_run: finished, output: [out(0, "x")] });
    expect(effects.map((e) => e.kind)).toEqual(["output", "finished"]);
  });

  it("shows a late joiner the last run and its output", () => {
    const log = new RunLog();
    const last = makeRun({ status: "failed", exit_code: 1 });
    const effects = log.apply({
      type: "state",
      active_run: last,
      output: [out(1, "b"), out(0, "a")],
    });
    expect(effects.map((e) => e.kind)).toEqual([
      "reset",
      "started",
      "output",
      "output",
      "finished",
    ]);
    expect(texts(effects)).toEqual(["a", "b"]);
  });

  it("ignores output of a run it is not showing", () => {
    const log = new RunLog();
    expect(log.apply({ type: "output", ...out(0, "stray") })).toEqual([]);
  });
});
