/** `ws://host` or `wss://host` for the page's own origin. */
export function wsBase(loc: Pick<Location, "protocol" | "host"> = window.location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}`;
}

export function sessionPath(id: string): string {
  return `/s/${encodeURIComponent(id)}`;
}

export function shareLink(id: string, loc: Pick<Location, "origin"> = window.location): string {
  return `${loc.origin}${sessionPath(id)}`;
}
