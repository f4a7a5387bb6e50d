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
    return true;
  } catch (error) {
    console.warn(`offline app shell unavailable: ${(error as Error).message}`);
    return false;
  }
}
