import type { SocketFactory, SocketLike } from "../client/socket";

/**
 * An in-memory stand-in for the server end of a WebSocket: tests open it, push frames
 * and close it the way a server would, and read what the client sent.
 */
export class MemorySocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  serverSend(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }

  serverClose(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

export function memorySockets(): { factory: SocketFactory; sockets: MemorySocket[] } {
  const sockets: MemorySocket[] = [];
  return {
    sockets,
    factory: (url) => {
      const socket = new MemorySocket(url);
      sockets.push(socket);
      return socket;
    },
  };
}
