/**
 * Registers the app-shell service worker (public/sw.js) and hands it what this page already loaded, so the app
 * opens offline after its first visit. Does nothing where service workers are unavailable (insecure origins).
 */
export async function registerAppShellWorker(): Promise<boolean> {
  if (!('serviceWorker' in navigator) || !globalThis.isSecureContext) return false;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    const registration = await navigator.serviceWorker.ready;
    const loaded = performance.getEntriesByType('resource').map((entry) => entry.name);
    const shellCached = new Promise<void>((resolve) => {
      const onMessage = (event: MessageEvent) => {
        if ((event.data as { type?: string })?.type !== 'shell-cached') return;
        navigator.serviceWorker.removeEventListener('message', onMessage);
        resolve();
      };
      navigator.serviceWorker.addEventListener('message', onMessage);
    });
    registration.active?.postMessage({ type: 'cache-shell', urls: [location.href, ...loaded] });
    await shellCached;
    document.documentElement.dataset.offlineReady = 'true';
    reloadOnceForIsolation();
    return true;
  } catch (error) {
    console.warn(`offline app shell unavailable: ${(error as Error).message}`);
    return false;
  }
}

/**
 * On a host that sends no COOP/COEP headers the first visit is not cross-origin isolated (wasm then trains on one
 * thread); the service worker adds them, so one reload, before anything has started, gives isolation. At most
 * once per tab, and never while the user has begun anything (the page marks that with data-busy).
 */
function reloadOnceForIsolation(): void {
  if (globalThis.crossOriginIsolated || !('crossOriginIsolated' in globalThis)) return;
  if (!navigator.serviceWorker.controller || sessionStorage.getItem('xnli-isolation-reload')) return;
  if (document.documentElement.dataset.busy === 'true') return;
  sessionStorage.setItem('xnli-isolation-reload', '1');
  location.reload();
}
