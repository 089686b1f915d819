import type { Peer } from "../client/presence";
import type { ConnectionState } from "../client/types";
import { textOn } from "../components/contrast";
import { usePopover } from "../components/useDismiss";

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    parts.length > 1 ? `${parts[0]?.[0] ?? ""}${parts[1]?.[0] ?? ""}` : name.slice(0, 1);
  return letters.toUpperCase() || "?";
}

/** Avatars shown in the top bar; past this many, the last place says "+N" and opens the list. */
export const MAX_AVATARS = 5;

/** Show me where this person is in the code. */
type Follow = (peer: Peer) => void;

function Avatar({ peer, onFollow }: { peer: Peer; onFollow?: Follow }) {
  const label = initials(peer.name);
  return (
    <li
      className={`avatar${peer.isLocal ? " avatar-self" : ""}`}
      style={{ backgroundColor: peer.color, color: textOn(peer.color) }}
      title={peer.isLocal ? `${peer.name} (you)` : peer.name}
      data-name={peer.name}
    >
      {peer.isLocal || !onFollow ? (
        label
      ) : (
        // Someone else: a button that shows where they are in the code.
        <button
          type="button"
          className="avatar-follow"
          onClick={() => onFollow(peer)}
          aria-label={`${label}: show where ${peer.name} is`}
        >
          {label}
        </button>
      )}
    </li>
  );
}

/** Everyone in the session: one avatar per person, you first; a crowd folds into "+N".
 * Clicking someone else shows where they are (`onFollow`). */
export function Presence({ peers, onFollow }: { peers: Peer[]; onFollow?: Follow }) {
  const { open, close, trigger, wrap } = usePopover<HTMLLIElement>();
  const folded = peers.length > MAX_AVATARS;
  const shown = folded ? peers.slice(0, MAX_AVATARS - 1) : peers;
  const more = peers.length - shown.length;
  return (
    <ul className="presence" data-testid="presence" aria-label="People in this session">
      {shown.map((p) => (
        <Avatar key={p.clientId} peer={p} onFollow={onFollow} />
      ))}
      {folded && (
        <li className="presence-more" ref={wrap}>
          <button
            {...trigger}
            className="avatar avatar-more"
            aria-label={`${more} more: everyone here`}
            data-testid="presence-more"
          >
            +{more}
          </button>
          {open && (
            <div className="presence-popover" role="dialog" aria-label="Everyone here">
              <ul data-testid="presence-list">
                {peers.map((p) => (
                  <li key={p.clientId} data-name={p.name}>
                    <button
                      type="button"
                      className="presence-row"
                      disabled={p.isLocal || !onFollow}
                      onClick={() => {
                        close();
                        onFollow?.(p);
                      }}
                    >
                      <span className="presence-dot" style={{ backgroundColor: p.color }} />
                      <span className="presence-name">{p.name}</span>
                      {p.isLocal && <span className="hint">you</span>}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </li>
      )}
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
