/** `ws://host` or `wss://host` for the page's own origin. */
export function wsBase(loc: Pick<Location, "protocol" | "host"> = window.location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}`;
}

/** A session page's path, with the share-link token when there is one. */
export function sessionPath(id: string, token?: string | null): string {
  const path = `/s/${encodeURIComponent(id)}`;
  return token ? `${path}?t=${encodeURIComponent(token)}` : path;
}

/** The session's run channel, carrying its token (a browser cannot add headers to a WebSocket). */
export function runChannelUrl(base: string, id: string, token?: string | null): string {
  const url = `${base}/ws/run/${encodeURIComponent(id)}`;
  return token ? `${url}?t=${encodeURIComponent(token)}` : url;
}

export function shareLink(
  id: string,
  token?: string | null,
  loc: Pick<Location, "origin"> = window.location,
): string {
  return `${loc.origin}${sessionPath(id, token)}`;
}
