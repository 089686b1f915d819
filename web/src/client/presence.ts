/** Someone in the session, as their awareness state tells. */
export interface Peer {
  clientId: number;
  name: string;
  color: string;
  isLocal: boolean;
}

export interface UserInfo {
  name: string;
  color: string;
}

export interface PresenceChange {
  peers: Peer[];
  joined: Peer[];
  left: Peer[];
}

function readUser(state: unknown): UserInfo | null {
  const user = (state as { user?: { name?: unknown; color?: unknown } } | null)?.user;
  if (typeof user?.name !== "string") return null;
  return { name: user.name, color: typeof user.color === "string" ? user.color : "#888888" };
}

/**
 * Which changes are worth telling the user about: all of them; only leaves (just after
 * connecting, when everyone already there is announced at once); or none (offline, when
 * everyone is dropped because we lost the connection, not because they left).
 */
export type Announce = "all" | "leaves" | "none";

/**
 * Turns awareness states into a stable list of people and the joins and leaves worth
 * telling the user about. Changes not announced still update the list.
 */
export class PresenceTracker {
  private known = new Map<number, Peer>();

  constructor(private readonly localId: number) {}

  update(states: ReadonlyMap<number, unknown>, announce: Announce): PresenceChange {
    const next = new Map<number, Peer>();
    for (const [clientId, state] of states) {
      const user = readUser(state);
      if (user === null) continue;
      next.set(clientId, { clientId, ...user, isLocal: clientId === this.localId });
    }
    const joined: Peer[] = [];
    const left: Peer[] = [];
    if (announce === "all") {
      for (const [id, peer] of next) if (!this.known.has(id) && !peer.isLocal) joined.push(peer);
    }
    if (announce !== "none") {
      for (const [id, peer] of this.known) if (!next.has(id) && !peer.isLocal) left.push(peer);
    }
    this.known = next;
    const peers = [...next.values()].sort(
      (a, b) =>
        Number(b.isLocal) - Number(a.isLocal) ||
        a.name.localeCompare(b.name) ||
        a.clientId - b.clientId,
    );
    return { peers, joined, left };
  }
}
