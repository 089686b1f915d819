/**
 * The part of the browser's WebSocket the run channel uses. Tests pass an in-memory
 * pair behind the same shape.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export const OPEN = 1;

export const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/** Connection state from consecutive failures: one quick retry still counts as connecting. */
export function stateAfterFailures(failures: number): "connecting" | "offline" {
  return failures >= 2 ? "offline" : "connecting";
}
