import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "../app/router";
import type { Peer } from "../client/presence";
import type { ConnectionState, Language } from "../client/types";
import { Icon } from "../components/Icon";
import { languageLabel } from "../editor/languages";
import { ConnectionStatus, Presence } from "./Presence";
import { ShareButton, type ShareLinks } from "./SharePopover";

export const VIEW_ONLY_HINT =
  "You opened a view-only link: you can follow the code and its runs, not change or run it.";

interface TopBarProps {
  title: string;
  onRename: (title: string) => void;
  language: string;
  languages: Language[] | null;
  onLanguage: (id: string) => void;
  peers: Peer[];
  /** Show where this person is in the code. */
  onFollow?: (peer: Peer) => void;
  state: ConnectionState;
  /** This person holds the view-only link: nothing here can be changed. */
  viewOnly: boolean;
  shareLinks: ShareLinks;
  onCopied: (what: string) => void;
  onCopyFailed: (url: string) => void;
  onSettings: () => void;
  onHelp: () => void;
  onReplay: (() => void) | null;
  onExport: () => void;
}

export function TopBar(props: TopBarProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);
  const options = props.languages ?? [];
  const known = options.some((l) => l.id === props.language);

  const save = (e?: FormEvent) => {
    e?.preventDefault();
    setEditing(false);
    const title = draft.trim();
    if (title && title !== props.title) props.onRename(title);
  };

  return (
    <header className="topbar">
      <Link href="/" className="brand" title="All sessions">
        <span className="brand-mark" aria-hidden>
          <Icon name="terminal" size={16} />
        </span>
        <span className="brand-name">Playground</span>
      </Link>
      <span className="crumb-sep" aria-hidden>
        /
      </span>
      {editing ? (
        <form onSubmit={save} className="title-form">
          <input
            ref={input}
            value={draft}
            maxLength={120}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={() => save()}
            onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
            aria-label="Session title"
          />
        </form>
      ) : (
        // The session's title is the page's heading (for screen readers' outline).
        <h1 className="title-heading">
          <button
            type="button"
            className="title-btn"
            title={props.viewOnly ? props.title : "Rename"}
            disabled={props.viewOnly}
            onClick={() => {
              setDraft(props.title);
              setEditing(true);
            }}
          >
            {props.title || "Untitled session"}
          </button>
        </h1>
      )}
      {props.viewOnly && (
        <span className="view-badge" title={VIEW_ONLY_HINT} data-testid="view-only-badge">
          <Icon name="eye" size={14} /> View only
        </span>
      )}
      <select
        className="lang-select"
        data-testid="language-select"
        value={props.language}
        onChange={(e) => props.onLanguage(e.target.value)}
        aria-label="Language"
        disabled={props.viewOnly}
        title={props.viewOnly ? VIEW_ONLY_HINT : undefined}
      >
        {!known && props.language && (
          <option value={props.language}>{languageLabel(props.language)}</option>
        )}
        {options.map((l) => (
          <option key={l.id} value={l.id} title={l.version}>
            {l.name}
            {l.available ? "" : " (not installed)"}
          </option>
        ))}
      </select>
      <span className="spacer" />
      <Presence peers={props.peers} onFollow={props.onFollow} />
      <ConnectionStatus state={props.state} />
      {props.onReplay && (
        <button
          type="button"
          className="btn ghost"
          onClick={props.onReplay}
          aria-label="Replay"
          data-testid="replay-button"
        >
          <Icon name="replay" /> <span className="btn-label">Replay</span>
        </button>
      )}
      <ShareButton
        links={props.shareLinks}
        onCopied={props.onCopied}
        onCopyFailed={props.onCopyFailed}
      />
      <button
        type="button"
        className="btn icon-btn"
        onClick={props.onExport}
        aria-label="Download the history"
        title="Download the whole history (every edit and run) as a file"
        data-testid="export-button"
      >
        <Icon name="download" />
      </button>
      <button
        type="button"
        className="btn icon-btn"
        onClick={props.onSettings}
        aria-label="Settings"
        title="Settings"
      >
        <Icon name="gear" />
      </button>
      <button
        type="button"
        className="btn icon-btn"
        onClick={props.onHelp}
        data-testid="help-button"
        aria-label="Keyboard shortcuts"
        title="Keyboard shortcuts (?)"
      >
        <Icon name="keyboard" />
      </button>
    </header>
  );
}
