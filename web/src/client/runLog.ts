import {
  ACTIVE_STATUSES,
  type InputChunk,
  type OutputChunk,
  type Run,
  type ServerFrame,
} from "./types";

/** What a view must do to mirror the log; applied in order. */
export type RunLogEffect =
  | { kind: "reset"; run: Run | null }
  | { kind: "started"; run: Run }
  | { kind: "output"; chunk: OutputChunk }
  | { kind: "input"; chunk: InputChunk }
  | { kind: "finished"; run: Run };

/**
 * The live run of a session as seen through the run channel: the current run, its
 * output in `seq` order and what people typed into it. Invariant: each chunk is handed
 * out once, even when the catch-up `state` frame after a reconnect repeats what was seen.
 */
export class RunLog {
  private _run: Run | null = null;
  private nextSeq = 0;
  private nextInputSeq = 0;

  get run(): Run | null {
    return this._run;
  }

  get active(): boolean {
    return this._run !== null && ACTIVE_STATUSES.has(this._run.status);
  }

  apply(frame: ServerFrame): RunLogEffect[] {
    switch (frame.type) {
      case "state":
        return this.catchUp(frame.active_run, frame.output, frame.input ?? []);
      case "run_started":
        this._run = frame.run;
        this.nextSeq = 0;
        this.nextInputSeq = 0;
        return [
          { kind: "reset", run: frame.run },
          { kind: "started", run: frame.run },
        ];
      case "output":
        if (this._run === null || frame.run_id !== this._run.id) return [];
        return this.take(frame);
      case "input":
        if (this._run === null || frame.run_id !== this._run.id) return [];
        return this.takeInput(frame);
      case "run_finished":
        if (this._run !== null && this._run.id !== frame.run.id) return [];
        this._run = frame.run;
        return [{ kind: "finished", run: frame.run }];
      case "error":
        return [];
    }
  }

  private take(chunk: OutputChunk): RunLogEffect[] {
    if (chunk.seq < this.nextSeq) return [];
    this.nextSeq = chunk.seq + 1;
    const { run_id, seq, stream, data } = chunk;
    return [{ kind: "output", chunk: { run_id, seq, stream, data } }];
  }

  private takeInput(chunk: InputChunk): RunLogEffect[] {
    if (chunk.seq < this.nextInputSeq) return [];
    this.nextInputSeq = chunk.seq + 1;
    const { run_id, seq, t, data, eof } = chunk;
    return [{ kind: "input", chunk: { run_id, seq, t, data, eof } }];
  }

  private catchUp(run: Run | null, output: OutputChunk[], input: InputChunk[]): RunLogEffect[] {
    const effects: RunLogEffect[] = [];
    const same = run !== null && this._run !== null && run.id === this._run.id;
    const wasActive = this.active;
    if (!same) {
      this._run = run;
      this.nextSeq = 0;
      this.nextInputSeq = 0;
      effects.push({ kind: "reset", run });
      if (run === null) return effects;
      effects.push({ kind: "started", run });
    } else {
      this._run = run;
    }
    // Output and input come apart in this frame: placed by time, input first on a tie
    // (what was typed comes before what the program made of it).
    const pieces = [
      ...output.filter((c) => c.run_id === run.id).map((chunk) => ({ chunk, input: false })),
      ...input.filter((c) => c.run_id === run.id).map((chunk) => ({ chunk, input: true })),
    ].sort(
      (a, b) =>
        (a.chunk.t ?? 0) - (b.chunk.t ?? 0) ||
        Number(b.input) - Number(a.input) ||
        a.chunk.seq - b.chunk.seq,
    );
    for (const { chunk, input: typed } of pieces)
      effects.push(
        ...(typed ? this.takeInput(chunk as InputChunk) : this.take(chunk as OutputChunk)),
      );
    if (!ACTIVE_STATUSES.has(run.status) && (!same || wasActive)) {
      effects.push({ kind: "finished", run });
    }
    return effects;
  }
}
