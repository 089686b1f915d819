import { Backoff } from "./backoff";
import { Emitter } from "./emitter";
import { parseServerFrame } from "./frames";
import {
  browserSocket,
  OPEN,
  type SocketFactory,
  type SocketLike,
  stateAfterFailures,
} from "./socket";
import {
  CLOSE_FORBIDDEN,
  CLOSE_SESSION_GONE,
  type ClientFrame,
  type ConnectionState,
  type ServerFrame,
} from "./types";

interface RunChannelEvents {
  frame: ServerFrame;
  state: ConnectionState;
  /** The session is unknown or was deleted (close code 4404); the channel stops. */
  gone: undefined;
  /** This link does not open the session (close code 4403); the channel stops. */
  forbidden: undefined;
}

export interface RunChannelOptions {
  socketFactory?: SocketFactory;
  backoff?: Backoff;
}

/**
 * The run channel of one session (`/ws/run/{id}?t=TOKEN`): typed frames in and out,
 * reconnecting on its own with jittered backoff until disposed, told the session is gone,
 * or refused.
 */
export class RunChannel {
  private readonly events = new Emitter<RunChannelEvents>();
  private readonly socketFactory: SocketFactory;
  private readonly backoff: Backoff;
  private socket: SocketLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private _state: ConnectionState = "connecting";

  constructor(
    readonly url: string,
    options: RunChannelOptions = {},
  ) {
    this.socketFactory = options.socketFactory ?? browserSocket;
    this.backoff = options.backoff ?? new Backoff();
    this.open();
  }

  get state(): ConnectionState {
    return this._state;
  }

  on<K extends keyof RunChannelEvents>(
    event: K,
    handler: (value: RunChannelEvents[K]) => void,
  ): () => void {
    return this.events.on(event, handler);
  }

  /** Sends a frame; `false` when the channel is not connected (nothing is queued). */
  send(frame: ClientFrame): boolean {
    if (this.socket === null || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  run(user: string, stdin?: string): boolean {
    return this.send(stdin === undefined ? { type: "run", user } : { type: "run", user, stdin });
  }

  stop(): boolean {
    return this.send({ type: "stop" });
  }

  sendStdin(data: string): boolean {
    return this.send({ type: "stdin", data });
  }

  sendEof(): boolean {
    return this.send({ type: "stdin", eof: true });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, "client closed");
    }
    this.events.clear();
  }

  private setState(state: ConnectionState): void {
    if (state === this._state) return;
    this._state = state;
    this.events.emit("state", state);
  }

  private open(): void {
    this.retryTimer = null;
    if (this.disposed) return;
    const socket = this.socketFactory(this.url);
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.backoff.reset();
      this.setState("connected");
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket || typeof ev.data !== "string") return;
      const frame = parseServerFrame(ev.data);
      if (frame !== null) this.events.emit("frame", frame);
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (ev.code === CLOSE_SESSION_GONE || ev.code === CLOSE_FORBIDDEN) {
        this.setState("offline");
        this.events.emit(ev.code === CLOSE_SESSION_GONE ? "gone" : "forbidden", undefined);
        return;
      }
      const delay = this.backoff.next();
      this.setState(stateAfterFailures(this.backoff.attempts));
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
  }
}
