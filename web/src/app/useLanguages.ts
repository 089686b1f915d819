import { useEffect, useState } from "react";
import { api } from "../client/api";
import type { Language } from "../client/types";

const CACHE_KEY = "playground.languages";

function cached(): Language[] | null {
  try {
    const raw = localStorage.getItem(CACHE_KEY);
    return raw ? (JSON.parse(raw) as Language[]) : null;
  } catch {
    return null;
  }
}

/**
 * The server's languages. The last list seen is kept locally so the session page still
 * knows them when opened offline.
 */
export function useLanguages(): { languages: Language[] | null; error: string | null } {
  const [languages, setLanguages] = useState<Language[] | null>(cached);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.languages().then(
      (list) => {
        if (!live) return;
        setLanguages(list);
        setError(null);
        try {
          localStorage.setItem(CACHE_KEY, JSON.stringify(list));
        } catch {
          // The cache is a convenience.
        }
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, []);
  return { languages, error };
}
