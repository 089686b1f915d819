import { useEffect, useState } from "react";
import { adminToken, linkToken, type Role, rememberedToken, rememberToken } from "../client/access";
import { api } from "../client/api";
import type { SessionDetail } from "../client/types";
import { sessionPath } from "../client/urls";

export interface SessionToken {
  /** The share-link token this page uses for everything; null when there is none. */
  token: string | null;
  /** Still asking the server (with the admin token) for this session's edit link. */
  resolving: boolean;
}

/** Shows the token in the address bar, so that a reload or a copied URL keeps it. */
function showInUrl(id: string, token: string): void {
  if (linkToken(window.location.search) === token) return;
  window.history.replaceState(window.history.state, "", sessionPath(id, token));
}

/**
 * The token for session `id`: the page URL's `t`, else the one this browser remembers,
 * else (for an admin on a protected instance) the edit link the server hands the admin.
 * Read once per page: a token never travels from one session to another.
 */
export function useSessionToken(id: string): SessionToken {
  const [initial] = useState<SessionToken>(() => {
    const fromUrl = linkToken(window.location.search);
    if (fromUrl) return { token: fromUrl, resolving: false };
    const kept = rememberedToken(id)?.token ?? null;
    if (kept) return { token: kept, resolving: false };
    return { token: null, resolving: adminToken() !== null };
  });
  const [state, setState] = useState(initial);

  useEffect(() => {
    if (state.token) showInUrl(id, state.token);
  }, [id, state.token]);

  useEffect(() => {
    if (!initial.resolving) return;
    let live = true;
    api
      .withCredentials({ admin: adminToken() })
      .session(id)
      .then(
        (detail) => {
          const edit = detail.links ? linkToken(detail.links.edit) : null;
          if (edit) rememberToken(id, edit, "edit");
          if (live) setState({ token: edit, resolving: false });
        },
        () => live && setState({ token: null, resolving: false }),
      );
    return () => {
      live = false;
    };
  }, [id, initial]);

  return state;
}

/**
 * This page's role: what the server said, else what it said last time for this token;
 * `null` while unknown (a link not seen before: nothing is editable until the server
 * answers). Without a token and without access control, everyone edits.
 */
export function useRole(
  id: string,
  token: string | null,
  detail: SessionDetail | null,
): Role | null {
  useEffect(() => {
    if (!detail) return;
    if (token && detail.role) rememberToken(id, token, detail.role);
    const edit = detail.links ? linkToken(detail.links.edit) : null;
    if (edit) rememberToken(id, edit, "edit");
  }, [id, token, detail]);

  if (detail) return detail.role ?? "edit";
  if (!token) return "edit";
  const kept = rememberedToken(id);
  return kept && kept.token === token ? kept.role : null;
}
