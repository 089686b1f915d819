import type { Peer } from "../client/presence";
import type { ConnectionState } from "../client/types";

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    parts.length > 1 ? `${parts[0]?.[0] ?? ""}${parts[1]?.[0] ?? ""}` : name.slice(0, 1);
  return letters.toUpperCase() || "?";
}

/** Everyone in the session: one avatar per person, you first. */
export function Presence({ peers }: { peers: Peer[] }) {
  return (
    <ul className="presence" data-testid="presence" aria-label="People in this session">
      {peers.map((p) => (
        <li
          key={p.clientId}
          className={`avatar${p.isLocal ? " avatar-self" : ""}`}
          style={{ backgroundColor: p.color }}
          title={p.isLocal ? `${p.name} (you)` : p.name}
          data-name={p.name}
        >
          {initials(p.name)}
        </li>
      ))}
    </ul>
  );
}

const HINTS: Record<ConnectionState, string> = {
  connected: "Live: edits sync as you type",
  connecting: "Connecting to the server…",
  offline: "Offline: keep editing, changes sync when the server is back",
};

/** The connection state, its text exactly one of connected / connecting / offline. */
export function ConnectionStatus({ state }: { state: ConnectionState }) {
  return (
    <span className={`conn conn-${state}`} title={HINTS[state]}>
      <span className="conn-dot" aria-hidden />
      <span data-testid="connection-status">{state}</span>
    </span>
  );
}
