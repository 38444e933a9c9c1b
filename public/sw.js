// Mamori's service worker: the only JavaScript besides wasm-bindgen's glue.
// The server fills in VERSION (a hash of the build) and ASSETS (every file of the build) when it serves
// this file, so the list always matches trunk's hashed file names.
const VERSION = "__MAMORI_VERSION__";
const ASSETS = __MAMORI_ASSETS__;
const CACHE = "mamori-shell-" + VERSION;

// Precache the whole app shell; do not take over until the page says so (no code swapped mid-edit).
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)));
});

// Delete the caches of older versions, then serve every open page.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("mamori-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The page asks a waiting new version to take over once the user accepts the update.
self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

// The emergency contact chart: a static page the app keeps in its own cache (never deleted by an update),
// served before anything else so the numbers show with no network, no server, no session and no wasm.
const EMERGENCY_CACHE = "mamori-emergency";
const EMERGENCY_PATH = "/emergency";

// Evidence files: same-origin and content-addressed (the name is the bytes' SHA-256), so a copy never goes
// stale. Cache first; a file fetched online is kept for offline reading only while the site's quota seems to
// keep KEEP_FREE bytes free beyond it (the app's files.rs keeps the same figure). Chromium pads the quota it
// reports (usage + 1 GiB), so that check is a courtesy: what protects document saves is the app, which
// deletes this cache when a save is refused for space. Leaving a facility deletes it too.
const FILES_CACHE = "mamori-files";
const FILE_PATH = /^\/api\/facilities\/[0-9a-f-]{36}\/files\/[0-9a-f]{64}$/;
const KEEP_FREE = 64 * 1024 * 1024;

async function roomFor(bytes) {
  try {
    const e = await navigator.storage.estimate();
    return e.quota - e.usage > bytes + KEEP_FREE;
  } catch (_) {
    return false;
  }
}

async function evidenceFile(request, path) {
  const cache = await caches.open(FILES_CACHE);
  const hit = await cache.match(path);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.status === 200 && (await roomFor(Number(response.headers.get("content-length") || 0)))) {
    try {
      await cache.put(path, response.clone());
    } catch (_) {
      // Full after all: the file is still shown, just not kept.
    }
  }
  return response;
}

// Cache first for the shell; navigations (deep links included) get the cached index.html; anything else
// (the sync socket and APIs of later versions) goes to the network untouched.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === EMERGENCY_PATH && !url.searchParams.has("app")) {
    event.respondWith(
      caches.open(EMERGENCY_CACHE).then((c) => c.match(EMERGENCY_PATH))
        .then((hit) => hit || caches.open(CACHE).then((c) => c.match("/index.html")))
        .then((hit) => hit || fetch(request)),
    );
    return;
  }
  if (FILE_PATH.test(url.pathname)) {
    event.respondWith(evidenceFile(request, url.pathname));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(caches.open(CACHE).then((c) => c.match("/index.html")).then((hit) => hit || fetch(request)));
    return;
  }
  if (!ASSETS.includes(url.pathname)) return;
  event.respondWith(caches.open(CACHE).then((c) => c.match(url.pathname)).then((hit) => hit || fetch(request)));
});
