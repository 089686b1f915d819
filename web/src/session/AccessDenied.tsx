import { navigate } from "../app/router";
import { Icon } from "../components/Icon";

/** The server refused this page's link: say what is missing instead of retrying forever. */
export function AccessDenied({ hadToken }: { hadToken: boolean }) {
  return (
    <main className="empty-page" data-testid="access-denied">
      <span className="empty-icon" aria-hidden>
        <Icon name="lock" size={28} />
      </span>
      <h1>This session needs a share link</h1>
      <p>
        {hadToken
          ? "The link you opened does not open this session: it may be incomplete, or it belongs to another session."
          : "On this server a session opens only through one of its share links."}{" "}
        Ask the person who shared it for the edit or the view-only link.
      </p>
      <button type="button" className="btn primary" onClick={() => navigate("/")}>
        All sessions
      </button>
    </main>
  );
}
