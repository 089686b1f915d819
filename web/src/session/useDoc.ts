import { useEffect, useState, useSyncExternalStore } from "react";
import type * as Y from "yjs";
import { DocConnection } from "../client/docConnection";
import type { Peer, UserInfo } from "../client/presence";
import type { ConnectionState } from "../client/types";
import { wsBase } from "../client/urls";

export interface DocHandle {
  conn: DocConnection | null;
  state: ConnectionState;
  peers: Peer[];
  gone: boolean;
  /** The server refused this link (no token, a wrong one): nothing will load. */
  forbidden: boolean;
  /** Why the server refused this browser's latest changes (too large), until it takes them. */
  refused: string | null;
}

interface DocCallbacks {
  onJoin: (peer: Peer) => void;
  onLeave: (peer: Peer) => void;
}

/** Opens the session's shared document for as long as the component is mounted. */
export function useDoc(
  sessionId: string,
  token: string | null,
  user: UserInfo,
  callbacks: DocCallbacks,
): DocHandle {
  const [conn, setConn] = useState<DocConnection | null>(null);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [peers, setPeers] = useState<Peer[]>([]);
  const [gone, setGone] = useState(false);
  const [forbidden, setForbidden] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const [cb] = useState(() => ({ current: callbacks }));
  cb.current = callbacks;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the user is applied by the effect below; a new name must not reconnect.
  useEffect(() => {
    const c = new DocConnection({ wsBase: wsBase(), sessionId, token, user });
    setConn(c);
    setState(c.state);
    setGone(false);
    setForbidden(false);
    setRefused(null);
    const offs = [
      c.on("state", setState),
      c.on("presence", (change) => {
        setPeers((old) => (samePeers(old, change.peers) ? old : change.peers));
        for (const p of change.joined) cb.current.onJoin(p);
        for (const p of change.left) cb.current.onLeave(p);
      }),
      c.on("gone", () => {
        setGone(true);
        void c.clearLocal();
      }),
      c.on("forbidden", () => setForbidden(true)),
      c.on("refused", (reason) => setRefused(reason || "the code would be over the size limit")),
      c.on("synced", () => setRefused(null)),
    ];
    // The connection listed this person before anyone could listen: a person alone in
    // the session would see nobody until their presence next changed.
    setPeers(c.peers);
    return () => {
      for (const off of offs) off();
      c.dispose();
    };
  }, [sessionId, token, cb]);

  useEffect(() => {
    conn?.setUser(user);
  }, [conn, user]);

  return { conn, state, peers, gone, forbidden, refused };
}

function samePeers(a: Peer[], b: Peer[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (p, i) => p.clientId === b[i]?.clientId && p.name === b[i]?.name && p.color === b[i]?.color,
    )
  );
}

/** One key of a Y.Map as React state. */
export function useYMapValue<T>(map: Y.Map<unknown> | null, key: string): T | undefined {
  return useSyncExternalStore(
    (fn) => {
      if (!map) return () => {};
      const observer = (e: Y.YMapEvent<unknown>) => {
        if (e.keysChanged.has(key)) fn();
      };
      map.observe(observer);
      return () => map.unobserve(observer);
    },
    () => map?.get(key) as T | undefined,
  );
}
