// Runs that survive the page: a run whose page is closed mid-way resumes in a new page and ends with the weights
// of an uninterrupted run (CPU backend: bit for bit) and the same metric history; a checkpoint write cut off
// half-way leaves the previous checkpoint loadable; an exported HF folder loads back with the same logits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHubLikeServer, type RunningServer } from '../../cli/hub-like-server.ts';
import { launchTestBrowser, collectPageErrors } from '../support/browser.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { comparableHistory, loggedTwice } from '../support/metric-history.ts';
import { DEMO_MODEL, demoJob, openStorePage, startDemoServer, waitForCheckpoint, PAIRS } from './resume-support.ts';
import { installStoreHooks } from '../support/store-hooks.ts';

let server: RunningServer;
let browser: Browser;

before(async () => {
  browser = await launchTestBrowser();
  server = await startDemoServer();
});

/** Each test runs in a context of its own (fresh storage: IndexedDB, OPFS, locks), so none depends on another. */
async function inFreshContext(body: (context: BrowserContext) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  try {
    await body(context);
  } finally {
    await context.close();
  }
}

after(async () => {
  await browser?.close();
  await server?.close();
});


// 3 epochs of 6 steps; logging every 4 and saving every 5 so checkpoints fall between logged losses.
const TOTAL = 18;
const job = () => demoJob(server.url, { numTrainExamples: 48, numTrainEpochs: 3, loggingSteps: 4, saveSteps: 5, evalSteps: 6, backend: 'cpu' });

/** Trains the job to the end in `page`'s storage; returns the finished run's id. */
async function finishedRun(page: Page): Promise<string> {
  const [run] = await page.evaluate((job) => window.xnliRunner.store.train(job, 'cpu', 2), job());
  assert.equal(run.status, 'FINISHED');
  return run.runId;
}

test('a run whose page closes mid-way resumes in a new page and ends bit-identical to an uninterrupted run', () => inFreshContext(async (context) => {
  const pageA = await openStorePage(context, server.url);
  const uninterruptedId = await finishedRun(pageA);

  await pageA.evaluate((job) => void window.xnliRunner.store.train(job, 'cpu', 2).catch(() => {}), job());
  const interrupted = await waitForCheckpoint(pageA, (run) => run.runId !== uninterruptedId);
  const resumedId = interrupted.runId;
  await pageA.close();

  const pageB = await openStorePage(context, server.url);
  const errors = collectPageErrors(pageB);
  const listed = await pageB.evaluate(() => window.xnliRunner.store.list());
  const before = listed.find((r) => r.runId === resumedId)!;
  assert.equal(before.state, 'interrupted', 'RUNNING in the registry, but its page is gone');
  assert.equal(before.resumable, true);
  const lastStep = before.checkpoints.at(-1)!.step;
  assert.ok(lastStep > 0 && lastStep < TOTAL, `interrupted at checkpoint ${lastStep} of ${TOTAL}`);
  assert.equal(listed.find((r) => r.runId === uninterruptedId)!.state, 'finished');

  const [resumed] = await pageB.evaluate((id) => window.xnliRunner.store.resume(id, 'cpu'), resumedId);
  assert.equal(resumed.status, 'FINISHED');
  assert.equal(resumed.runId, resumedId, 'the same run continues');

  const weights = await pageB.evaluate(
    (ids) => Promise.all(ids.map((id) => window.xnliRunner.store.checkpointFile(id, null, 'model.safetensors'))),
    [uninterruptedId, resumedId],
  );
  assert.ok(weights[0] === weights[1], 'model.safetensors of both final checkpoints are byte for byte equal');

  const [a, b] = await pageB.evaluate((ids) => Promise.all(ids.map((id) => window.xnliRunner.store.get(id))), [uninterruptedId, resumedId]);
  assert.deepEqual(loggedTwice(b!.record.metrics), [], 'no duplicate step');
  assert.deepEqual(comparableHistory(b!.record.metrics), comparableHistory(a!.record.metrics), 'no gap: the same points with the same values');
  assert.deepEqual(a!.checkpoints.map((c) => c.step), [15, 18], 'pruned to the 2 newest');
  assert.deepEqual(b!.checkpoints.map((c) => c.step), [15, 18]);
  assert.deepEqual(await pageB.evaluate((id) => window.xnliRunner.store.folders(id, 'opfs'), resumedId).then((f) => f.length), 2, 'pruned folders are gone');
  assert.deepEqual(errors, []);
  await pageB.close();
}));

test('a checkpoint write cut off half-way leaves the previous checkpoint listed and loadable', () => inFreshContext(async (context) => {
  const pageA = await openStorePage(context, server.url);
  const runId = await finishedRun(pageA);
  await pageA.evaluate(() => window.xnliRunner.init('cpu'));
  await pageA.evaluate((id) => window.xnliRunner.loadCheckpoint(id, null), runId);
  const logitsBefore = await pageA.evaluate((pairs) => window.xnliRunner.predict(pairs), PAIRS);
  await installStoreHooks(pageA);
  await pageA.evaluate((id) => void window.xnliStoreHooks!.writeSyntheticCheckpoint(id, 99, {
    'model.safetensors': 48 * 2 ** 20, 'optimizer.safetensors': 400 * 2 ** 20, 'trainer_state.json': 1000,
  }).catch(() => {}), runId);
  await pageA.waitForFunction(() => window.xnliCheckpointWrites?.includes('model.safetensors'), null, { timeout: 60_000 });
  await pageA.close();

  const pageB = await openStorePage(context, server.url);
  await pageB.evaluate(() => window.xnliRunner.init('cpu'));
  const run = await pageB.evaluate((id) => window.xnliRunner.store.get(id), runId);
  assert.deepEqual(run!.checkpoints.map((c) => c.step), [15, 18], 'the cut-off checkpoint was never listed');
  const leftovers = await pageB.evaluate((id) => window.xnliRunner.store.removeUnlisted(id), runId);
  assert.equal(leftovers.length, 1, 'the half-written folder was there');
  assert.match(leftovers[0], /^checkpoint-99-/);
  await pageB.evaluate((id) => window.xnliRunner.loadCheckpoint(id, null), runId);
  assert.deepEqual(await pageB.evaluate((pairs) => window.xnliRunner.predict(pairs), PAIRS), logitsBefore, 'the previous checkpoint loads and predicts as before');
  await pageB.close();
}));

test('export: the HF folder loads back through the loading path with the same logits and keeps every HF tensor name and shape', () => inFreshContext(async (context) => {
  const page = await openStorePage(context, server.url);
  const uninterruptedId = await finishedRun(page);
  await page.evaluate(() => window.xnliRunner.init('cpu'));
  const { fileName, base64 } = await page.evaluate((id) => window.xnliRunner.store.exportZip(id, null), uninterruptedId);
  assert.ok(base64, 'a small zip comes back whole');
  const files = unzipSync(new Uint8Array(Buffer.from(base64, 'base64')));
  const root = await mkdtemp(join(tmpdir(), 'xnli-export-'));
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
  const folder = join(root, fileName.replace(/\.zip$/, ''));
  const exportServer = await startHubLikeServer({ repoFolders: { 'exported/model': folder } });
  try {
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
    assert.equal(config.num_labels, 3);
    assert.deepEqual(config.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
    assert.deepEqual(config.label2id, { entailment: 0, neutral: 1, contradiction: 2 });
    assert.deepEqual(Object.keys(files).map((f) => f.split('/')[1]).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);

    const original = readSafetensors(await readFile(join(DEMO_MODEL, 'model.safetensors')));
    const exported = readSafetensors(await readFile(join(folder, 'model.safetensors')));
    for (const [name, info] of original.tensors) {
      assert.deepEqual(exported.tensors.get(name)?.shape, info.shape, `${name} kept with its shape`);
    }
    for (const head of ['classifier.weight', 'classifier.bias']) assert.ok(exported.tensors.has(head), head);

    await page.evaluate((id) => window.xnliRunner.loadCheckpoint(id, null), uninterruptedId);
    const fromStore = await page.evaluate((pairs) => window.xnliRunner.predict(pairs), PAIRS);
    await page.evaluate((endpoint) => window.xnliRunner.loadModel({ endpoint, repo: 'exported/model' }), exportServer.url);
    assert.deepEqual(await page.evaluate((pairs) => window.xnliRunner.predict(pairs), PAIRS), fromStore, 'same logits from the exported folder');
  } finally {
    await exportServer.close();
    await rm(root, { recursive: true, force: true });
    await page.close();
  }
}));

test('deleting a run removes its record, history and checkpoint files', () => inFreshContext(async (context) => {
  const page: Page = await openStorePage(context, server.url);
  const uninterruptedId = await finishedRun(page);
  assert.equal((await page.evaluate((id) => window.xnliRunner.store.folders(id, 'opfs'), uninterruptedId)).length, 2, 'its checkpoints are there first');
  await page.evaluate((id) => window.xnliRunner.store.delete(id), uninterruptedId);
  assert.equal(await page.evaluate((id) => window.xnliRunner.store.get(id), uninterruptedId), undefined);
  assert.deepEqual(await page.evaluate((id) => window.xnliRunner.store.folders(id, 'opfs'), uninterruptedId), []);
  await assert.rejects(page.evaluate((id) => window.xnliRunner.store.resume(id), uninterruptedId), /no run .* in this browser's storage/);
  await page.close();
}));

test('the page\'s list of runs has a stored run with its state, checkpoints and actions', () => inFreshContext(async (context) => {
  const resumedId = await finishedRun(await openStorePage(context, server.url));
  const page = await context.newPage();
  await page.goto(`${server.url}/index.html?backend=cpu`);
  const row = page.locator(`#runs-table tr[data-run-id="${resumedId}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.equal(await row.getAttribute('data-state'), 'finished');
  assert.match(await row.innerText(), /15 \(.*MiB\), 18 \(.*MiB\) of 18 steps/);
  assert.deepEqual(await row.locator('button').allInnerTexts(), ['Export model (zip)', 'Export model to folder', 'Export MLflow JSON', 'Delete']);
  assert.match(await page.locator('#stored-runs-storage').innerText(), /Browser storage: .* used of /);
  await page.close();
}));
