// Runs in the browser that survive what really happens: the browser process killed mid-job (a two-model job then
// finishes both models on Resume), the page closed while it evaluates, and a real full disk under the profile.
// Each ends as an uninterrupted run does (CPU backend: bit for bit), with each metric logged once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startHubLikeServer, type RunningServer } from '../../cli/hub-like-server.ts';
import { CHROMIUM_ARGS } from '../../cli/browser.ts';
import { findChromium } from '../../scripts/ensure-chromium.mjs';
import { DIST_DIR } from '../support/hub-server.ts';
import { ensureBuiltApp } from '../../cli/app-build.ts';
import { descendantsRunning, killAll } from '../../cli/process-tree.ts';
import type { RunRecord } from '../../src/train/run-record.ts';
import { comparableHistory, loggedTwice } from '../support/metric-history.ts';
import type { TrainJob } from '../../src/train/job.ts';
import { DEMO_MODEL, PAIRS, demoJob, openStorePage, waitForCheckpoint } from './resume-support.ts';

let server: RunningServer;
let work: string;
const EVAL_ROUTE = '/__files/0/eval.jsonl';

before(async () => {
  await ensureBuiltApp((line) => console.log(`# ${line}`));
  work = await mkdtemp(join(tmpdir(), 'xnli-survival-'));
  // Long enough that the page can be closed while an evaluation runs (about a second on the CPU backend).
  const rows = Array.from({ length: 400 }, (_, i) => ({ ...PAIRS[i % PAIRS.length], label: i % 3 }));
  await writeFile(join(work, 'eval.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n'));
  server = await startHubLikeServer({
    staticRoot: DIST_DIR,
    repoFolders: { 'demo/model': DEMO_MODEL, 'demo/model-b': DEMO_MODEL },
    files: { [EVAL_ROUTE]: join(work, 'eval.jsonl') },
  });
});

after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** 3 epochs of 6 steps, checkpoints every 5; evaluation on the long file at the end only unless asked. */
const job = (overrides: Partial<TrainJob['config']> = {}, models = ['demo/model']): TrainJob => {
  const base = demoJob(server.url, { numTrainExamples: 48, numTrainEpochs: 3, loggingSteps: 3, saveSteps: 5, evalSteps: 0, backend: 'cpu', modelNames: models, ...overrides });
  return {
    ...base,
    models: models.map((name) => ({ name, endpoint: server.url, repo: name, revision: 'main' })),
    eval: { en: { kind: 'url', url: `${server.url}${EVAL_ROUTE}`, name: 'eval.jsonl' } },
  };
};

/** A browser profile in `dir` that survives the browser: IndexedDB, OPFS, as a user's does. */
const openProfile = (dir: string) => chromium.launchPersistentContext(dir, { executablePath: findChromium()!, headless: true, args: CHROMIUM_ARGS });

/** SIGKILL to the browser of the profile in `dir`, every process of it: nothing is flushed or closed. */
async function killBrowser(dir: string, context: BrowserContext): Promise<void> {
  const pids = descendantsRunning(`--user-data-dir=${dir}`);
  assert.ok(pids.length > 0, `found the browser of ${dir}`);
  killAll(pids);
  await context.close().catch(() => {});
}


const train = (page: Page, trained: TrainJob) => page.evaluate((job) => window.xnliRunner.store.train(job, 'cpu', 2), trained);
const startTraining = (page: Page, trained: TrainJob) => page.evaluate((job) => void window.xnliRunner.store.train(job, 'cpu', 2).catch(() => {}), trained);
const storedRun = (page: Page, runId: string) => page.evaluate((id) => window.xnliRunner.store.get(id), runId);
const finalWeights = (page: Page, runId: string) => page.evaluate((id) => window.xnliRunner.store.checkpointFile(id, null, 'model.safetensors'), runId);

/** `run` (stored in `page`'s profile) ended as `expected` did: finished, same history, each point once, same weights. */
async function assertSameRun(page: Page, run: RunRecord, expected: RunRecord) {
  assert.equal(run.status, 'FINISHED', `${run.runName} finished`);
  const [a, b] = [await storedRun(page, expected.runId), await storedRun(page, run.runId)];
  assert.deepEqual(loggedTwice(b!.record.metrics), [], `${run.runName}: no step logged twice`);
  assert.deepEqual(comparableHistory(b!.record.metrics), comparableHistory(a!.record.metrics), `${run.runName}: the history of the uninterrupted run`);
  assert.ok((await finalWeights(page, run.runId)) === (await finalWeights(page, expected.runId)), `${run.runName}: model.safetensors byte-identical`);
}

test('the browser process killed mid-way through a two-model job: the next start lists the run as interrupted, and Resume finishes both models exactly', async () => {
  const profile = await mkdtemp(join(work, 'profile-'));
  const models = ['demo/model', 'demo/model-b'];
  let context = await openProfile(profile);
  let page = await openStorePage(context, server.url);
  const expected = await train(page, job({}, models));
  assert.deepEqual(expected.map((r) => [r.runName, r.status]), [['model-fine-tune', 'FINISHED'], ['model-b-fine-tune', 'FINISHED']]);

  await startTraining(page, job({}, models));
  const interrupted = await waitForCheckpoint(page, (run) => !expected.some((r) => r.runId === run.runId));
  assert.equal(interrupted.runName, 'model-fine-tune', 'killed during the first model');
  await killBrowser(profile, context);

  context = await openProfile(profile);
  page = await openStorePage(context, server.url);
  const listed = (await page.evaluate(() => window.xnliRunner.store.list())).find((run) => run.runId === interrupted.runId)!;
  assert.equal(listed.state, 'interrupted', 'listed as interrupted after the browser died');
  assert.match(listed.activity ?? '', /^(training model-fine-tune, step \d+ of 18|evaluating model-fine-tune on en at step \d+|saving checkpoint-\d+ of model-fine-tune)/, `it says what it was doing: ${listed.activity}`);
  assert.equal(listed.resumable, true);
  const runs = await page.evaluate((id) => window.xnliRunner.store.resume(id, 'cpu'), interrupted.runId);
  assert.deepEqual(runs.map((r) => r.runName), ['model-fine-tune', 'model-b-fine-tune'], 'Resume trains the rest of the job too');
  assert.equal(runs[0].runId, interrupted.runId, 'the interrupted run itself continues');
  await assertSameRun(page, runs[0], expected[0]);
  await assertSameRun(page, runs[1], expected[1]);
  await context.close();
});

test('the page closed while it evaluates: the resumed run evaluates again at that step and logs each evaluation metric once', async () => {
  const profile = await mkdtemp(join(work, 'profile-'));
  // Evaluation at steps 6, 12, 18; checkpoints at 5, 10, 15, 18: closed in the evaluation of step 12.
  const evaluating = job({ evalSteps: 6, loggingSteps: 6 });
  const context = await openProfile(profile);
  let page = await openStorePage(context, server.url);
  const [expected] = await train(page, evaluating);
  await startTraining(page, evaluating);
  let runId = '';
  const deadline = Date.now() + 120_000;
  for (;;) {
    const runs = await page.evaluate(() => window.xnliRunner.store.list());
    runId = runs.find((run) => run.runId !== expected.runId)?.runId ?? '';
    const points = runId ? (await storedRun(page, runId))!.record.metrics : [];
    // The loss of step 12 is logged just before its evaluation starts.
    if (points.some((p) => p.key === 'loss' && p.step === 12)) break;
    assert.ok(Date.now() < deadline, 'step 12 was reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await page.close();

  page = await openStorePage(context, server.url);
  const before = (await storedRun(page, runId))!;
  assert.ok(!before.record.metrics.some((p) => p.key === 'eval_en_accuracy' && p.step === 12), 'closed before the evaluation of step 12 ended (make it longer if not)');
  assert.equal(before.checkpoints.at(-1)!.step, 10, 'the last checkpoint comes before that evaluation');
  const [resumed] = await page.evaluate((id) => window.xnliRunner.store.resume(id, 'cpu'), runId);
  const evaluations = (await storedRun(page, runId))!.record.metrics.filter((p) => p.key === 'eval_en_accuracy').map((p) => p.step);
  assert.deepEqual(evaluations, [6, 12, 18], 'each evaluation logged once, step 12 again after the resume');
  await assertSameRun(page, resumed, expected);
  await context.close();
});

test('a real full disk under the browser profile: the checkpoint fails with one line, metrics and earlier checkpoints stay, and the run resumes once space is freed', async (t) => {
  const mount = await mkdtemp(join(work, 'small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mount], { stdio: 'pipe' });
  } catch (error) {
    t.skip(`mounting a small tmpfs needs root (CI runs as root): ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  const context = await openProfile(join(mount, 'profile'));
  try {
    const page = await openStorePage(context, server.url);
    // 36 steps, so that the disk fills while the run still has checkpoints to write.
    const long = job({ numTrainEpochs: 6 });
    const [expected] = await train(page, long);

    await startTraining(page, long);
    const run = await waitForCheckpoint(page, (r) => r.runId !== expected.runId);
    // The disk fills up (another program's download, say) and leaves less than a checkpoint (about 1.1 MiB).
    const free = await statfs(mount);
    await writeFile(join(mount, 'filler'), Buffer.alloc(Math.max(0, free.bavail * free.bsize - 256 * 1024)));
    const deadline = Date.now() + 120_000;
    let stored = (await storedRun(page, run.runId))!;
    while (stored.record.status === 'RUNNING') {
      assert.ok(Date.now() < deadline, 'the run ended in time');
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = (await storedRun(page, run.runId))!;
    }
    assert.equal(stored.record.status, 'FAILED', `the run failed on the full disk: ${stored.record.status}`);
    const error = stored.record.error ?? '';
    assert.match(error, /^the disk holding the browser's storage is full \(or, in a private window, the memory it keeps storage in\): checkpoint-\d+ of model-fine-tune \([\d.]+ [KM]iB\) could not be saved .*metrics and earlier checkpoints are kept; free space on the disk/);
    assert.equal(error.split('\n').length, 1, 'one line');
    const failedStep = Number(/checkpoint-(\d+)/.exec(error)![1]);
    const kept = stored.checkpoints.map((c) => c.step);
    assert.ok(kept.length > 0 && kept.every((step) => step < failedStep), `the earlier checkpoints are kept: ${kept}, failed at ${failedStep}`);
    assert.ok(stored.record.metrics.some((p) => p.key === 'loss' && p.step > kept.at(-1)!), 'metrics logged after the last of them are kept');
    assert.equal(await page.evaluate((id) => window.xnliRunner.store.folders(id, 'opfs'), run.runId).then((f) => f.length), kept.length, 'the failed write left no folder');

    await rm(join(mount, 'filler'));
    const [resumed] = await page.evaluate((id) => window.xnliRunner.store.resume(id, 'cpu'), run.runId);
    assert.equal(resumed.runId, run.runId);
    await assertSameRun(page, resumed, expected);
  } finally {
    await context.close().catch(() => {});
    execFileSync('umount', ['-l', mount]);
  }
});
