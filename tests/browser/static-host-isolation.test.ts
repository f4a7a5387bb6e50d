// On a static host that sends no COOP/COEP headers (GitHub Pages and the like), the app's service worker adds
// them: after its one-time reload the page is cross-origin isolated, and wasm trains on every core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { serveStatic } from '../../bench/serve-static.ts';
import { DIST_DIR } from '../support/hub-server.ts';
import { launchTestBrowser } from '../support/browser.ts';

let browser: Browser;
let server: { url: string; close(): Promise<void> };

before(async () => {
  server = await serveStatic(DIST_DIR, false);
  browser = await launchTestBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a host without isolation headers: the service worker isolates the page after one reload', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const first = await page.goto(`${server.url}/`);
    assert.equal(first?.headers()['cross-origin-embedder-policy'], undefined, 'the host itself sends no COEP');
    await page.waitForFunction(() => globalThis.crossOriginIsolated === true, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('xnli-isolation-reload')), '1', 'isolated by the one-time reload');
    assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), 'function');
  } finally {
    await context.close();
  }
});
