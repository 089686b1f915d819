// Keeps the app shell (index.html and its hashed assets) so that a session page opens
// while the server is unreachable; the document itself comes from IndexedDB. API calls and
// sockets are never cached.
const CACHE = "playground-shell-v2";

async function cacheShell() {
  const cache = await caches.open(CACHE);
  const [page, manifest] = await Promise.all([
    fetch("/", { cache: "no-store" }),
    fetch("/shell-manifest.json", { cache: "no-store" }),
  ]);
  if (!page.ok || !manifest.ok) return;
  await cache.put("/", page);
  const files = await manifest.json();
  await cache.addAll(["/favicon.svg", ...files]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    // Network first, so a deploy is picked up at once; the cached shell when offline.
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok && (url.pathname === "/" || url.pathname.startsWith("/s/"))) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put("/", copy));
          }
          return res;
        })
        .catch(() => caches.match("/").then((hit) => hit || Response.error())),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    // Hashed file names: a cached copy is always the right one.
    event.respondWith(
      caches.match(req).then(
        (hit) =>
          hit ||
          fetch(req).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              caches.open(CACHE).then((c) => c.put(req, copy));
            }
            return res;
          }),
      ),
    );
  }
});
