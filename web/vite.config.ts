/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/**
 * Writes `shell-manifest.json`: every script, stylesheet and woff2 font of the build, so
 * the service worker can keep the whole app (lazy chunks included) for offline reloads.
 */
function shellManifest(): Plugin {
  return {
    name: "playground-shell-manifest",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => /\.(js|css|woff2)$/.test(f))
        .map((f) => `/${f}`)
        .sort();
      this.emitFile({
        type: "asset",
        fileName: "shell-manifest.json",
        source: JSON.stringify(files),
      });
    },
  };
}

// `npm run dev` proxies the API and sockets to a running `playground serve`.
const backend = process.env.PLAYGROUND_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), shellManifest()],
  server: {
    proxy: {
      "/api": backend,
      "/healthz": backend,
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
