import type { EditorView } from "@codemirror/view";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { getPrefs, suggestName, usePrefs } from "../app/prefs";
import { navigate } from "../app/router";
import { useResolvedTheme } from "../app/theme";
import { useLanguages } from "../app/useLanguages";
import { absoluteLink, forgetToken } from "../client/access";
import { api } from "../client/api";
import type { Peer } from "../client/presence";
import type { Run } from "../client/types";
import { shareLink } from "../client/urls";
import { MOD } from "../components/Kbd";
import { useToast } from "../components/Toasts";
import { Editor } from "../editor/Editor";
import { revealCaret } from "../editor/follow";
import { AccessDenied } from "./AccessDenied";
import { NamePrompt } from "./NamePrompt";
import { ReplayView } from "./ReplayView";
import { RunHistory, RunViewer } from "./RunHistory";
import { RunPanel } from "./RunPanel";
import { SettingsPanel } from "./SettingsPanel";
import type { ShareLinks } from "./SharePopover";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { errorToast, saveFile, switchLanguage, useSessionKeys } from "./sessionActions";
import { Terminal } from "./Terminal";
import { TopBar, VIEW_ONLY_HINT } from "./TopBar";
import { Tour } from "./Tour";
import { TerminalSink } from "./terminalSink";
import { useDoc, useYMapValue } from "./useDoc";
import { useRuns } from "./useRuns";
import { useRole, useSessionToken } from "./useSessionAccess";
import { useSessionData } from "./useSessionData";

type Overlay = "settings" | "help" | "replay" | null;

export function SessionPage({ id }: { id: string }) {
  const { token, resolving } = useSessionToken(id);
  if (resolving) return <div className="loading">Opening session…</div>;
  return <SessionView id={id} token={token} />;
}

function SessionView({ id, token }: { id: string; token: string | null }) {
  const toast = useToast();
  const theme = useResolvedTheme();
  const [prefs, setPrefs] = usePrefs();
  const [provisional] = useState(() => suggestName());
  const name = prefs.name.trim() || provisional;
  const user = useMemo(
    () => ({ name, color: prefs.color || getPrefs().color || "#0090ff" }),
    [name, prefs.color],
  );
  const [askName, setAskName] = useState(() => !getPrefs().name);
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [viewing, setViewing] = useState<{ id: string; run?: Run } | null>(null);
  const sink = useMemo(() => new TerminalSink(), []);
  const [outputEmpty, setOutputEmpty] = useState(true);
  useEffect(() => sink.subscribe(() => setOutputEmpty(sink.empty)), [sink]);

  const leave = useCallback(() => {
    forgetToken(id);
    toast("error", "This session was deleted", "Taking you back to your sessions.");
    navigate("/", true);
  }, [id, toast]);
  const sessionApi = useMemo(() => api.withCredentials({ token }), [token]);
  const doc = useDoc(id, token, user, {
    onJoin: (p) => toast("join", `${p.name} joined`),
    onLeave: (p) => toast("leave", `${p.name} left`),
  });
  const runs = useRuns(id, token, sink, {
    onError: (code, message) => errorToast(toast, code, message),
    onGone: leave,
  });
  const data = useSessionData(id, sessionApi, runs.finishedCount);
  const role = useRole(id, token, data.detail);
  // Until the server names the role of a link seen for the first time, nothing is editable.
  const canEdit = role === "edit";
  const viewOnly = role === "view";
  const { languages } = useLanguages();

  useEffect(() => {
    if (doc.gone) leave();
  }, [doc.gone, leave]);

  const meta = doc.conn?.meta ?? null;
  const language = useYMapValue<string>(meta, "language") ?? data.detail?.language ?? "";
  const title = useYMapValue<string>(meta, "title") ?? data.detail?.title ?? "";
  const timeLimit = useYMapValue<number>(meta, "time_limit_s");
  const memoryLimit = useYMapValue<number>(meta, "memory_mb");

  useEffect(() => {
    document.title = title ? `${title} · Playground` : "Playground";
  }, [title]);

  const run = useCallback(() => {
    if (!canEdit) {
      if (viewOnly) toast("info", "View only", VIEW_ONLY_HINT);
      return;
    }
    if (runs.active) return;
    if (!runs.channel?.run(name))
      toast("error", "Not connected to the runner", "The run starts once the connection is back.");
  }, [runs.channel, runs.active, name, toast, canEdit, viewOnly]);
  const stop = useCallback(() => runs.channel?.stop(), [runs.channel]);

  useSessionKeys({ onRun: run, onHelp: () => setOverlay((o) => (o === "help" ? null : "help")) });

  const changeLanguage = (id: string) => {
    const conn = doc.conn;
    if (!conn) return;
    const find = (l: string) => languages?.find((x) => x.id === l);
    const to = find(id);
    if (switchLanguage(conn.doc, conn.meta, conn.code, find(language), to, id) && to)
      toast("info", `Started from the ${to.name} template`, `${MOD}+Z brings the old code back.`);
  };
  const editorView = useRef<EditorView | null>(null);
  const follow = (peer: Peer) => {
    const conn = doc.conn;
    const view = editorView.current;
    const awareness = conn?.provider.awareness;
    if (!view || !conn || !awareness) return;
    if (!revealCaret(view, awareness, conn.code, peer.clientId, peer.name))
      toast(
        "info",
        `${peer.name} is not in the code yet`,
        "Their caret shows once they click into it.",
      );
  };
  const rename = (t: string) => {
    meta?.set("title", t);
    sessionApi
      .renameSession(id, t)
      .catch((err: Error) => toast("error", "Could not rename the session", err.message));
  };
  const exportHistory = () => {
    sessionApi
      .exportSession(id)
      .then((file) => saveFile(file, `session-${id}.json`))
      .catch((err: Error) => toast("error", "Could not download the history", err.message));
  };
  const links = data.detail?.links;
  const shareLinks: ShareLinks = viewOnly
    ? { view: shareLink(id, token) }
    : links
      ? { edit: absoluteLink(links.edit), view: absoluteLink(links.view) }
      : canEdit
        ? { edit: shareLink(id, token) }
        : {};

  if (doc.forbidden || data.forbidden) return <AccessDenied hadToken={token !== null} />;

  if (data.notFound && !doc.conn?.code.length) {
    return (
      <main className="empty-page">
        <h1>Session not found</h1>
        <p>It may have been deleted, or the link is incomplete.</p>
        <button type="button" className="btn primary" onClick={() => navigate("/")}>
          All sessions
        </button>
      </main>
    );
  }

  return (
    <div className="session-page">
      <TopBar
        title={title}
        onRename={rename}
        onFollow={follow}
        language={language}
        languages={languages}
        onLanguage={changeLanguage}
        peers={doc.peers}
        state={doc.state}
        viewOnly={viewOnly}
        shareLinks={shareLinks}
        onCopied={(what) =>
          toast(
            "success",
            `${what} link copied`,
            what === "View only"
              ? "Anyone with it can follow along, not change anything."
              : "Anyone with it can edit and run this session.",
          )
        }
        onCopyFailed={(url) => toast("info", "Copy this link", url)}
        onSettings={() => setOverlay(overlay === "settings" ? null : "settings")}
        onHelp={() => setOverlay("help")}
        onReplay={data.hasTimeline ? () => setOverlay("replay") : null}
        onExport={exportHistory}
      />
      {doc.refused !== null && (
        <div className="offline-banner" role="alert" data-testid="refused-banner">
          The server did not save your latest changes: {doc.refused}. They are kept in this browser
          only. Make the code smaller (undo the last paste) and they are saved as soon as it fits.
        </div>
      )}
      {doc.state === "offline" && (
        <div className="offline-banner" role="status">
          You are offline. Keep editing: your changes are saved in this browser and merge when the
          server is back.
        </div>
      )}
      <main className="workspace">
        <div className="editor-pane">
          {doc.conn ? (
            <Editor
              code={doc.conn.code}
              awareness={doc.conn.provider.awareness}
              language={language}
              onRun={run}
              onView={(v) => {
                editorView.current = v;
              }}
              readOnly={!canEdit}
              maxBytes={data.limits?.code_bytes ?? null}
              onTooLarge={(bytes) =>
                toast(
                  "error",
                  "Too large to add",
                  `The code would be ${kib(bytes)}; this server's limit is ${kib(data.limits?.code_bytes ?? 0)}.`,
                )
              }
            />
          ) : (
            <div className="loading">Opening session…</div>
          )}
        </div>
        <div className="side-pane">
          <RunPanel
            run={runs.run}
            active={runs.active}
            ready={runs.state === "connected"}
            offline={runs.state === "offline"}
            viewOnly={!canEdit}
            onRun={run}
            onStop={stop}
            // The server shows what was typed to everyone, this person included.
            onStdin={(line) => runs.channel?.sendStdin(line)}
            onEof={() => runs.channel?.sendEof()}
            onClear={() => sink.clear()}
            canClear={!outputEmpty}
            emptyHint={outputEmpty ? `Output appears here. Press Run or ${MOD}+Enter.` : null}
          >
            <Terminal sink={sink} theme={theme} testId="output" />
          </RunPanel>
          <section className="history-pane" aria-label="Run history">
            <h2 className="pane-title">Run history</h2>
            <RunHistory
              runs={data.runs}
              loading={data.runsLoading}
              failed={data.runsError}
              onOpen={(r) => setViewing({ id: r.id, run: r })}
            />
          </section>
        </div>
        {overlay === "settings" && (
          <SettingsPanel
            limits={data.limits}
            timeLimit={timeLimit}
            readOnly={!canEdit}
            onTimeLimit={(s) =>
              s === null ? meta?.delete("time_limit_s") : meta?.set("time_limit_s", s)
            }
            memoryLimit={memoryLimit}
            onMemoryLimit={(mib) =>
              mib === null ? meta?.delete("memory_mb") : meta?.set("memory_mb", mib)
            }
            prefs={prefs}
            onPrefs={setPrefs}
            onClose={() => setOverlay(null)}
          />
        )}
      </main>
      {overlay === "help" && <ShortcutsHelp onClose={() => setOverlay(null)} />}
      {overlay === "replay" && (
        <ReplayView
          sessionId={id}
          api={sessionApi}
          theme={theme}
          onOpenRun={(runId) => setViewing({ id: runId })}
          onClose={() => setOverlay(null)}
          covered={viewing !== null}
        />
      )}
      {viewing && (
        <RunViewer
          runId={viewing.id}
          api={sessionApi}
          initial={viewing.run}
          theme={theme}
          onClose={() => setViewing(null)}
        />
      )}
      {askName && (
        <NamePrompt
          suggestion={name}
          onSave={(n) => {
            setPrefs({ name: n, color: getPrefs().color || user.color });
            setAskName(false);
          }}
        />
      )}
      {!askName && !prefs.tourDone && doc.conn && (
        <Tour onDone={() => setPrefs({ tourDone: true })} />
      )}
    </div>
  );
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}
