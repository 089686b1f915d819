import { describe, expect, it } from "vitest";
import { makeRun } from "../test/fixtures";
import {
  counted,
  effectText,
  finishedLine,
  formatDuration,
  formatMemory,
  outputText,
  runFlags,
  runHeadline,
  startedLine,
} from "./runFormat";

describe("run formatting", () => {
  it("summarises each status", () => {
    expect(runHeadline(makeRun({ status: "ok", exit_code: 0 })).text).toBe("Exited 0");
    expect(runHeadline(makeRun({ status: "failed", exit_code: 3 })).text).toBe("Exit code 3");
    expect(runHeadline(makeRun({ status: "failed", exit_code: 137, oom_killed: true })).text).toBe(
      "Out of memory",
    );
    expect(
      runHeadline(makeRun({ status: "failed", exit_code: 137, output_truncated: true })).text,
    ).toBe("Output limit reached");
    expect(
      runHeadline(makeRun({ status: "failed", exit_code: 1, compile_failed: true })).text,
    ).toBe("Compile error");
    expect(runHeadline(makeRun({ status: "timeout", timed_out: true })).tone).toBe("warn");
    expect(runHeadline(makeRun({ status: "error" })).text).toBe("Platform error");
  });

  it("flags truncation and OOM where the headline does not already say so", () => {
    expect(runFlags(makeRun({ output_truncated: true, oom_killed: true }))).toEqual([
      "OOM killed",
      "output truncated",
    ]);
    expect(runFlags(makeRun({ status: "timeout", timed_out: true }))).toEqual([]);
    // "Output limit reached" with an "output truncated" badge beside it says it twice.
    const cut = makeRun({ status: "failed", exit_code: 137, output_truncated: true });
    expect(runFlags(cut)).toEqual([]);
    const oom = makeRun({ status: "failed", exit_code: 137, oom_killed: true });
    expect(runFlags(oom)).toEqual([]);
    const stoppedAtCap = makeRun({ status: "killed", output_truncated: true });
    expect(runFlags(stoppedAtCap)).toEqual(["output truncated"]);
  });

  it("names the language as people know it in a run's first line", () => {
    expect(startedLine(makeRun({ user: "Ada", language: "cpp" }))).toContain("Ada ran C++");
  });

  it("counts in words people read", () => {
    expect(counted(1, "edit")).toBe("1 edit");
    expect([counted(0, "run"), counted(3, "run")]).toEqual(["0 runs", "3 runs"]);
  });

  it("formats durations for people", () => {
    expect(formatDuration(42)).toBe("42 ms");
    expect(formatDuration(1234)).toBe("1.23 s");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(125_000)).toBe("2m 05s");
  });

  it("says what a program used, where it was measured", () => {
    expect(formatMemory(812)).toBe("812 KiB");
    expect(formatMemory(7680)).toBe("7.5 MiB");
    expect(formatMemory(262_144)).toBe("256 MiB");
    expect(formatMemory(3 * 1024 * 1024)).toBe("3.00 GiB");
    const measured = makeRun({
      status: "ok",
      exit_code: 0,
      duration_ms: 40,
      cpu_ms: 12,
      memory_kb: 7680,
    });
    expect(finishedLine(measured)).toContain("40 ms · CPU 12 ms · 7.5 MiB peak");
    // A run stopped, timed out or refused by its compiler was not measured: no figures.
    expect(finishedLine(makeRun({ status: "timeout", duration_ms: 10_000 }))).not.toContain("CPU");
  });

  it("colours stderr red and converts newlines for the terminal", () => {
    expect(outputText("stdout", "a\nb\r\n")).toBe("a\r\nb\r\n");
    expect(outputText("stderr", "err\n")).toBe("\x1b[31merr\r\n\x1b[0m");
  });

  it("starts the finish line on a new line only when needed", () => {
    const run = makeRun({ status: "ok", exit_code: 0, duration_ms: 5 });
    expect(finishedLine(run)).toMatch(/^\r\n.*Exited 0.*5 ms/);
    expect(effectText({ kind: "finished", run }, true)).not.toMatch(/^\r\n/);
  });
});
