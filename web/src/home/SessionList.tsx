import { useState } from "react";
import { Link } from "../app/router";
import type { Session } from "../client/types";
import { sessionPath } from "../client/urls";
import { Icon } from "../components/Icon";
import { Modal } from "../components/Modal";
import { languageLabel } from "../editor/languages";
import { relativeTime, runHeadline } from "../session/runFormat";

interface SessionListProps {
  sessions: Session[];
  languageNames: Record<string, string>;
  onDelete: (session: Session) => Promise<void>;
  /** Where a row leads: the session page, with this browser's share-link token for it. */
  hrefFor?: (session: Session) => string;
  now?: number;
}

/** The session list; deleting asks first. */
export function SessionList({
  sessions,
  languageNames,
  onDelete,
  hrefFor = (s) => sessionPath(s.id),
  now = Date.now(),
}: SessionListProps) {
  const [confirming, setConfirming] = useState<Session | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    if (!confirming) return;
    setBusy(true);
    try {
      await onDelete(confirming);
      setConfirming(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <ul className="session-list" data-testid="session-list">
        {sessions.map((s) => {
          const last = s.last_run ? runHeadline(s.last_run) : null;
          return (
            <li key={s.id} className="session-row">
              <Link href={hrefFor(s)} className="session-link">
                <span className={`lang-badge lang-${s.language}`}>
                  {languageNames[s.language] ?? languageLabel(s.language)}
                </span>
                <span className="session-title">{s.title || "Untitled session"}</span>
                {last && (
                  <span className={`dot dot-${last.tone}`} title={`Last run: ${last.text}`} />
                )}
                <span className="session-time" title={new Date(s.updated_at).toLocaleString()}>
                  {relativeTime(s.updated_at, now)}
                </span>
              </Link>
              <button
                type="button"
                className="btn icon-btn row-delete"
                aria-label={`Delete ${s.title || "session"}`}
                title="Delete"
                onClick={() => setConfirming(s)}
              >
                <Icon name="trash" />
              </button>
            </li>
          );
        })}
      </ul>
      {confirming && (
        <Modal
          title="Delete this session?"
          onClose={() => !busy && setConfirming(null)}
          footer={
            <>
              <button
                type="button"
                className="btn"
                onClick={() => setConfirming(null)}
                disabled={busy}
              >
                Cancel
              </button>
              <button type="button" className="btn danger" onClick={confirm} disabled={busy}>
                {busy ? "Deleting…" : "Delete"}
              </button>
            </>
          }
        >
          <p>
            “{confirming.title || "Untitled session"}” and its run history will be deleted for
            everyone. People in it are sent back to their session list.
          </p>
        </Modal>
      )}
    </>
  );
}
