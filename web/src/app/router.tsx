import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

export type Route = { page: "home" } | { page: "session"; id: string } | { page: "not-found" };

export function matchRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "/index.html") return { page: "home" };
  const m = /^\/s\/([^/]+)\/?$/.exec(pathname);
  if (m?.[1]) return { page: "session", id: decodeURIComponent(m[1]) };
  return { page: "not-found" };
}

const listeners = new Set<() => void>();
const subscribe = (fn: () => void) => {
  listeners.add(fn);
  window.addEventListener("popstate", fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("popstate", fn);
  };
};

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  for (const fn of listeners) fn();
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** An anchor that navigates inside the app (a plain link for new tabs and modifiers). */
export function Link({
  href,
  onClick,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}
