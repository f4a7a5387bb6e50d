// The wasm backend's matrix products as the app runs them: in a cross-origin isolated page (tfjs's threaded build,
// a shared memory) our GEMM shares each large product with a helper thread per core (src/backend/wasm/gemm-threads.ts),
// split by batches, rows or columns; in relaxed SIMD where Chromium has it. Checked against the cpu backend on the shapes of a
// training step and on ragged ones; with five threads (the page told it has 5 cores), so that products are cut in
// more than two; and without isolation, where it runs on one thread.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { buildBenchPage, PAGE_OUT } from '../../bench/train.bench.ts';
import { serveStatic } from '../../bench/serve-static.ts';
import { launchTestBrowser } from '../support/browser.ts';

let browser: Browser;

before(async () => {
  await buildBenchPage();
  browser = await launchTestBrowser();
});

after(async () => {
  await browser?.close();
});

for (const { isolated, cores } of [{ isolated: true, cores: 0 }, { isolated: true, cores: 5 }, { isolated: false, cores: 0 }]) {
  const where = isolated ? `on a thread per core (isolated page${cores ? `, ${cores} cores claimed` : ''})` : 'on one thread (no isolation)';
  test(`wasm products ${where} match the cpu backend`, async () => {
    const server = await serveStatic(PAGE_OUT, isolated);
    const page = await browser.newPage();
    try {
      if (cores) await page.addInitScript(`Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${cores} });`);
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.documentElement.dataset.benchReady === 'true', null, { timeout: 60_000 });
      const result = await page.evaluate(() => window.xnliBench.gemmCheck());
      const claimed = await page.evaluate(() => navigator.hardwareConcurrency);
      assert.equal(result.threads, isolated ? Math.min(8, claimed) : 1, 'threads used by the GEMM: one per core, at most 8');
      assert.equal(result.relaxed, true, 'Chromium validates the relaxed-SIMD build');
      for (const { shape, error } of result.worst) assert.ok(error < 1e-4, `${shape}: differs from cpu by ${error}`);
    } finally {
      await page.close();
      await server.close();
    }
  });
}
