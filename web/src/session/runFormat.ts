import type { RunLogEffect } from "../client/runLog";
import type { OutputStream, Run, StoredInput, StoredOutput } from "../client/types";
import { languageLabel } from "../editor/languages";

export function formatDuration(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

export function formatMemory(kb: number | null | undefined): string {
  if (kb === null || kb === undefined) return "";
  if (kb < 1024) return `${kb} KiB`;
  const mib = kb / 1024;
  if (mib < 1024) return `${mib.toFixed(mib < 10 ? 1 : 0)} MiB`;
  return `${(mib / 1024).toFixed(2)} GiB`;
}

/** What the program used, where it was measured: "CPU 12 ms · 7.5 MiB peak". */
export function runUsage(run: Run): string {
  const parts: string[] = [];
  if (run.cpu_ms !== null && run.cpu_ms !== undefined)
    parts.push(`CPU ${formatDuration(run.cpu_ms)}`);
  if (run.memory_kb !== null && run.memory_kb !== undefined)
    parts.push(`${formatMemory(run.memory_kb)} peak`);
  return parts.join(" · ");
}

/** "1 edit", "3 edits": a count with its noun (plural by adding `s`). */
export function counted(n: number, noun: string): string {
  return `${n.toLocaleString()} ${noun}${n === 1 ? "" : "s"}`;
}

export type Tone = "neutral" | "busy" | "ok" | "bad" | "warn";

/** The headline of a run's status: what a person wants to know at a glance. */
export function runHeadline(run: Run): { text: string; tone: Tone } {
  switch (run.status) {
    case "queued":
      return { text: "Queued", tone: "busy" };
    case "running":
      return { text: "Running", tone: "busy" };
    case "ok":
      return { text: "Exited 0", tone: "ok" };
    case "failed":
      // The platform's own kills say why; their exit code (137) would only puzzle.
      if (run.oom_killed) return { text: "Out of memory", tone: "bad" };
      if (run.output_truncated) return { text: "Output limit reached", tone: "bad" };
      if (run.compile_failed) return { text: "Compile error", tone: "bad" };
      return { text: `Exit code ${run.exit_code ?? "?"}`, tone: "bad" };
    case "timeout":
      return { text: "Timed out", tone: "warn" };
    case "killed":
      return { text: "Stopped", tone: "warn" };
    case "error":
      return { text: "Platform error", tone: "bad" };
  }
}

/** Exceptional conditions worth a badge of their own: those the headline does not say. */
export function runFlags(run: Run): string[] {
  const headline = runHeadline(run).text;
  const flags: string[] = [];
  if (run.timed_out && run.status !== "timeout") flags.push("time limit hit");
  if (run.oom_killed && headline !== "Out of memory") flags.push("OOM killed");
  if (run.output_truncated && headline !== "Output limit reached") flags.push("output truncated");
  return flags;
}

export function clockTime(ms: number | null): string {
  if (ms === null) return "";
  return new Date(ms).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d} d ago`;
  return new Date(ms).toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" });
}

const ESC = "\x1b[";
// Our own lines are grey (bright black, which the terminal themes set to 4.5:1 or more),
// not dim: xterm draws dim at half opacity, under the contrast a reader needs.
const GREY = `${ESC}90m`;
const RED = `${ESC}31m`;
const GREEN = `${ESC}32m`;
const YELLOW = `${ESC}33m`;
const CYAN = `${ESC}36m`;
const BOLD = `${ESC}1m`;
const RESET = `${ESC}0m`;

/** Terminal text for program output: newlines as CRLF; stderr in red. */
export function outputText(stream: OutputStream, data: string): string {
  const text = data.replace(/\r?\n/g, "\r\n");
  return stream === "stderr" ? `${RED}${text}${RESET}` : text;
}

/** Terminal text for what someone typed into the program: in cyan, as a terminal echoes
 * it; the end of stdin as a dim ^D. */
export function inputText(data: string, eof: boolean): string {
  if (eof) return `${GREY}^D${RESET}\r\n`;
  return `${CYAN}${data.replace(/\r?\n/g, "\r\n")}${RESET}`;
}

/** One piece of a stored run's transcript: output, or input typed while it ran. */
export type TranscriptPiece =
  | ({ kind: "output" } & StoredOutput)
  | ({ kind: "input" } & StoredInput);

/** A stored run's output and typed input in the order they happened (by time, input
 * first on a tie: what was typed comes before what the program made of it). */
export function transcript(
  output: readonly StoredOutput[],
  input: readonly StoredInput[] = [],
): TranscriptPiece[] {
  const pieces: TranscriptPiece[] = [
    ...output.map((c) => ({ kind: "output" as const, ...c })),
    ...input.map((c) => ({ kind: "input" as const, ...c })),
  ];
  const rank = (p: TranscriptPiece) => (p.kind === "input" ? 0 : 1);
  return pieces.sort((a, b) => a.t - b.t || rank(a) - rank(b) || a.seq - b.seq);
}

/** Terminal text of one transcript piece. */
export function pieceText(piece: TranscriptPiece): string {
  return piece.kind === "input"
    ? inputText(piece.data, piece.eof)
    : outputText(piece.stream, piece.data);
}

export function startedLine(run: Run): string {
  const who = run.user ? `${run.user} ran` : "Run of";
  return `${GREY}── ${who} ${languageLabel(run.language)}${run.started_at ? ` at ${clockTime(run.started_at)}` : ""} ──${RESET}\r\n`;
}

export function finishedLine(run: Run): string {
  const { text, tone } = runHeadline(run);
  const color = tone === "ok" ? GREEN : tone === "warn" ? YELLOW : RED;
  const mark = tone === "ok" ? "✓" : tone === "warn" ? "■" : "✗";
  const extras = [formatDuration(run.duration_ms), runUsage(run), ...runFlags(run)]
    .filter(Boolean)
    .join(" · ");
  return `\r\n${color}${BOLD}${mark} ${text}${RESET}${extras ? `${GREY} · ${extras}${RESET}` : ""}\r\n`;
}

/**
 * The terminal text of one run-log effect. `atLineStart` tells whether the terminal's
 * cursor is at the start of a line, so the finish line never glues onto program output.
 */
export function effectText(effect: RunLogEffect, atLineStart: boolean): string {
  switch (effect.kind) {
    case "reset":
      return "";
    case "started":
      return startedLine(effect.run);
    case "output":
      return outputText(effect.chunk.stream, effect.chunk.data);
    case "input":
      return inputText(effect.chunk.data, effect.chunk.eof);
    case "finished":
      return atLineStart ? finishedLine(effect.run).replace(/^\r\n/, "") : finishedLine(effect.run);
  }
}
