import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Backoff } from "./backoff";
import { DocConnection } from "./docConnection";

/** A browser WebSocket as the provider uses it, closed by the test the way a server would. */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static opened: FakeWebSocket[] = [];
  readonly OPEN = 1;
  readyState = 0;
  binaryType = "blob";
  onopen: (() => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.opened.push(this);
  }

  send(): void {}

  close(): void {
    this.readyState = 3;
  }

  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

describe("DocConnection", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.opened = [];
  });
  afterEach(() => vi.useRealTimers());

  function open(token: string | null) {
    const conn = new DocConnection({
      wsBase: "ws://h",
      sessionId: "s1",
      token,
      user: { name: "Ada", color: "#e5484d" },
      persist: false,
      backoff: new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 }),
      WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket,
    });
    const seen: string[] = [];
    conn.on("forbidden", () => seen.push("forbidden"));
    conn.on("gone", () => seen.push("gone"));
    return { conn, seen };
  }

  it("carries the link token as ?t= on the document socket", () => {
    const { conn } = open("VIEW TOKEN");
    expect(FakeWebSocket.opened[0]?.url).toBe("ws://h/ws/doc/s1?t=VIEW%20TOKEN");
    conn.dispose();
    open(null);
    expect(FakeWebSocket.opened[1]?.url).toBe("ws://h/ws/doc/s1");
  });

  it("stops reconnecting when the server refuses the link with 4403", () => {
    const { conn, seen } = open("wrong");
    FakeWebSocket.opened[0]?.serverClose(4403, "that token does not open this session");
    vi.advanceTimersByTime(60_000);
    expect(seen).toEqual(["forbidden"]);
    expect(FakeWebSocket.opened).toHaveLength(1);
    expect(conn.state).toBe("offline");
    conn.dispose();
  });

  it("says why the server refused its changes as too large, and keeps trying", () => {
    const { conn } = open("tok");
    const refused: string[] = [];
    conn.on("refused", (reason) => refused.push(reason));
    FakeWebSocket.opened[0]?.serverClose(4413, "the code would be 300000 bytes");
    vi.advanceTimersByTime(5_000);
    expect(refused).toEqual(["the code would be 300000 bytes"]);
    expect(FakeWebSocket.opened.length).toBeGreaterThan(1);
    expect(conn.state).not.toBe("offline");
    conn.dispose();
  });

  it("keeps reconnecting after a transient close", () => {
    const { conn, seen } = open("tok");
    FakeWebSocket.opened[0]?.serverClose(1006);
    vi.advanceTimersByTime(5_000);
    expect(seen).toEqual([]);
    expect(FakeWebSocket.opened.length).toBeGreaterThan(1);
    expect(FakeWebSocket.opened.at(-1)?.url).toBe("ws://h/ws/doc/s1?t=tok");
    conn.dispose();
  });
});
