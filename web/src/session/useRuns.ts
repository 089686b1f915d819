import { useEffect, useRef, useState } from "react";
import { RunChannel } from "../client/runChannel";
import { RunLog } from "../client/runLog";
import type { ConnectionState, Run } from "../client/types";
import { runChannelUrl, wsBase } from "../client/urls";
import { effectText } from "./runFormat";
import type { TerminalSink } from "./terminalSink";

export interface RunHandle {
  channel: RunChannel | null;
  run: Run | null;
  active: boolean;
  state: ConnectionState;
  /** Bumped whenever a run finishes, to refresh the history. */
  finishedCount: number;
}

interface RunCallbacks {
  onError: (code: string, message: string) => void;
  onGone: () => void;
}

/** Follows the session's run channel and mirrors its output into the terminal sink. */
export function useRuns(
  sessionId: string,
  token: string | null,
  sink: TerminalSink,
  callbacks: RunCallbacks,
): RunHandle {
  const [channel, setChannel] = useState<RunChannel | null>(null);
  const [run, setRun] = useState<Run | null>(null);
  const [active, setActive] = useState(false);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [finishedCount, setFinishedCount] = useState(0);
  const cb = useRef(callbacks);
  cb.current = callbacks;

  useEffect(() => {
    const log = new RunLog();
    const ch = new RunChannel(runChannelUrl(wsBase(), sessionId, token));
    setChannel(ch);
    setState(ch.state);
    const offs = [
      ch.on("state", setState),
      ch.on("gone", () => cb.current.onGone()),
      ch.on("frame", (frame) => {
        if (frame.type === "error") {
          cb.current.onError(frame.code, frame.message);
          return;
        }
        for (const effect of log.apply(frame)) {
          if (effect.kind === "reset" && effect.run !== null) {
            // A new run starts on a fresh line, below whatever was there.
            if (!sink.atLineStart) sink.write("\r\n");
            if (!sink.empty) sink.write("\r\n");
          }
          if (effect.kind === "finished") setFinishedCount((n) => n + 1);
          sink.write(effectText(effect, sink.atLineStart));
        }
        setRun(log.run);
        setActive(log.active);
      }),
    ];
    return () => {
      for (const off of offs) off();
      ch.dispose();
    };
  }, [sessionId, token, sink]);

  return { channel, run, active, state, finishedCount };
}
