import "@fontsource/inter/latin-400.css";
import "@fontsource/inter/latin-500.css";
import "@fontsource/inter/latin-600.css";
import "@fontsource/jetbrains-mono/latin-400.css";
import "./styles/base.css";
import "./styles/home.css";
import "./styles/session.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { getPrefs, PALETTE, setPrefs } from "./app/prefs";

if (!getPrefs().color) {
  setPrefs({ color: PALETTE[Math.floor(Math.random() * PALETTE.length)] ?? "#0090ff" });
}

// The service worker keeps the app shell so a session page reloads while the server is down.
if ("serviceWorker" in navigator && import.meta.env.PROD) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch(() => {
      // Without it the app works as before; only offline reloads are lost.
    });
  });
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
