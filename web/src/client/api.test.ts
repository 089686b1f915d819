import { describe, expect, it } from "vitest";
import { ApiClient, ApiError } from "./api";

function server(handler: (url: string, init: RequestInit) => Response): {
  client: ApiClient;
  calls: { url: string; init: RequestInit }[];
} {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init: init ?? {} });
    return handler(url, init ?? {});
  };
  return { client: new ApiClient("", fetchImpl as typeof fetch), calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("ApiClient", () => {
  it("builds the session search query, leaving out empty filters", async () => {
    const { client, calls } = server(() => json({ items: [], total: 0 }));
    await client.listSessions({ q: "fib", language: "", limit: 20 });
    expect(calls[0]?.url).toBe("/api/sessions?q=fib&limit=20");
  });

  it("sends JSON bodies", async () => {
    const { client, calls } = server(() =>
      json({ id: "a", title: "t", language: "python", created_at: 1, updated_at: 1 }, 201),
    );
    const session = await client.createSession({ language: "python", title: "t" });
    expect(session.id).toBe("a");
    expect(calls[0]?.init.method).toBe("POST");
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ language: "python", title: "t" });
  });

  it("downloads a session's history file and imports one as it is", async () => {
    const history = JSON.stringify({ format: "playground-session", updates: [] });
    const { client, calls } = server((url) =>
      url.endsWith("/export")
        ? new Response(history, { headers: { "content-type": "application/json" } })
        : json({ id: "b", title: "t", language: "python", created_at: 1, updated_at: 1 }, 201),
    );
    const file = await client.exportSession("a/b");
    expect(calls[0]?.url).toBe("/api/sessions/a%2Fb/export");
    expect(await file.text()).toBe(history);

    const created = await client.importSession(file);
    expect(created.id).toBe("b");
    expect(calls[1]?.url).toBe("/api/sessions/import");
    expect(calls[1]?.init.method).toBe("POST");
    expect(calls[1]?.init.body).toBe(file); // sent as it is, not re-encoded
    expect(calls[1]?.init.headers).toMatchObject({ "content-type": "application/json" });
  });

  it("reports a refused import with the server's reason", async () => {
    const { client } = server(() =>
      json({ error: { code: "payload_too_large", message: "the file is over the limit" } }, 413),
    );
    const err = await client.importSession(new Blob(["{}"])).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("turns the contract's error body into an ApiError", async () => {
    const { client } = server(() =>
      json({ error: { code: "not_found", message: "No such session." } }, 404),
    );
    const err = await client.session("nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "not_found", message: "No such session." });
  });

  it("reports an unreachable server as a network error", async () => {
    const client = new ApiClient("", (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof fetch);
    const err = await client.languages().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).isNetwork).toBe(true);
  });

  it("handles 204 on delete and a non-JSON error page", async () => {
    const ok = server(() => new Response(null, { status: 204 }));
    await expect(ok.client.deleteSession("a")).resolves.toBeUndefined();
    const bad = server(
      () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    );
    await expect(bad.client.languages()).rejects.toMatchObject({ status: 502, code: "http_502" });
  });

  it("reads a past run with its output, and null limits when the server has none", async () => {
    const { client } = server((url) =>
      url.startsWith("/api/runs/")
        ? json({ id: "r1", status: "ok", output: [{ seq: 0, t: 5, stream: "stdout", data: "hi" }] })
        : json({ error: { code: "not_found", message: "nope" } }, 404),
    );
    const run = await client.run("r1");
    expect(run.status).toBe("ok");
    expect(run.output).toHaveLength(1);
    await expect(client.limits()).resolves.toBeNull();
  });
});

describe("ApiClient.timeline", () => {
  it("follows the server's cursor pages to the end", async () => {
    const pages: Record<string, unknown> = {
      "": { events: [{ t: 1, kind: "edit", seq: 1 }], next: "c2" },
      c2: { events: [{ t: 2, kind: "run_started", run_id: "r" }], next: null },
    };
    const { client, calls } = server((url) => {
      const cursor = new URL(url, "http://x").searchParams.get("cursor") ?? "";
      return json(pages[cursor]);
    });
    const { events, complete } = await client.timeline("s1", { since: 0 });
    expect(events.map((e) => e.t)).toEqual([1, 2]);
    expect(complete).toBe(true);
    expect(calls.map((c) => c.url)).toEqual([
      "/api/sessions/s1/timeline?since=0",
      "/api/sessions/s1/timeline?since=0&cursor=c2",
    ]);
  });
});

describe("ApiClient credentials", () => {
  it("sends a session's link token on every call, and the admin token as Bearer", async () => {
    const { client, calls } = server((url) =>
      url.endsWith("/runs") ? json([]) : json({ id: "s1", runs: [], role: "view" }),
    );
    const session = client.withCredentials({ token: "VIEWTOK" });
    const detail = await session.session("s1");
    expect(detail.role).toBe("view");
    await session.sessionRuns("s1");
    const admin = client.withCredentials({ admin: "ADMIN" });
    await admin.listSessions();
    await client.listSessions();
    const headers = calls.map((c) => new Headers(c.init.headers));
    expect(headers[0]?.get("x-playground-token")).toBe("VIEWTOK");
    expect(headers[1]?.get("x-playground-token")).toBe("VIEWTOK");
    expect(headers[2]?.get("authorization")).toBe("Bearer ADMIN");
    expect(headers[2]?.get("x-playground-token")).toBeNull();
    // The plain client stays without credentials.
    expect(headers[3]?.get("authorization")).toBeNull();
    expect(headers[3]?.get("x-playground-token")).toBeNull();
  });

  it("keeps the JSON content type next to the credentials, and reads forbidden", async () => {
    const { client, calls } = server(() =>
      json({ error: { code: "forbidden", message: "needs the admin token" } }, 403),
    );
    const err = await client
      .withCredentials({ admin: "wrong" })
      .createSession({ language: "python" })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: "forbidden" });
    const headers = new Headers(calls[0]?.init.headers);
    expect(headers.get("content-type")).toBe("application/json");
    expect(headers.get("authorization")).toBe("Bearer wrong");
  });
});
