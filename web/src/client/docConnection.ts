import { IndexeddbPersistence } from "y-indexeddb";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { Backoff } from "./backoff";
import { Emitter } from "./emitter";
import {
  type Announce,
  type Peer,
  type PresenceChange,
  PresenceTracker,
  type UserInfo,
} from "./presence";
import { stateAfterFailures } from "./socket";
import {
  CLOSE_FORBIDDEN,
  CLOSE_SESSION_GONE,
  CLOSE_TOO_LARGE,
  type ConnectionState,
} from "./types";

interface DocConnectionEvents {
  state: ConnectionState;
  presence: PresenceChange;
  /** The session is unknown or was deleted: the server closed the socket with 4404. */
  gone: undefined;
  /** The server refused this link (4403): no token, a wrong one, or a foreign origin. */
  forbidden: undefined;
  /** The server refused this browser's changes as too large (4413), with its reason.
   *  They stay here; reconnecting goes on, and succeeds once the code is small enough. */
  refused: string;
  /** Synced with the server (again): whatever it refused before, it holds everything now. */
  synced: undefined;
}

export interface DocConnectionOptions {
  /** `ws://host` (no trailing slash); the provider appends `/ws/doc/{sessionId}`. */
  wsBase: string;
  sessionId: string;
  /** The share link's token, sent as `?t=` (the only thing a browser can add to a WebSocket). */
  token?: string | null;
  user: UserInfo;
  /** Keep the document in IndexedDB so edits survive reloads while offline. */
  persist?: boolean;
  backoff?: Backoff;
  /** Joins within this long after (re)connecting are not announced (everyone already
   *  there arrives at once); leaves are, since they are real. */
  quietMs?: number;
  /** The WebSocket class (tests pass an in-memory one). */
  WebSocketImpl?: typeof WebSocket;
}

/**
 * One session's shared document: the stock y-websocket provider (reconnect scheduling
 * taken over to add jitter), IndexedDB persistence and awareness presence.
 */
export class DocConnection {
  readonly doc = new Y.Doc();
  readonly code: Y.Text;
  readonly meta: Y.Map<unknown>;
  readonly provider: WebsocketProvider;
  /** Resolves once the locally stored copy (if any) is loaded into `doc`. */
  readonly whenLocalLoaded: Promise<void>;

  private readonly events = new Emitter<DocConnectionEvents>();
  private readonly persistence: IndexeddbPersistence | null;
  private readonly backoff: Backoff;
  private readonly presence: PresenceTracker;
  private readonly quietMs: number;
  /** Until when joins are not announced; infinite while disconnected (nothing is). */
  private quietUntil = Number.POSITIVE_INFINITY;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPresence: PresenceChange = { peers: [], joined: [], left: [] };
  private _state: ConnectionState = "connecting";
  private disposed = false;

  constructor(options: DocConnectionOptions) {
    this.code = this.doc.getText("code");
    this.meta = this.doc.getMap("meta");
    this.backoff = options.backoff ?? new Backoff();
    this.quietMs = options.quietMs ?? 1500;
    this.presence = new PresenceTracker(this.doc.clientID);

    this.persistence =
      options.persist === false
        ? null
        : new IndexeddbPersistence(`playground:${options.sessionId}`, this.doc);
    this.whenLocalLoaded = this.persistence
      ? this.persistence.whenSynced.then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();

    this.provider = new WebsocketProvider(`${options.wsBase}/ws/doc`, options.sessionId, this.doc, {
      // Every server-side close ends the provider's own retry loop; `onClosed` schedules the
      // next attempt with jitter (or stops for good on 4404 and 4403).
      shouldReconnect: () => false,
      disableBc: false,
      params: options.token ? { t: options.token } : {},
      ...(options.WebSocketImpl ? { WebSocketPolyfill: options.WebSocketImpl } : {}),
    });
    this.provider.awareness.setLocalStateField("user", this.userState(options.user));
    this.provider.on("status", this.onStatus);
    this.provider.on("sync", this.onSync);
    this.provider.on("closed", this.onClosed);
    this.provider.awareness.on("change", this.onAwareness);
    // The local state was set before the listener: list ourselves right away.
    this.onAwareness();
  }

  get state(): ConnectionState {
    return this._state;
  }

  get peers(): Peer[] {
    return this.lastPresence.peers;
  }

  on<K extends keyof DocConnectionEvents>(
    event: K,
    handler: (value: DocConnectionEvents[K]) => void,
  ): () => void {
    return this.events.on(event, handler);
  }

  setUser(user: UserInfo): void {
    this.provider.awareness.setLocalStateField("user", this.userState(user));
  }

  /** Forgets the locally stored copy (the session is gone). */
  async clearLocal(): Promise<void> {
    await this.persistence?.clearData();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.provider.awareness.off("change", this.onAwareness);
    this.provider.off("status", this.onStatus);
    this.provider.off("sync", this.onSync);
    this.provider.off("closed", this.onClosed);
    this.events.clear();
    this.provider.destroy();
    void this.persistence?.destroy();
    this.doc.destroy();
  }

  private userState(user: UserInfo) {
    return { name: user.name, color: user.color, colorLight: `${user.color}33` };
  }

  private setState(state: ConnectionState): void {
    if (state === this._state) return;
    this._state = state;
    this.events.emit("state", state);
  }

  private readonly onStatus = ({ status }: { status: string }): void => {
    if (status === "disconnected") {
      this.quietUntil = Number.POSITIVE_INFINITY;
      this.setState(stateAfterFailures(this.backoff.attempts + 1));
    }
  };

  private readonly onSync = (synced: boolean): void => {
    if (!synced) return;
    this.backoff.reset();
    this.quietUntil = Date.now() + this.quietMs;
    this.setState("connected");
    this.events.emit("synced", undefined);
  };

  private readonly onClosed = (event: { code: number; reason?: string }): void => {
    if (this.disposed) return;
    if (event.code === CLOSE_TOO_LARGE) this.events.emit("refused", event.reason ?? "");
    if (event.code === CLOSE_SESSION_GONE || event.code === CLOSE_FORBIDDEN) {
      // Retrying cannot help: the session is gone, or this link does not open it.
      this.setState("offline");
      this.events.emit(event.code === CLOSE_SESSION_GONE ? "gone" : "forbidden", undefined);
      return;
    }
    const delay = this.backoff.next();
    this.setState(stateAfterFailures(this.backoff.attempts));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.disposed) this.provider.connect();
    }, delay);
  };

  private readonly onAwareness = (): void => {
    const announce: Announce =
      this.quietUntil === Number.POSITIVE_INFINITY
        ? "none"
        : Date.now() < this.quietUntil
          ? "leaves"
          : "all";
    const change = this.presence.update(this.provider.awareness.getStates(), announce);
    this.lastPresence = change;
    this.events.emit("presence", change);
  };
}
