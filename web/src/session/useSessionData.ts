import { useCallback, useEffect, useState } from "react";
import { type ApiClient, ApiError } from "../client/api";
import type { Limits, Run, SessionDetail } from "../client/types";

export interface SessionData {
  detail: SessionDetail | null;
  notFound: boolean;
  /** The server refused this link (403). */
  forbidden: boolean;
  runs: Run[];
  runsLoading: boolean;
  /** The history could not be fetched (offline). */
  runsError: boolean;
  refreshRuns: () => void;
  /** `undefined` while loading, `null` when the server does not publish limits. */
  limits: Limits | null | undefined;
  /** The server offers the history API (timeline + snapshots). */
  hasTimeline: boolean;
}

/** What the REST API knows about a session. All of it is optional: offline, the page runs on the document alone. */
export function useSessionData(id: string, api: ApiClient, runsVersion: number): SessionData {
  const [detail, setDetail] = useState<SessionDetail | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [forbidden, setForbidden] = useState(false);
  const [runs, setRuns] = useState<Run[]>([]);
  const [runsLoading, setRunsLoading] = useState(true);
  const [runsError, setRunsError] = useState(false);
  const [limits, setLimits] = useState<Limits | null | undefined>(undefined);
  const [hasTimeline, setHasTimeline] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api.session(id).then(
      (d) => {
        if (!live) return;
        setDetail(d);
        setRuns(d.runs);
        setRunsLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 404) setNotFound(true);
        if (err instanceof ApiError && err.status === 403) setForbidden(true);
        setRunsLoading(false);
        setRunsError(true);
      },
    );
    api.limits().then(
      (l) => live && setLimits(l),
      () => live && setLimits(null),
    );
    api.timeline(id, { until: 0, limit: 1, maxPages: 1 }).then(
      () => live && setHasTimeline(true),
      () => live && setHasTimeline(false),
    );
    return () => {
      live = false;
    };
  }, [id, api]);

  // runsVersion and tick are the refresh triggers.
  useEffect(() => {
    if (runsVersion === 0 && tick === 0) return;
    let live = true;
    api.sessionRuns(id).then(
      (list) => {
        if (!live) return;
        setRuns(list);
        setRunsLoading(false);
        setRunsError(false);
      },
      () => live && setRunsLoading(false),
    );
    return () => {
      live = false;
    };
  }, [id, api, runsVersion, tick]);

  const refreshRuns = useCallback(() => setTick((t) => t + 1), []);
  return {
    detail,
    notFound,
    forbidden,
    runs,
    runsLoading,
    runsError,
    refreshRuns,
    limits,
    hasTimeline,
  };
}
