import { usePrefs } from "../app/prefs";
import { useResolvedTheme } from "../app/theme";
import { Icon } from "./Icon";

/** Flips between light and dark (the first click leaves "follow system"). */
export function ThemeToggle() {
  const [, setPrefs] = usePrefs();
  const theme = useResolvedTheme();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="btn icon-btn"
      onClick={() => setPrefs({ theme: next })}
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
    >
      <Icon name={theme === "dark" ? "sun" : "moon"} />
    </button>
  );
}
