// The wasm backend's matrix products as the app runs them: in a cross-origin isolated page (tfjs's threaded build,
// a shared memory) our GEMM shares each large product with a second thread (src/backend/wasm/gemm-threads.ts), split
// by rows or by batches; in relaxed SIMD where Chromium has it. Checked against the cpu backend on the shapes of a
// training step and on ragged ones; and without isolation, where it runs on one thread.
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

for (const isolated of [true, false]) {
  test(`wasm products ${isolated ? 'on two threads (isolated page)' : 'on one thread (no isolation)'} match the cpu backend`, async () => {
    const server = await serveStatic(PAGE_OUT, isolated);
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.documentElement.dataset.benchReady === 'true', null, { timeout: 60_000 });
      const result = await page.evaluate(() => window.xnliBench.gemmCheck());
      assert.equal(result.threads, isolated ? 2 : 1, 'threads used by the GEMM');
      assert.equal(result.relaxed, true, 'Chromium validates the relaxed-SIMD build');
      for (const { shape, error } of result.worst) assert.ok(error < 1e-4, `${shape}: differs from cpu by ${error}`);
    } finally {
      await page.close();
      await server.close();
    }
  });
}
