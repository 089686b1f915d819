import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { navigate } from "../app/router";
import { useLanguages } from "../app/useLanguages";
import {
  adminToken,
  forgetToken,
  linkToken,
  rememberedToken,
  rememberToken,
  setAdminToken,
} from "../client/access";
import { ApiError, api } from "../client/api";
import type { CreatedSession, Language, Session } from "../client/types";
import { sessionPath } from "../client/urls";
import { Icon } from "../components/Icon";
import { ThemeToggle } from "../components/ThemeToggle";
import { useToast } from "../components/Toasts";
import { shortVersion } from "../editor/languages";
import { AdminTokenForm } from "./AdminTokenForm";
import { CreateSessionDialog } from "./CreateSessionDialog";
import { SessionList } from "./SessionList";

const PAGE = 50;

export function HomePage() {
  const toast = useToast();
  const { languages, error: langError } = useLanguages();
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [language, setLanguage] = useState("");
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  // On a protected instance the list, creating and deleting need the admin token.
  const [admin, setAdmin] = useState(adminToken);
  const [needsAdmin, setNeedsAdmin] = useState(false);
  const homeApi = useMemo(() => api.withCredentials({ admin }), [admin]);

  useEffect(() => {
    document.title = "Playground";
    const timer = setTimeout(() => setQuery(q.trim()), 250);
    return () => clearTimeout(timer);
  }, [q]);

  const load = useCallback(
    (offset: number) =>
      homeApi.listSessions({ q: query, language, limit: PAGE, offset }).then(
        (page) => {
          setSessions((old) => (offset === 0 ? page.items : [...(old ?? []), ...page.items]));
          setTotal(page.total);
          setError(null);
          setNeedsAdmin(false);
        },
        (err: Error) => {
          if (err instanceof ApiError && err.status === 403) setNeedsAdmin(true);
          else setError(err.message);
        },
      ),
    [homeApi, query, language],
  );
  useEffect(() => {
    void load(0);
  }, [load]);

  const names = useMemo(
    () => Object.fromEntries((languages ?? []).map((l) => [l.id, l.name])),
    [languages],
  );

  const saveAdmin = (token: string | null) => {
    setAdminToken(token);
    setAdmin(token);
  };

  const openCreated = (s: CreatedSession) => {
    // The creator keeps the edit link: the session list opens it with it later.
    const token = s.links ? linkToken(s.links.edit) : null;
    if (token) rememberToken(s.id, token, "edit");
    navigate(sessionPath(s.id, token));
  };
  const create = async (input: { title: string; language: string; code: string }) => {
    openCreated(await homeApi.createSession(input));
  };
  const importPicker = useRef<HTMLInputElement>(null);
  const importFile = async (file: File) => {
    try {
      openCreated(await homeApi.importSession(file));
    } catch (err) {
      toast("error", "Could not import the session", (err as Error).message);
    }
  };
  const startSample = (l: Language) =>
    create({ title: `${l.name} sample`, language: l.id, code: l.template }).catch((err: Error) =>
      toast("error", "Could not create the session", err.message),
    );
  const remove = async (s: Session) => {
    try {
      await homeApi.deleteSession(s.id);
      forgetToken(s.id);
      setSessions((list) => list?.filter((x) => x.id !== s.id) ?? null);
      setTotal((t) => t - 1);
      toast("success", "Session deleted");
    } catch (err) {
      toast("error", "Could not delete the session", (err as Error).message);
    }
  };

  const filtered = query !== "" || language !== "";
  return (
    <div className="home">
      <header className="home-top">
        <span className="brand">
          <span className="brand-mark" aria-hidden>
            <Icon name="terminal" size={16} />
          </span>
          <span className="brand-name">Playground</span>
        </span>
        <span className="spacer" />
        <ThemeToggle />
        {admin && !needsAdmin && (
          <button
            type="button"
            className="btn ghost"
            onClick={() => saveAdmin(null)}
            title="Forget the admin token in this browser"
          >
            <Icon name="lock" /> Lock
          </button>
        )}
        <input
          ref={importPicker}
          type="file"
          accept=".json,application/json"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (file) void importFile(file);
          }}
        />
        <button
          type="button"
          className="btn ghost"
          onClick={() => importPicker.current?.click()}
          disabled={needsAdmin}
          title="Open a session from a file downloaded from a session's page"
          data-testid="import-session"
        >
          <Icon name="upload" /> Import
        </button>
        <button
          type="button"
          className="btn primary"
          onClick={() => setCreating(true)}
          disabled={!languages?.length || needsAdmin}
          data-testid="new-session"
        >
          <Icon name="plus" /> New session
        </button>
      </header>
      <main className="home-main">
        <section className="hero">
          <h1>Write, run and debug code together</h1>
          <p>Share a link, edit the same file live, and watch every run's output as it happens.</p>
        </section>
        {needsAdmin && <AdminTokenForm rejected={admin !== null} onSave={saveAdmin} />}
        {languages && languages.length > 0 && !needsAdmin && (
          <section aria-label="Samples">
            <h2 className="section-title">Start from a sample</h2>
            <div className="samples">
              {languages.map((l) => (
                <button
                  key={l.id}
                  type="button"
                  className="sample-card"
                  onClick={() => startSample(l)}
                  data-testid={`sample-${l.id}`}
                >
                  <span className={`lang-badge lang-${l.id}`}>{l.name}</span>
                  <span className="sample-version" title={l.version}>
                    {shortVersion(l.version)}
                  </span>
                  {!l.available && <span className="sample-missing">not installed</span>}
                </button>
              ))}
            </div>
          </section>
        )}
        {langError && !languages && (
          <div className="error-box">Could not load languages: {langError}</div>
        )}
        <section aria-label="Your sessions" hidden={needsAdmin}>
          <div className="list-head">
            <h2 className="section-title">
              Sessions {sessions && <span className="count">{total}</span>}
            </h2>
            <span className="spacer" />
            <label className="search">
              <Icon name="search" />
              <input
                value={q}
                onChange={(e) => setQ(e.target.value)}
                placeholder="Search titles and code"
                aria-label="Search sessions"
                data-testid="session-search"
              />
            </label>
            <select
              value={language}
              onChange={(e) => setLanguage(e.target.value)}
              aria-label="Filter by language"
              data-testid="language-filter"
            >
              <option value="">All languages</option>
              {(languages ?? []).map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
            </select>
          </div>
          {error && <div className="error-box">Could not load sessions: {error}</div>}
          {sessions === null && !error && <div className="list-skeleton" aria-busy="true" />}
          {sessions?.length === 0 && (
            <div className="empty">
              {filtered
                ? "No session matches."
                : "No sessions yet: start from a sample above or create one."}
            </div>
          )}
          {sessions && sessions.length > 0 && (
            <SessionList
              sessions={sessions}
              languageNames={names}
              onDelete={remove}
              hrefFor={(s) => sessionPath(s.id, rememberedToken(s.id)?.token)}
            />
          )}
          {sessions && sessions.length < total && (
            <button
              type="button"
              className="btn ghost load-more"
              onClick={() => load(sessions.length)}
            >
              Show more
            </button>
          )}
        </section>
      </main>
      {creating && languages && (
        <CreateSessionDialog
          languages={languages}
          onCreate={create}
          onClose={() => setCreating(false)}
        />
      )}
    </div>
  );
}
