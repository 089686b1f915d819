import { useCallback, useEffect, useMemo, useState } from "react";
import { getPrefs, suggestName, usePrefs } from "../app/prefs";
import { navigate } from "../app/router";
import { useResolvedTheme } from "../app/theme";
import { useLanguages } from "../app/useLanguages";
import { api } from "../client/api";
import type { Run } from "../client/types";
import { shareLink } from "../client/urls";
import { MOD } from "../components/Kbd";
import { useToast } from "../components/Toasts";
import { Editor } from "../editor/Editor";
import { NamePrompt } from "./NamePrompt";
import { ReplayView } from "./ReplayView";
import { RunHistory, RunViewer } from "./RunHistory";
import { RunPanel } from "./RunPanel";
import { SettingsPanel } from "./SettingsPanel";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { copyText, errorToast, useSessionKeys } from "./sessionActions";
import { Terminal } from "./Terminal";
import { TopBar } from "./TopBar";
import { Tour } from "./Tour";
import { TerminalSink } from "./terminalSink";
import { useDoc, useYMapValue } from "./useDoc";
import { useRuns } from "./useRuns";
import { useSessionData } from "./useSessionData";

type Overlay = "settings" | "help" | "replay" | null;

export function SessionPage({ id }: { id: string }) {
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
    toast("error", "This session was deleted", "Taking you back to your sessions.");
    navigate("/", true);
  }, [toast]);
  const doc = useDoc(id, user, {
    onJoin: (p) => toast("join", `${p.name} joined`),
    onLeave: (p) => toast("leave", `${p.name} left`),
  });
  const runs = useRuns(id, sink, {
    onError: (code, message) => errorToast(toast, code, message),
    onGone: leave,
  });
  const data = useSessionData(id, runs.finishedCount);
  const { languages } = useLanguages();

  useEffect(() => {
    if (doc.gone) leave();
  }, [doc.gone, leave]);

  const meta = doc.conn?.meta ?? null;
  const language = useYMapValue<string>(meta, "language") ?? data.detail?.language ?? "";
  const title = useYMapValue<string>(meta, "title") ?? data.detail?.title ?? "";
  const timeLimit = useYMapValue<number>(meta, "time_limit_s");

  useEffect(() => {
    document.title = title ? `${title} · Playground` : "Playground";
  }, [title]);

  const run = useCallback(() => {
    if (runs.active) return;
    if (!runs.channel?.run(name))
      toast("error", "Not connected to the runner", "The run starts once the connection is back.");
  }, [runs.channel, runs.active, name, toast]);
  const stop = useCallback(() => runs.channel?.stop(), [runs.channel]);

  useSessionKeys({ onRun: run, onHelp: () => setOverlay((o) => (o === "help" ? null : "help")) });

  const rename = (t: string) => {
    meta?.set("title", t);
    api
      .renameSession(id, t)
      .catch((err: Error) => toast("error", "Could not rename the session", err.message));
  };
  const share = () =>
    copyText(shareLink(id)).then(
      () => toast("success", "Link copied", "Anyone with the link can join this session."),
      () => toast("info", "Copy this link", shareLink(id)),
    );

  if (data.notFound && !doc.conn?.code.length) {
    return (
      <div className="empty-page">
        <h1>Session not found</h1>
        <p>It may have been deleted, or the link is incomplete.</p>
        <button type="button" className="btn primary" onClick={() => navigate("/")}>
          All sessions
        </button>
      </div>
    );
  }

  return (
    <div className="session-page">
      <TopBar
        title={title}
        onRename={rename}
        language={language}
        languages={languages}
        onLanguage={(l) => meta?.set("language", l)}
        peers={doc.peers}
        state={doc.state}
        onShare={share}
        onSettings={() => setOverlay(overlay === "settings" ? null : "settings")}
        onHelp={() => setOverlay("help")}
        onReplay={data.hasTimeline ? () => setOverlay("replay") : null}
      />
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
            onRun={run}
            onStop={stop}
            onStdin={(line) => {
              runs.channel?.sendStdin(line);
              sink.write(`\x1b[2m${line.replace(/\n/g, "\r\n")}\x1b[0m`);
            }}
            onEof={() => runs.channel?.sendEof()}
            onClear={() => sink.clear()}
            canClear={!outputEmpty}
            emptyHint={outputEmpty ? `Output appears here. Press Run or ${MOD}+Enter.` : null}
          >
            <Terminal sink={sink} theme={theme} testId="output" />
          </RunPanel>
          <section className="history-pane" aria-label="Run history">
            <h3 className="pane-title">Run history</h3>
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
            onTimeLimit={(s) =>
              s === null ? meta?.delete("time_limit_s") : meta?.set("time_limit_s", s)
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
          theme={theme}
          onOpenRun={(runId) => setViewing({ id: runId })}
          onClose={() => setOverlay(null)}
        />
      )}
      {viewing && (
        <RunViewer
          runId={viewing.id}
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
