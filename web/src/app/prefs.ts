import { useCallback, useSyncExternalStore } from "react";

/** Per-browser preferences, kept in localStorage. */
export interface Prefs {
  name: string;
  color: string;
  theme: "system" | "light" | "dark";
  tourDone: boolean;
}

const KEY = "playground.prefs";

export const PALETTE = [
  "#e5484d",
  "#f76b15",
  "#ffc53d",
  "#46a758",
  "#12a594",
  "#0090ff",
  "#6e56cf",
  "#d6409f",
];

const DEFAULTS: Prefs = { name: "", color: "", theme: "system", tourDone: false };

function load(): Prefs {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) return { ...DEFAULTS, ...(JSON.parse(raw) as Partial<Prefs>) };
  } catch {
    // Unreadable prefs are as good as none.
  }
  return DEFAULTS;
}

let current: Prefs | null = null;
const listeners = new Set<() => void>();

export function getPrefs(): Prefs {
  if (current === null) current = load();
  return current;
}

export function setPrefs(patch: Partial<Prefs>): void {
  current = { ...getPrefs(), ...patch };
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    // Private mode or a full quota: the preference lasts for this page only.
  }
  for (const fn of listeners) fn();
}

/** Drops the in-memory copy (tests clear localStorage between cases). */
export function resetPrefsCache(): void {
  current = null;
}

function subscribe(fn: () => void) {
  listeners.add(fn);
  const onStorage = (e: StorageEvent) => {
    if (e.key === KEY) {
      current = null;
      fn();
    }
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("storage", onStorage);
  };
}

export function usePrefs(): [Prefs, (patch: Partial<Prefs>) => void] {
  const prefs = useSyncExternalStore(subscribe, getPrefs);
  return [prefs, useCallback((patch: Partial<Prefs>) => setPrefs(patch), [])];
}

export function colorFor(seed: string): string {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length] ?? "#0090ff";
}

const ADJECTIVES = ["Brave", "Calm", "Clever", "Eager", "Gentle", "Lucky", "Quick", "Witty"];
const ANIMALS = ["Otter", "Falcon", "Lynx", "Panda", "Heron", "Fox", "Koala", "Badger"];

/** A friendly placeholder name offered in the name picker. */
export function suggestName(random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)] ?? list[0];
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
}
