export interface BackoffOptions {
  /** Delay ceiling of the first retry, ms. */
  baseMs?: number;
  /** Largest delay ever returned, ms. */
  maxMs?: number;
  factor?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": each delay lies in [cap/2, cap) where the cap
 * doubles per failed attempt up to `maxMs`. Half the delay is random so that many clients
 * cut off by one server restart do not all come back in the same instant.
 */
export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 300;
    this.maxMs = options.maxMs ?? 8000;
    this.factor = options.factor ?? 2;
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * this.factor ** this.failures);
    this.failures += 1;
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
