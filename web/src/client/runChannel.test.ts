import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeRun } from "../test/fixtures";
import { memorySockets } from "../test/memorySocket";
import { Backoff } from "./backoff";
import { RunChannel } from "./runChannel";
import type { ConnectionState, ServerFrame } from "./types";

describe("RunChannel", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const { factory, sockets } = memorySockets();
    const channel = new RunChannel("ws://h/ws/run/s1", {
      socketFactory: factory,
      backoff: new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 }),
    });
    const states: ConnectionState[] = [];
    const frames: ServerFrame[] = [];
    channel.on("state", (s) => states.push(s));
    channel.on("frame", (f) => frames.push(f));
    return { channel, sockets, states, frames };
  }

  it("delivers typed frames and sends typed commands", () => {
    const { channel, sockets, frames } = setup();
    expect(channel.state).toBe("connecting");
    expect(channel.run("ada")).toBe(false);
    const socket = sockets[0];
    if (!socket) throw new Error("no socket opened");
    expect(socket.url).toBe("ws://h/ws/run/s1");
    socket.serverOpen();
    expect(channel.state).toBe("connected");
    socket.serverSend({ type: "run_started", run: makeRun() });
    socket.serverSend("garbage");
    expect(frames).toEqual([{ type: "run_started", run: makeRun() }]);
    expect(channel.run("ada", "in")).toBe(true);
    channel.sendStdin("line\n");
    channel.sendEof();
    channel.stop();
    expect(socket.sent.map((s) => JSON.parse(s))).toEqual([
      { type: "run", user: "ada", stdin: "in" },
      { type: "stdin", data: "line\n" },
      { type: "stdin", eof: true },
      { type: "stop" },
    ]);
  });

  it("reconnects with growing delays and reports offline after repeated failures", () => {
    const { sockets, states } = setup();
    sockets[0]?.serverOpen();
    sockets[0]?.serverClose(1006);
    expect(states).toEqual(["connected", "connecting"]);
    vi.advanceTimersByTime(74);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1]?.serverClose(1006);
    expect(states.at(-1)).toBe("offline");
    vi.advanceTimersByTime(149);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    sockets[2]?.serverOpen();
    expect(states.at(-1)).toBe("connected");
    // A success resets the backoff: the next drop retries at the first delay again.
    sockets[2]?.serverClose(1006);
    vi.advanceTimersByTime(75);
    expect(sockets).toHaveLength(4);
  });

  it("stops for good when the session is gone", () => {
    const { channel, sockets } = setup();
    let gone = false;
    channel.on("gone", () => {
      gone = true;
    });
    sockets[0]?.serverOpen();
    sockets[0]?.serverClose(4404, "session deleted");
    vi.advanceTimersByTime(60_000);
    expect(gone).toBe(true);
    expect(sockets).toHaveLength(1);
    expect(channel.state).toBe("offline");
  });

  it("stops for good when the server refuses the link (4403), unlike a transient close", () => {
    const { channel, sockets } = setup();
    let forbidden = 0;
    channel.on("forbidden", () => {
      forbidden++;
    });
    sockets[0]?.serverClose(4403, "this session needs a share link's token");
    vi.advanceTimersByTime(60_000);
    expect(forbidden).toBe(1);
    expect(sockets).toHaveLength(1);
    expect(channel.state).toBe("offline");
  });

  it("dispose closes the socket and cancels a pending retry", () => {
    const first = setup();
    first.sockets[0]?.serverOpen();
    first.channel.dispose();
    expect(first.sockets[0]?.closedByClient?.code).toBe(1000);

    const second = setup();
    second.sockets[0]?.serverClose(1006);
    second.channel.dispose();
    vi.advanceTimersByTime(60_000);
    expect(second.sockets).toHaveLength(1);
  });
});
