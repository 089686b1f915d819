/**
 * Who may do what in a session, as the client sees it: the share-link token (`?t=` on the
 * page URL), the role the server grants it, and the tokens this browser remembers.
 *
 * Every session has an edit link and a view-only link (`/s/{id}?t=TOKEN`). The token goes
 * with every request about that session: `?t=` on its sockets, `X-Playground-Token` on
 * HTTP. A protected instance also has an admin token, sent as `Authorization: Bearer`.
 */

export type Role = "edit" | "view";

/** The share links the server returns (paths like `/s/{id}?t=...`). */
export interface SessionLinks {
  edit: string;
  view: string;
}

/** How an HTTP request proves its rights: a session's link token and/or the admin token. */
export interface Credentials {
  token?: string | null;
  admin?: string | null;
}

/** The `t` parameter of a query string or URL (`?t=...`), or null. */
export function linkToken(searchOrUrl: string): string | null {
  const q = searchOrUrl.indexOf("?");
  const search = q >= 0 ? searchOrUrl.slice(q + 1) : searchOrUrl;
  const token = new URLSearchParams(search.split("#")[0]).get("t");
  return token ? token : null;
}

/** HTTP headers carrying `credentials`. */
export function authHeaders(credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (credentials.token) headers["x-playground-token"] = credentials.token;
  if (credentials.admin) headers.authorization = `Bearer ${credentials.admin}`;
  return headers;
}

/** A link path made absolute on the page's origin (links are sent as paths). */
export function absoluteLink(
  path: string,
  loc: Pick<Location, "origin"> = window.location,
): string {
  return new URL(path, loc.origin).toString();
}

interface Remembered {
  token: string;
  role: Role;
}

const SESSIONS_KEY = "playground.sessions";
const ADMIN_KEY = "playground.admin";
/** Oldest entries go first once there are this many. */
const MAX_REMEMBERED = 500;

function read(): Record<string, Remembered> {
  try {
    const raw = localStorage.getItem(SESSIONS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    return parsed && typeof parsed === "object" ? (parsed as Record<string, Remembered>) : {};
  } catch {
    return {};
  }
}

function write(all: Record<string, Remembered>): void {
  try {
    localStorage.setItem(SESSIONS_KEY, JSON.stringify(all));
  } catch {
    // Private mode or a full quota: the token lives in the page URL for now.
  }
}

/** The token this browser holds for a session (its best: edit over view), or null. */
export function rememberedToken(sessionId: string): Remembered | null {
  const hit = read()[sessionId];
  return hit && typeof hit.token === "string" && (hit.role === "edit" || hit.role === "view")
    ? hit
    : null;
}

/**
 * Keeps a session's token with the role the server granted. An edit token is never
 * replaced by a view token: opening someone's view link must not cost you your edit link.
 */
export function rememberToken(sessionId: string, token: string, role: Role): void {
  const all = read();
  const old = all[sessionId];
  if (old && old.role === "edit" && role === "view") return;
  delete all[sessionId];
  all[sessionId] = { token, role };
  const ids = Object.keys(all);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_REMEMBERED))) delete all[id];
  write(all);
}

export function forgetToken(sessionId: string): void {
  const all = read();
  if (!(sessionId in all)) return;
  delete all[sessionId];
  write(all);
}

export function adminToken(): string | null {
  try {
    return localStorage.getItem(ADMIN_KEY) || null;
  } catch {
    return null;
  }
}

export function setAdminToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(ADMIN_KEY, token);
    else localStorage.removeItem(ADMIN_KEY);
  } catch {
    // Not kept: asked again on the next visit.
  }
}
