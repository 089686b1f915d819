import { ToastProvider } from "../components/Toasts";
import { HomePage } from "../home/HomePage";
import { SessionPage } from "../session/SessionPage";
import { Link, matchRoute, usePathname } from "./router";
import { useResolvedTheme } from "./theme";

export function App() {
  useResolvedTheme();
  const route = matchRoute(usePathname());
  return (
    <ToastProvider>
      {route.page === "home" && <HomePage />}
      {route.page === "session" && <SessionPage key={route.id} id={route.id} />}
      {route.page === "not-found" && (
        <div className="empty-page">
          <h1>Page not found</h1>
          <Link href="/" className="btn primary">
            All sessions
          </Link>
        </div>
      )}
    </ToastProvider>
  );
}
