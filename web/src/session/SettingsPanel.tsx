import { useEffect, useState } from "react";
import type { Prefs } from "../app/prefs";
import type { Limits } from "../client/types";
import { Icon } from "../components/Icon";

interface SettingsPanelProps {
  limits: Limits | null | undefined;
  timeLimit: number | undefined;
  onTimeLimit: (seconds: number | null) => void;
  /** View-only: the session's settings are shown, not changeable. */
  readOnly?: boolean;
  prefs: Prefs;
  onPrefs: (patch: Partial<Prefs>) => void;
  onClose: () => void;
}

const bytes = (n: number) =>
  n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`
    : `${Math.round(n / 1024)} KiB`;

function LimitRow({ label, value }: { label: string; value: string | undefined }) {
  return (
    <div className="limit-row">
      <span>{label}</span>
      <strong>{value ?? "—"}</strong>
    </div>
  );
}

/** Per-session settings (time limit, shared) and per-browser ones (name, theme). */
export function SettingsPanel({
  limits,
  timeLimit,
  onTimeLimit,
  readOnly = false,
  prefs,
  onPrefs,
  onClose,
}: SettingsPanelProps) {
  const max = limits?.time_limit_s;
  const [draft, setDraft] = useState(timeLimit === undefined ? "" : String(timeLimit));
  useEffect(() => setDraft(timeLimit === undefined ? "" : String(timeLimit)), [timeLimit]);

  const commit = () => {
    const value = draft.trim() === "" ? null : Number(draft);
    if (value !== null && (!Number.isFinite(value) || value <= 0))
      return setDraft(timeLimit === undefined ? "" : String(timeLimit));
    const clamped = value !== null && max !== undefined ? Math.min(value, max) : value;
    if (clamped !== (timeLimit ?? null)) onTimeLimit(clamped);
    setDraft(clamped === null ? "" : String(clamped));
  };

  return (
    <aside className="drawer" aria-label="Settings" data-testid="settings-panel">
      <header className="drawer-head">
        <h2>Settings</h2>
        <button
          type="button"
          className="btn icon-btn"
          onClick={onClose}
          aria-label="Close settings"
        >
          <Icon name="close" />
        </button>
      </header>
      <section className="drawer-section">
        <h3>You</h3>
        <label className="field">
          <span>Display name</span>
          <input
            value={prefs.name}
            maxLength={40}
            onChange={(e) => onPrefs({ name: e.target.value })}
          />
        </label>
        <label className="field">
          <span>Theme</span>
          <select
            value={prefs.theme}
            onChange={(e) => onPrefs({ theme: e.target.value as Prefs["theme"] })}
          >
            <option value="system">Follow system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </section>
      <section className="drawer-section">
        <h3>This session</h3>
        <label className="field">
          <span>Time limit per run (seconds){max !== undefined && ` — up to ${max}`}</span>
          <input
            type="number"
            min={1}
            max={max}
            step={1}
            placeholder={max !== undefined ? `Server limit (${max} s)` : "Server limit"}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={commit}
            onKeyDown={(e) => e.key === "Enter" && commit()}
            data-testid="time-limit-input"
            disabled={readOnly}
          />
        </label>
        <p className="hint">
          Shared with everyone in the session. Leave empty for the server's limit.
        </p>
      </section>
      <section className="drawer-section">
        <h3>Server limits per run</h3>
        {limits === undefined && <p className="hint">Loading…</p>}
        {limits === null && <p className="hint">This server does not publish its limits.</p>}
        {limits && (
          <div className="limits">
            <LimitRow
              label="Wall-clock time"
              value={limits.time_limit_s !== undefined ? `${limits.time_limit_s} s` : undefined}
            />
            <LimitRow
              label="Memory"
              value={limits.memory_mb !== undefined ? `${limits.memory_mb} MiB` : undefined}
            />
            <LimitRow
              label="Output"
              value={limits.output_bytes !== undefined ? bytes(limits.output_bytes) : undefined}
            />
            <LimitRow
              label="Processes"
              value={limits.pids !== undefined ? String(limits.pids) : undefined}
            />
            <LimitRow
              label="Source size"
              value={limits.code_bytes !== undefined ? bytes(limits.code_bytes) : undefined}
            />
            <LimitRow label="Network" value="none" />
          </div>
        )}
      </section>
    </aside>
  );
}
