// Offline use in headless Chromium: one online training run of a config fills the browser's cache (OPFS) and the
// app-shell service worker; with the server stopped, the page reloads from the service worker and the same
// config trains again from the cache, on the very same sample. Also the page's cache list with sizes and delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startHubLikeServer, type RunningServer } from '../../cli/hub-like-server.ts';
import { DIST_DIR, startTestHub, type RequestInfo, type TestHub } from '../support/hub-server.ts';
import { collectPageErrors, launchTestBrowser } from '../support/browser.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { syntheticXnliRows, xnliParquet } from '../support/xnli-parquet.ts';
import { REFERENCE_DEFAULTS } from '../../src/config/run-config.ts';
import type { TrainJob } from '../../src/train/job.ts';
import type { RunRecord } from '../../src/train/run-record.ts';
import type { TrainEvent } from '../../src/train/runner-training.ts';

let work: string;
let hub: TestHub;
let outputs: RunningServer;
let browser: Browser;
const requests: RequestInfo[] = [];

before(async () => {
  const hubRoot = await ensureHubFixtures();
  work = await mkdtemp(join(tmpdir(), 'hub-offline-'));
  for (const [split, count] of [['train', 64], ['validation', 24]] as const) {
    const folder = join(work, 'datasets', 'facebook', 'xnli', 'en', split);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, '0000.parquet'), xnliParquet(syntheticXnliRows(count, split)));
  }
  hub = await startTestHub({
    staticRoot: DIST_DIR,
    repoFolders: { 'fixtures/tiny-bert': join(hubRoot, 'fixtures', 'tiny-bert') },
    datasetsRoot: join(work, 'datasets'),
    storageRedirect: true,
    onRequest: (info) => requests.push(info),
  });
  // Checkpoints go to another server that stays up: only the Hub (and the app's origin) goes away.
  outputs = await startHubLikeServer({ outputRoot: join(work, 'out') });
  browser = await launchTestBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.close();
  await outputs?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function job(endpoint: string): TrainJob {
  return {
    config: { ...REFERENCE_DEFAULTS, modelNames: ['fixtures/tiny-bert'], evalLanguages: ['en'], hubEndpoint: endpoint, batchSize: 8, numTrainExamples: 32, maxSteps: 2, loggingSteps: 1, evalSteps: 2, saveSteps: 100 },
    models: [{ name: 'fixtures/tiny-bert', endpoint, repo: 'fixtures/tiny-bert', revision: 'main' }],
    train: { kind: 'xnli', language: 'en', split: 'train' },
    eval: { en: { kind: 'xnli', language: 'en', split: 'validation' } },
    environment: {},
  };
}

async function openRunner(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/runner.html?offline`);
  await page.waitForFunction(() => document.documentElement.dataset.runnerReady === 'true' && document.documentElement.dataset.offlineReady === 'true', null, { timeout: 60_000 });
}

async function trainOnce(page: Page, endpoint: string, lines: string[]): Promise<RunRecord> {
  const [run] = await page.evaluate(({ j, out }) => window.xnliRunner.train(j, 'wasm', out), { j: job(endpoint), out: `${outputs.url}/__output` });
  assert.ok(run, `no run; progress: ${lines.join(' | ')}`);
  assert.equal(run.status, 'FINISHED', run.error ?? '');
  return run;
}

test('after one online run, a run with the server stopped succeeds from the cache, on the same sample', { timeout: 600_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const lines: string[] = [];
  await page.exposeFunction('xnliTrainEvent', (event: TrainEvent) => {
    if (event.type === 'progress' && event.run === 'download') if ('message' in event.progress) lines.push(event.progress.message);
  });
  const endpoint = hub.url;
  await openRunner(page, endpoint);
  const online = await trainOnce(page, endpoint, lines);
  assert.ok(lines.some((l) => /^downloading model\.safetensors: .* done$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^downloading XNLI en\/train parquet: .* done$/.test(l)), lines.join('\n'));
  assert.ok(requests.some((r) => r.origin === hub.storageUrl), 'LFS files came through the storage redirect');

  // The page's cache list shows what was stored, with sizes, and deletes an entry.
  const app = await context.newPage();
  await app.goto(`${endpoint}/`);
  await app.waitForFunction(() => document.querySelectorAll('#cache-panel li').length >= 5, null, { timeout: 60_000 });
  const listed = await app.$$eval('#cache-panel li', (items) => items.map((li) => li.textContent ?? ''));
  assert.ok(listed.some((t) => /^fixtures\/tiny-bert@[0-9a-f]{10} model\.safetensors \d+(\.\d)? KiB Delete$/.test(t)), listed.join('\n'));
  assert.ok(listed.some((t) => /^XNLI en\/validation parquet /.test(t)), listed.join('\n'));
  assert.match((await app.textContent('#cache-panel .cache-summary')) ?? '', /^\d+ files, .*free for this site\.$/);
  // Delete the validation parquet: offline it must then be reported as missing, not silently skipped.
  await app.click('#cache-panel li:has-text("XNLI en/validation") button');
  await app.waitForFunction(() => ![...document.querySelectorAll('#cache-panel li')].some((li) => li.textContent?.startsWith('XNLI en/validation')));
  await app.close();

  await hub.close();
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.runnerReady === 'true', null, { timeout: 60_000 });
  const failure = await page
    .evaluate(({ j, out }) => window.xnliRunner.train(j, 'wasm', out).then(() => 'no error', (e: Error) => e.message), { j: job(endpoint), out: `${outputs.url}/__output` })
    .catch((e: Error) => e.message);
  assert.match(failure, /no network and XNLI en\/validation parquet is not cached: connect once to download it, or give local files/);

  const offlineJob = job(endpoint);
  offlineJob.eval = { en: { kind: 'xnli', language: 'en', split: 'train' } };
  lines.length = 0;
  const [offline] = await page.evaluate(({ j, out }) => window.xnliRunner.train(j, 'wasm', out), { j: offlineJob, out: `${outputs.url}/__output` });
  assert.equal(offline!.status, 'FINISHED', offline!.error ?? '');
  assert.ok(lines.length > 0 && lines.every((l) => / from cache$/.test(l)), lines.join('\n'));
  assert.equal(offline!.params.train_sample_sha256, online.params.train_sample_sha256, 'the same 32 examples');
  assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});
