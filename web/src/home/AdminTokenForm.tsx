import { type FormEvent, useState } from "react";
import { Icon } from "../components/Icon";

interface AdminTokenFormProps {
  /** A token was sent and the server refused it. */
  rejected: boolean;
  onSave: (token: string) => void;
}

/** Asked for when the server keeps its session list to the admin (a protected instance). */
export function AdminTokenForm({ rejected, onSave }: AdminTokenFormProps) {
  const [draft, setDraft] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const token = draft.trim();
    if (token) onSave(token);
  };
  return (
    <form className="admin-form" onSubmit={submit} data-testid="admin-form">
      <div className="admin-form-head">
        <Icon name="lock" size={18} />
        <h2>This playground is protected</h2>
      </div>
      <p>
        Listing and creating sessions needs the admin token this server was started with (
        <code>PLAYGROUND_ADMIN_TOKEN</code>). People you share a session with do not need it: its
        share link is enough.
      </p>
      {rejected && (
        <div className="error-box" role="alert">
          The server did not accept that token. Check it and try again.
        </div>
      )}
      <label className="field">
        <span>Admin token</span>
        <input
          type="password"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          autoComplete="current-password"
          data-testid="admin-token-input"
        />
      </label>
      <p className="hint">Kept in this browser only.</p>
      <button type="submit" className="btn primary" disabled={!draft.trim()}>
        Unlock
      </button>
    </form>
  );
}
