// App-shell service worker: after one visit the pages, their bundles (and the .wasm files, the worker, the
// embedded demo) come from this cache when the network is gone. It also adds the cross-origin isolation headers
// (COOP/COEP) to the app's own files, so that on a static host that cannot set headers the page is isolated from
// its second load on and tfjs's wasm backend trains on every core (src/sw/register.ts reloads once for that). Hub downloads are NOT handled here: they are
// verified and kept in the origin private file system by src/hub, so this worker never touches API, resolve,
// or output requests (the Hub-like test and CLI server serves those from the same origin).
const CACHE = 'xnli-app-shell-v1';

/** Paths of the app itself; everything else goes to the network untouched. */
function isAppPath(url) {
  if (url.origin !== self.location.origin) return false;
  const path = url.pathname;
  return path === '/' || path === '/index.html' || path === '/runner.html' || path === '/favicon.svg' || path.startsWith('/assets/') || path.startsWith('/demo/');
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The page sends what it loaded before this worker controlled it (its first visit), to be kept.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'cache-shell' || !Array.isArray(event.data.urls)) return;
  const urls = event.data.urls.filter((u) => typeof u === 'string' && isAppPath(new URL(u)));
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const url of urls) {
      if (await cache.match(url, { ignoreSearch: true })) continue;
      const response = await fetch(url).catch(() => null);
      if (response?.ok) await cache.put(new URL(url).pathname === '/' ? '/' : url.split('?')[0], response);
    }
    event.source?.postMessage({ type: 'shell-cached', count: urls.length });
  })());
});

/** The response with COOP/COEP added (a static host may not send them); a copy, since headers are immutable. */
function isolated(response) {
  if (!response || response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (!isAppPath(url)) return;
  const key = url.origin + url.pathname;
  // Hashed bundles never change: cache first. Pages and demo files: network first, so updates show at once.
  const immutable = url.pathname.startsWith('/assets/');
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (immutable) {
      const hit = await cache.match(key);
      if (hit) return isolated(hit);
    }
    try {
      const response = await fetch(request);
      if (response.ok && response.status === 200) await cache.put(key, response.clone());
      return isolated(response);
    } catch (error) {
      const hit = await cache.match(key);
      if (hit) return isolated(hit);
      throw error;
    }
  })());
});
