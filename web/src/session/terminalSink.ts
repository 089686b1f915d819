/** The part of an xterm Terminal the sink writes to. */
export interface TextTarget {
  write(data: string): void;
  clear(): void;
  reset(): void;
}

/**
 * Where run output goes. It outlives the terminal widget: text written before the widget
 * mounts (or while it remounts) is kept and replayed, so nothing from the run channel is
 * lost to React's timing.
 */
export class TerminalSink {
  private target: TextTarget | null = null;
  private backlog: string[] = [];
  private _atLineStart = true;
  private _empty = true;
  private listeners = new Set<() => void>();

  get atLineStart(): boolean {
    return this._atLineStart;
  }

  get empty(): boolean {
    return this._empty;
  }

  attach(target: TextTarget): void {
    this.target = target;
    for (const chunk of this.backlog) target.write(chunk);
  }

  detach(target: TextTarget): void {
    if (this.target === target) this.target = null;
  }

  write(text: string): void {
    if (text === "") return;
    this.backlog.push(text);
    this._atLineStart = text.endsWith("\n");
    this.target?.write(text);
    if (this._empty) {
      this._empty = false;
      this.notify();
    }
  }

  clear(): void {
    this.backlog = [];
    this._atLineStart = true;
    this.target?.reset();
    if (!this._empty) {
      this._empty = true;
      this.notify();
    }
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }
}
