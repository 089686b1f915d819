import { useEffect, useSyncExternalStore } from "react";
import { usePrefs } from "./prefs";

const query = () => window.matchMedia?.("(prefers-color-scheme: dark)");

function subscribe(fn: () => void) {
  const mq = query();
  mq?.addEventListener("change", fn);
  return () => mq?.removeEventListener("change", fn);
}

/** The theme in force: the user's choice, or the system's when they chose "system". */
export function useResolvedTheme(): "light" | "dark" {
  const [prefs] = usePrefs();
  const systemDark = useSyncExternalStore(subscribe, () => query()?.matches ?? false);
  const resolved = prefs.theme === "system" ? (systemDark ? "dark" : "light") : prefs.theme;
  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
    document.documentElement.style.colorScheme = resolved;
  }, [resolved]);
  return resolved;
}
