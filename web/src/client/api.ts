import { authHeaders, type Credentials } from "./access";
import { parseInput, parseRun } from "./frames";
import type {
  CreatedSession,
  InputChunk,
  Language,
  Limits,
  Run,
  RunWithOutput,
  Session,
  SessionDetail,
  SessionPage,
  Snapshot,
  StoredOutput,
  TimelineEvent,
} from "./types";

/** An HTTP error in the contract's `{"error": {"code", "message"}}` shape, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** True when the server could not be reached at all. */
  get isNetwork(): boolean {
    return this.status === 0;
  }
}

export interface SessionQuery {
  q?: string;
  language?: string;
  limit?: number;
  offset?: number;
}

type Fetch = typeof fetch;

async function readError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `Request failed with status ${res.status}`;
  try {
    const body: unknown = await res.json();
    const err = (body as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof err?.code === "string") code = err.code;
    if (typeof err?.message === "string") message = err.message;
  } catch {
    // Not JSON (a proxy's error page, say): the status line is all there is.
  }
  return new ApiError(res.status, code, message);
}

const runs = (list: unknown): Run[] =>
  Array.isArray(list) ? list.map(parseRun).filter((r): r is Run => r !== null) : [];

/**
 * The playground's HTTP API. Every method rejects with an `ApiError`. A client carries
 * one set of credentials: a session page's link token, or the home page's admin token.
 */
export class ApiClient {
  constructor(
    private readonly base = "",
    private readonly fetchImpl: Fetch = (...args) => fetch(...args),
    private readonly credentials: Credentials = {},
  ) {}

  /** The same API, sending `credentials` with every request. */
  withCredentials(credentials: Credentials): ApiClient {
    return new ApiClient(this.base, this.fetchImpl, credentials);
  }

  /** A successful response; `body` is sent as JSON, or `file` (JSON already) as it is. */
  private async fetchOk(
    method: string,
    path: string,
    { body, file }: { body?: unknown; file?: Blob } = {},
  ): Promise<Response> {
    let res: Response;
    const headers = authHeaders(this.credentials);
    if (body !== undefined || file !== undefined) headers["content-type"] = "application/json";
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: file ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached.");
    }
    if (!res.ok) throw await readError(res);
    return res;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetchOk(method, path, { body });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  languages(): Promise<Language[]> {
    return this.request("GET", "/api/languages");
  }

  listSessions(query: SessionQuery = {}): Promise<SessionPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") params.set(key, String(value));
    }
    const qs = params.toString();
    return this.request("GET", `/api/sessions${qs ? `?${qs}` : ""}`);
  }

  createSession(input: {
    language: string;
    title?: string;
    code?: string;
  }): Promise<CreatedSession> {
    return this.request("POST", "/api/sessions", input);
  }

  async session(id: string): Promise<SessionDetail> {
    const detail = await this.request<SessionDetail>("GET", `/api/sessions/${enc(id)}`);
    return { ...detail, runs: runs(detail.runs) };
  }

  renameSession(id: string, title: string): Promise<Session> {
    return this.request("PATCH", `/api/sessions/${enc(id)}`, { title });
  }

  deleteSession(id: string): Promise<void> {
    return this.request("DELETE", `/api/sessions/${enc(id)}`);
  }

  /** The session's whole history (every edit and run) as one file `importSession` takes. */
  async exportSession(id: string): Promise<Blob> {
    return (await this.fetchOk("GET", `/api/sessions/${enc(id)}/export`)).blob();
  }

  /** A new session from an exported file, sent as it is. */
  async importSession(file: Blob): Promise<CreatedSession> {
    const res = await this.fetchOk("POST", "/api/sessions/import", { file });
    return (await res.json()) as CreatedSession;
  }

  async sessionRuns(id: string): Promise<Run[]> {
    return runs(await this.request<unknown>("GET", `/api/sessions/${enc(id)}/runs`));
  }

  async run(runId: string): Promise<RunWithOutput> {
    const raw = await this.request<{ output?: StoredOutput[]; input?: unknown }>(
      "GET",
      `/api/runs/${enc(runId)}`,
    );
    const run = parseRun(raw);
    if (run === null) throw new ApiError(500, "bad_response", "The server sent a malformed run.");
    const input = (Array.isArray(raw.input) ? raw.input : [])
      .map((i) => parseInput(i, run.id))
      .filter((i): i is InputChunk => i !== null)
      .map(({ seq, t, data, eof }) => ({ seq, t, data, eof }));
    return { ...run, output: Array.isArray(raw.output) ? raw.output : [], input };
  }

  /** The session's history events in time order, following the server's pages (`next`). */
  async timeline(
    id: string,
    range: { since?: number; until?: number; limit?: number; maxPages?: number } = {},
  ): Promise<{ events: TimelineEvent[]; complete: boolean }> {
    const events: TimelineEvent[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < (range.maxPages ?? 50); page++) {
      const params = new URLSearchParams();
      if (range.since !== undefined) params.set("since", String(range.since));
      if (range.until !== undefined) params.set("until", String(range.until));
      if (range.limit !== undefined) params.set("limit", String(range.limit));
      if (cursor !== null) params.set("cursor", cursor);
      const qs = params.toString();
      const body: { events: TimelineEvent[]; next?: string | null } = await this.request(
        "GET",
        `/api/sessions/${enc(id)}/timeline${qs ? `?${qs}` : ""}`,
      );
      events.push(...body.events);
      cursor = body.next ?? null;
      if (cursor === null) return { events, complete: true };
    }
    return { events, complete: false };
  }

  /** The document as it stood at a time, or after update `seq`; now when neither. */
  snapshot(id: string, when: { at?: number; seq?: number } = {}): Promise<Snapshot> {
    const qs =
      when.seq !== undefined ? `?seq=${when.seq}` : when.at !== undefined ? `?at=${when.at}` : "";
    return this.request("GET", `/api/sessions/${enc(id)}/snapshot${qs}`);
  }

  /** The server's run limits; `null` when this server does not publish them. */
  async limits(): Promise<Limits | null> {
    try {
      return await this.request<Limits>("GET", "/api/limits");
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }
}

const enc = encodeURIComponent;

export const api = new ApiClient();
