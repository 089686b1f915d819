import { lazy, Suspense } from "react";
import { ToastProvider } from "../components/Toasts";
import { HomePage } from "../home/HomePage";
import { Link, matchRoute, usePathname } from "./router";
import { useResolvedTheme } from "./theme";

// The session page carries the editor, terminal and CRDT stack: loaded only when opened.
const SessionPage = lazy(() =>
  import("../session/SessionPage").then((m) => ({ default: m.SessionPage })),
);

export function App() {
  useResolvedTheme();
  const route = matchRoute(usePathname());
  return (
    <ToastProvider>
      {route.page === "home" && <HomePage />}
      {route.page === "session" && (
        <Suspense fallback={<div className="loading">Opening session…</div>}>
          <SessionPage key={route.id} id={route.id} />
        </Suspense>
      )}
      {route.page === "not-found" && (
        <main className="empty-page">
          <h1>Page not found</h1>
          <Link href="/" className="btn primary">
            All sessions
          </Link>
        </main>
      )}
    </ToastProvider>
  );
}
