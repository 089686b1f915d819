import { describe, expect, it } from "vitest";
import type { TimelineEvent } from "../client/types";
import { makeRun } from "../test/fixtures";
import {
  advance,
  buildReplay,
  editAt,
  IDLE_CAP_MS,
  mergeEvents,
  runAt,
  step,
  terminalAt,
} from "./replayModel";
import { finishedLine, inputText, startedLine, transcript } from "./runFormat";

const T0 = 1_700_000_000_000;

const events: TimelineEvent[] = [
  { t: T0, kind: "edit", seq: 1, author: null },
  { t: T0 + 100, kind: "edit", seq: 2, author: "Ada" },
  { t: T0 + 100, kind: "edit", seq: 3, author: "Bob" },
  { t: T0 + 200, kind: "edit", seq: 4, author: "Ada" },
  { t: T0 + 300, kind: "run_started", run_id: "r1", author: "Bob" },
  { t: T0 + 900, kind: "run_finished", run_id: "r1", author: "Bob", status: "ok" },
  { t: T0 + 60_000, kind: "edit", seq: 5, author: "Bob" },
  { t: T0 + 60_050, kind: "run_started", run_id: "r2", author: "Ada" },
];

describe("buildReplay", () => {
  const replay = buildReplay(events);

  it("arranges edits, runs, stops and people", () => {
    expect(replay.edits.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(replay.runs).toEqual([
      { id: "r1", started: T0 + 300, finished: T0 + 900, author: "Bob", status: "ok" },
      { id: "r2", started: T0 + 60_050, finished: null, author: "Ada", status: null },
    ]);
    expect(replay.stops).toEqual([
      T0,
      T0 + 100,
      T0 + 200,
      T0 + 300,
      T0 + 900,
      T0 + 60_000,
      T0 + 60_050,
    ]);
    expect([replay.start, replay.end]).toEqual([T0, T0 + 60_050]);
    expect(replay.people).toEqual([
      { name: "Ada", edits: 2 },
      { name: "Bob", edits: 2 },
    ]);
  });

  it("does not take the server's own edits (the starting code) for a person's", () => {
    const withStart = buildReplay([{ t: T0 - 10, kind: "edit", seq: 0, author: "api" }, ...events]);
    expect(withStart.people.map((p) => p.name)).toEqual(["Ada", "Bob"]);
    expect(withStart.edits[0]).toEqual({ t: T0 - 10, seq: 0, author: null });
  });

  it("is empty for a session with no history", () => {
    const empty = buildReplay([]);
    expect(empty.stops).toEqual([]);
    expect(editAt(empty, T0)).toEqual({ index: -1, edit: null });
    expect(runAt(empty, T0)).toBeNull();
  });

  it("finds the document's last edit and the run on screen at any moment", () => {
    expect(editAt(replay, T0 - 1).edit).toBeNull();
    expect(editAt(replay, T0 + 150).edit?.seq).toBe(3); // both edits of T0 + 100
    expect(editAt(replay, T0 + 59_999).edit?.seq).toBe(4);
    expect(runAt(replay, T0 + 299)).toBeNull();
    expect(runAt(replay, T0 + 5_000)?.id).toBe("r1"); // finished, still on screen
    expect(runAt(replay, T0 + 60_050)?.id).toBe("r2");
  });
});

describe("mergeEvents", () => {
  it("adds what a poll brought that was not known, in timeline order", () => {
    const known = events.slice(0, 6);
    // A poll reaches back and overlaps: the run's end and an edit come again.
    const fresh = events.slice(4);
    const merged = mergeEvents(known, fresh);
    expect(merged).toEqual(events);
    expect(mergeEvents(merged, fresh)).toBe(merged); // nothing new: the same array
  });

  it("orders ties as the server does: edits, run starts, run ends", () => {
    const t = T0 + 5;
    const end = { t, kind: "run_finished", run_id: "a", status: "ok" } as const;
    const start = { t, kind: "run_started", run_id: "b" } as const;
    const edit10 = { t, kind: "edit", seq: 10 } as const;
    const edit9 = { t, kind: "edit", seq: 9 } as const;
    expect(mergeEvents([end], [start, edit10, edit9])).toEqual([edit9, edit10, start, end]);
  });
});

describe("stepping and playing", () => {
  const replay = buildReplay(events);

  it("steps from moment to moment, and stays inside the session", () => {
    expect(step(replay, T0, 1)).toBe(T0 + 100);
    expect(step(replay, T0 + 150, 1)).toBe(T0 + 200);
    expect(step(replay, T0 + 200, -1)).toBe(T0 + 100);
    expect(step(replay, T0 + 150, -1)).toBe(T0 + 100); // between stops: back to the last
    expect(step(replay, T0, -1)).toBe(T0);
    expect(step(replay, replay.end, 1)).toBe(replay.end);
  });

  it("plays at the session's pace but shortens a long pause to the cap", () => {
    expect(advance(replay, T0, 50)).toBe(T0 + 50);
    expect(advance(replay, T0 + 200, 60)).toBe(T0 + 260);
    // After the run finishes, a minute passes before the next edit.
    expect(advance(replay, T0 + 900, IDLE_CAP_MS - 100)).toBe(T0 + 900 + IDLE_CAP_MS - 100);
    expect(advance(replay, T0 + 900 + IDLE_CAP_MS - 100, 200)).toBe(T0 + 60_000);
    expect(advance(replay, replay.end - 10, 1_000)).toBe(replay.end);
  });
});

describe("the terminal at a moment", () => {
  const run = makeRun({
    id: "r1",
    status: "failed",
    exit_code: 1,
    started_at: T0,
    finished_at: T0 + 500,
    duration_ms: 500,
  });
  const output = transcript([
    { seq: 0, t: T0 + 100, stream: "stdout", data: "one\n" },
    { seq: 1, t: T0 + 200, stream: "stderr", data: "two" },
    { seq: 2, t: T0 + 300, stream: "stdout", data: "three\n" },
  ]);

  it("starts clean, then appends while the moment moves forward", () => {
    const a = terminalAt(null, run, output, T0 + 150);
    expect(a.reset).toBe(true);
    expect(a.text).toBe(`${startedLine(run)}one\r\n`);
    const b = terminalAt(a.shown, run, output, T0 + 350);
    expect(b.reset).toBe(false);
    expect(b.text).toBe("\x1b[31mtwo\x1b[0mthree\r\n");
    const c = terminalAt(b.shown, run, output, T0 + 600);
    expect(c.reset).toBe(false);
    expect(c.text).toBe(finishedLine(run).replace(/^\r\n/, ""));
    expect(terminalAt(c.shown, run, output, T0 + 700)).toEqual({
      reset: false,
      text: "",
      shown: c.shown,
    });
  });

  it("redraws from the start when the moment moves back or the run changes", () => {
    const end = terminalAt(null, run, output, T0 + 600);
    const back = terminalAt(end.shown, run, output, T0 + 250);
    expect(back.reset).toBe(true);
    expect(back.text).toBe(`${startedLine(run)}one\r\n\x1b[31mtwo\x1b[0m`);
    const other = terminalAt(back.shown, { ...run, id: "r2" }, [], T0 + 250);
    expect(other.reset).toBe(true);
  });

  it("shows all of a finished run's output, even what is stamped after its finish", () => {
    const late = [
      ...output,
      ...transcript([{ seq: 3, t: T0 + 520, stream: "stdout", data: "last\n" }]),
    ];
    expect(terminalAt(null, run, late, T0 + 500).text).toContain("last\r\n");
  });

  it("shows what was typed where it was typed", () => {
    const typed = transcript(
      [
        { seq: 0, t: T0 + 100, stream: "stdout", data: "Name: " },
        { seq: 1, t: T0 + 300, stream: "stdout", data: "hi Zed\n" },
      ],
      [
        { seq: 0, t: T0 + 300, data: "Zed\n", eof: false },
        { seq: 1, t: T0 + 400, data: "", eof: true },
      ],
    );
    const at = terminalAt(null, run, typed, T0 + 450).text;
    expect(at).toBe(
      `${startedLine(run)}Name: ${inputText("Zed\n", false)}hi Zed\r\n${inputText("", true)}`,
    );
    // ^D ends its line: the finish line needs no newline of its own.
    expect(
      terminalAt(null, run, typed, T0 + 600).text.endsWith(
        `^D\x1b[0m\r\n${finishedLine(run).replace(/^\r\n/, "")}`,
      ),
    ).toBe(true);
  });

  it("puts the finish line on a line of its own", () => {
    const cut = output.slice(0, 2); // ends with "two", no newline
    expect(terminalAt(null, run, cut, T0 + 600).text.endsWith(finishedLine(run))).toBe(true);
  });
});
