import { describe, expect, it } from "vitest";
import { makeRun } from "../test/fixtures";
import { parseServerFrame } from "./frames";

describe("parseServerFrame", () => {
  it("reads each frame type of the contract", () => {
    const run = makeRun();
    expect(parseServerFrame(JSON.stringify({ type: "run_started", run }))).toEqual({
      type: "run_started",
      run,
    });
    expect(
      parseServerFrame(
        JSON.stringify({ type: "output", run_id: "r1", seq: 0, stream: "stderr", data: "boom\n" }),
      ),
    ).toEqual({ type: "output", run_id: "r1", seq: 0, stream: "stderr", data: "boom\n" });
    expect(parseServerFrame(JSON.stringify({ type: "run_finished", run }))?.type).toBe(
      "run_finished",
    );
    expect(
      parseServerFrame(
        JSON.stringify({ type: "error", code: "rate_limited", message: "Slow down" }),
      ),
    ).toEqual({ type: "error", code: "rate_limited", message: "Slow down" });
  });

  it("fills the run id of catch-up output from the active run", () => {
    const frame = parseServerFrame(
      JSON.stringify({
        type: "state",
        active_run: makeRun({ id: "r9" }),
        output: [{ seq: 0, stream: "stdout", data: "hi" }],
      }),
    );
    expect(frame).toMatchObject({
      type: "state",
      output: [{ run_id: "r9", seq: 0, stream: "stdout", data: "hi" }],
    });
  });

  it("accepts a state frame with no run", () => {
    expect(parseServerFrame('{"type":"state","active_run":null,"output":[]}')).toEqual({
      type: "state",
      active_run: null,
      output: [],
      input: [],
    });
  });

  it("reads what was typed, live and in the catch-up state", () => {
    expect(
      parseServerFrame('{"type":"input","run_id":"r","seq":0,"t":5,"data":"Zed\\n","eof":false}'),
    ).toEqual({ type: "input", run_id: "r", seq: 0, t: 5, data: "Zed\n", eof: false });
    const state = parseServerFrame(
      JSON.stringify({
        type: "state",
        active_run: { id: "r", status: "running" },
        output: [{ seq: 0, t: 1, stream: "stdout", data: "Name: " }],
        input: [{ seq: 0, t: 5, data: "", eof: true }, { seq: "x" }],
      }),
    );
    expect(state).toMatchObject({
      output: [{ run_id: "r", t: 1, data: "Name: " }],
      input: [{ run_id: "r", seq: 0, t: 5, data: "", eof: true }],
    });
    // Without a time an input chunk cannot be placed: it is dropped, not guessed.
    expect(parseServerFrame('{"type":"input","run_id":"r","seq":0,"data":"x"}')).toBeNull();
  });

  it("rejects malformed and unknown frames instead of throwing", () => {
    expect(parseServerFrame("not json")).toBeNull();
    expect(parseServerFrame("[1,2]")).toBeNull();
    expect(parseServerFrame('{"type":"hello"}')).toBeNull();
    expect(
      parseServerFrame('{"type":"output","run_id":"r1","seq":0,"stream":"x","data":""}'),
    ).toBeNull();
    expect(
      parseServerFrame('{"type":"run_started","run":{"id":"r1","status":"dancing"}}'),
    ).toBeNull();
  });

  it("defaults missing run flags to false and numbers to null", () => {
    const frame = parseServerFrame('{"type":"run_finished","run":{"id":7,"status":"ok"}}');
    expect(frame).toMatchObject({
      type: "run_finished",
      run: { id: "7", status: "ok", exit_code: null, timed_out: false, oom_killed: false },
    });
    expect(frame).toMatchObject({ run: { compile_failed: false } });
    const refused = parseServerFrame(
      '{"type":"run_finished","run":{"id":"r","status":"failed","compile_failed":true}}',
    );
    expect(refused).toMatchObject({ run: { compile_failed: true } });
    expect(frame).toMatchObject({ run: { cpu_ms: null, memory_kb: null } });
    const measured = parseServerFrame(
      '{"type":"run_finished","run":{"id":"r","status":"ok","cpu_ms":12,"memory_kb":"7680"}}',
    );
    // A wrong type is taken as "not measured", not shown as text.
    expect(measured).toMatchObject({ run: { cpu_ms: 12, memory_kb: null } });
  });
});
