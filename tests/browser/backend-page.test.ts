import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunningServer } from '../support/hub-server.ts';
import { collectPageErrors, useHubAndBrowser } from '../support/browser.ts';

let server: RunningServer;
let browser: Browser;

useHubAndBrowser((hub, chromium) => ((server = hub), (browser = chromium)));

async function openIndex(query = '', options: { hideWebGPU?: boolean } = {}) {
  const context = await browser.newContext();
  if (options.hideWebGPU) {
    // A string, not a function: tsx's __name helpers do not exist in the page.
    await context.addInitScript({ content: "Object.defineProperty(navigator, 'gpu', { get: () => undefined, configurable: true });" });
  }
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => document.querySelector('#backend-status')?.getAttribute('data-state') !== 'starting', null, { timeout: 60_000 });
  return { page, errors, close: () => context.close() };
}

test('the page runs on WebGPU and shows the adapter and the limits the device got', async () => {
  const { page, errors, close } = await openIndex();
  try {
    assert.equal(await page.textContent('#backend-name'), 'webgpu', `status: ${await page.textContent('#backend-status')}; errors: ${errors.join(' | ')}`);
    const adapter = (await page.textContent('#backend-adapter')) ?? '';
    assert.match(adapter, /swiftshader|google|nvidia|amd|intel|apple/i);
    const maxBuffer = await page.textContent('[data-limit="maxBufferSize"] td');
    const maxBinding = await page.textContent('[data-limit="maxStorageBufferBindingSize"] td');
    // The device must carry the adapter's own limits, above the 256 MiB / 128 MiB WebGPU defaults.
    const adapterLimits = await page.evaluate(async () => {
      const a = await navigator.gpu.requestAdapter();
      return { maxBufferSize: a!.limits.maxBufferSize, maxStorageBufferBindingSize: a!.limits.maxStorageBufferBindingSize };
    });
    assert.ok(maxBuffer?.includes(`(${adapterLimits.maxBufferSize})`), `maxBufferSize shown as ${maxBuffer}, adapter has ${adapterLimits.maxBufferSize}`);
    assert.ok(maxBinding?.includes(`(${adapterLimits.maxStorageBufferBindingSize})`), `maxStorageBufferBindingSize shown as ${maxBinding}`);
    assert.ok(adapterLimits.maxBufferSize > 256 * 2 ** 20, 'this adapter should offer more than the 256 MiB default');
    assert.equal(await page.locator('#predict-form').count(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('?backend=cpu runs on the CPU and says it was requested', async () => {
  const { page, close } = await openIndex('?backend=cpu');
  try {
    assert.equal(await page.textContent('#backend-name'), 'cpu');
    assert.equal(await page.textContent('#backend-requested'), 'cpu');
    assert.equal(await page.getAttribute('#backend-status', 'data-state'), 'warning');
    assert.match((await page.textContent('#backend-status')) ?? '', /CPU/);
  } finally {
    await close();
  }
});

test('without WebGPU the page falls back and says why', async () => {
  const { page, close } = await openIndex('', { hideWebGPU: true });
  try {
    const backend = await page.textContent('#backend-name');
    assert.notEqual(backend, 'webgpu');
    assert.ok(['webgl', 'wasm', 'cpu'].includes(backend ?? ''), `unexpected backend ${backend}`);
    const reasons = await page.locator('#backend-skipped li').allTextContents();
    assert.match(reasons[0] ?? '', /^webgpu: navigator\.gpu is missing/);
  } finally {
    await close();
  }
});

test('an unknown ?backend= value is marked on the backend field, not ignored, and the page still starts', async () => {
  const { page, close } = await openIndex('?backend=tpu');
  try {
    assert.equal(await page.getAttribute('#setup-backend', 'aria-invalid'), 'true');
    assert.match((await page.textContent('#error-backend')) ?? '', /backend=tpu: must be one of auto, webgpu, webgl, wasm, cpu/);
    assert.match((await page.textContent('#backend-status')) ?? '', /^Training runs on/);
  } finally {
    await close();
  }
});

test('?backend=wasm loads the bundled .wasm binaries from the built app: isolated, threaded, with our kernels', async () => {
  const { page, errors, close } = await openIndex('?backend=wasm');
  try {
    assert.equal(await page.textContent('#backend-name'), 'wasm', `status: ${await page.textContent('#backend-status')}; errors: ${errors.join(' | ')}`);
    const details = (await page.textContent('#backend-details')) ?? '';
    assert.match(details, /SIMD (on|off)/);
    // The app's server sends COOP/COEP, so tfjs runs its threaded build (build/tfjs-wasm-threads-plugin.ts) and our
    // GEMM a thread per core, at most 8 (src/backend/wasm/gemm-threads.ts).
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true, 'the page is cross-origin isolated');
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.match(details, new RegExp(`\\b${Math.min(8, cores)} threads?\\b`), `one thread per core: ${details}`);
    assert.match(details, /fast kernels on/, details);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('the predict form loads a model from the Hub-like server and shows one probability per label', async () => {
  const { page, errors, close } = await openIndex(`?backend=cpu&model=fixtures/tiny-bert-uncased`);
  try {
    await page.fill('#predict-endpoint', server.url);
    assert.equal(await page.inputValue('#predict-model'), 'fixtures/tiny-bert-uncased');
    await page.fill('#predict-premise', 'The cat <b>sat</b> on the mat.');
    await page.fill('#predict-hypothesis', 'A cat is sitting.');
    await page.click('#predict-form button[type=submit]');
    await page.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('#predict-status')?.getAttribute('data-state') ?? '') && document.querySelector('#predict-status')?.textContent !== '', null, { timeout: 60_000 });
    assert.equal(await page.getAttribute('#predict-status', 'data-state'), 'ready', (await page.textContent('#predict-status')) ?? '');
    const labels = await page.locator('#predict-result tr[data-label] td:first-child').allTextContents();
    assert.deepEqual(labels, ['entailment', 'neutral', 'contradiction']);
    const probabilities = await page.locator('#predict-result [data-probability]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-probability'))));
    assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 2e-4);
    assert.match((await page.textContent('#predict-status')) ?? '', /^(entailment|neutral|contradiction) \(bert, fixtures\/tiny-bert-uncased@main/);

    await page.fill('#predict-model', 'fixtures/absent');
    await page.click('#predict-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#predict-status')?.getAttribute('data-state') === 'error', null, { timeout: 30_000 });
    assert.match((await page.textContent('#predict-status')) ?? '', /fixtures\/absent does not exist on http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(errors.every((e) => /404/.test(e)), errors.join(' | '));
  } finally {
    await close();
  }
});
