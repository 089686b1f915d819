import { useEffect, useState } from "react";
import type { Prefs } from "../app/prefs";
import type { Limits } from "../client/types";
import { Icon } from "../components/Icon";

interface SettingsPanelProps {
  limits: Limits | null | undefined;
  timeLimit: number | undefined;
  onTimeLimit: (seconds: number | null) => void;
  memoryLimit: number | undefined;
  onMemoryLimit: (mib: number | null) => void;
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

/** The least memory limit a session may set (the server ignores anything lower). */
export const MIN_MEMORY_MB = 16;

/**
 * One of the session's own limits: empty for the server's, else a number from `min` up
 * to the server's (`max`), clamped on commit (Enter or leaving the field); anything
 * else puts the field back as it was.
 */
function SessionLimitField({
  label,
  unit,
  value,
  min,
  max,
  integer,
  onChange,
  readOnly,
  testId,
}: {
  label: string;
  unit: string;
  value: number | undefined;
  min: number;
  max: number | undefined;
  integer: boolean;
  onChange: (value: number | null) => void;
  readOnly: boolean;
  testId: string;
}) {
  const shown = value === undefined ? "" : String(value);
  const [draft, setDraft] = useState(shown);
  useEffect(() => setDraft(shown), [shown]);

  const commit = () => {
    const typed = draft.trim() === "" ? null : Number(draft);
    if (typed !== null && (!Number.isFinite(typed) || typed <= 0)) return setDraft(shown);
    let next = typed;
    if (next !== null) {
      next = Math.max(integer ? Math.round(next) : next, min);
      if (max !== undefined) next = Math.min(next, max);
    }
    if (next !== (value ?? null)) onChange(next);
    setDraft(next === null ? "" : String(next));
  };

  return (
    <label className="field">
      <span>
        {label} ({unit}){max !== undefined && ` — up to ${max}`}
      </span>
      <input
        type="number"
        min={min}
        max={max}
        step={1}
        placeholder={max !== undefined ? `Server limit (${max} ${unit})` : "Server limit"}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === "Enter" && commit()}
        data-testid={testId}
        disabled={readOnly}
      />
    </label>
  );
}

/** Per-session settings (time and memory limits, shared) and per-browser ones (name,
 * theme). */
export function SettingsPanel({
  limits,
  timeLimit,
  onTimeLimit,
  memoryLimit,
  onMemoryLimit,
  readOnly = false,
  prefs,
  onPrefs,
  onClose,
}: SettingsPanelProps) {
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
        <SessionLimitField
          label="Time limit per run"
          unit="s"
          value={timeLimit}
          min={1}
          max={limits?.time_limit_s}
          integer={false}
          onChange={onTimeLimit}
          readOnly={readOnly}
          testId="time-limit-input"
        />
        <SessionLimitField
          label="Memory limit per run"
          unit="MiB"
          value={memoryLimit}
          min={MIN_MEMORY_MB}
          max={limits?.memory_mb}
          integer
          onChange={onMemoryLimit}
          readOnly={readOnly}
          testId="memory-limit-input"
        />
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
