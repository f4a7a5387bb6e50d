// The reference models at their real size, on WASM: checkpoints with mBERT's, distilmBERT's and XLM-R's exact
// shapes (generated here, 0.5-1.1 GB each) train a few steps, checkpoint, are killed and resume, and load back,
// through the CLI and through the page's store (OPFS); what cannot fit WebAssembly's 4 GiB is refused up front.
// Few steps and short pairs, the real sizes. The browser's peak memory is printed for each run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReferenceShapedModel } from '../support/reference-shape.ts';
import { killForReal, startXnliTrain, xnliTrain, type CliProcess } from '../support/run-cli.ts';
import { jsonl, markerPairs } from '../support/marker-task.ts';
import { sampleChildMemory } from '../../cli/process-tree.ts';
import { startHubLikeServer, type RunningServer } from '../../cli/hub-like-server.ts';
import { DIST_DIR } from '../support/hub-server.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../cli/browser.ts';
import { findChromium } from '../../scripts/ensure-chromium.mjs';
import { ensureBuiltApp } from '../../cli/app-build.ts';
import { openStorePage, waitForCheckpoint } from './resume-support.ts';
import { REFERENCE_DEFAULTS } from '../../src/config/run-config.ts';
import type { TrainJob } from '../../src/train/job.ts';

let work: string;
let cache: string;
const models: Record<string, string> = {};
const WEIGHTS: Record<string, number> = {};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'xnli-scale-'));
  cache = join(work, 'cache');
  for (const [name, shape] of [['mbert', 'bert-base-multilingual-cased'], ['distilmbert', 'distilbert-base-multilingual-cased'], ['xlmr', 'xlm-roberta-base']] as const) {
    models[name] = join(work, name);
    WEIGHTS[name] = await writeReferenceShapedModel(models[name], shape);
  }
  await writeFile(join(work, 'train.jsonl'), jsonl(markerPairs(16, 1)));
  await writeFile(join(work, 'en.jsonl'), jsonl(markerPairs(8, 2)));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const args = (technique: string, model: string, out: string, steps: number) => [
  technique, '--model-names', models[model], '--train-file', join(work, 'train.jsonl'), '--eval-file', `en=${join(work, 'en.jsonl')}`,
  '--max-steps', String(steps), '--save-steps', '1', '--logging-steps', '1', '--eval-steps', String(steps), '--backend', 'wasm', '--output-dir', out,
];
const env = () => ({ XNLI_TRAIN_CACHE: cache });
const exists = (path: string) => stat(path).then(() => true, () => false);
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** Runs `body`, printing the peak resident memory of every process under this test while it ran. */
async function measured<T>(label: string, body: () => Promise<T>): Promise<T> {
  const memory = sampleChildMemory(250);
  try {
    return await body();
  } finally {
    const peak = memory?.peak();
    memory?.stop();
    if (peak) console.log(`# peak memory, ${label}: ${gib(peak.totalBytes)} in all, largest process ${gib(peak.largestBytes)}`);
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, cli: CliProcess, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    const { code, stderr } = cli.output();
    if (code !== null) throw new Error(`xnli-train ended before ${what}: ${stderr.split('\n').slice(-5).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`no ${what} in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Trains, is killed once its first checkpoint is committed, resumes, and ends with a full-size final checkpoint. */
async function trainKillResume(technique: string, model: string, steps: number): Promise<string> {
  const out = join(work, `${model}-${technique}`);
  const run = `${model}-${technique}`;
  const cli = startXnliTrain(args(technique, model, out, steps), env());
  await measured(`${technique} ${model} until killed`, async () => {
    await waitFor('checkpoint-1', () => exists(join(out, 'checkpoints', run, 'checkpoint-1')), cli);
    await killForReal(cli);
  });
  const resumed = await measured(`${technique} ${model} resumed`, () => xnliTrain([...args(technique, model, out, steps), '--resume-from-checkpoint'], env()));
  assert.equal(resumed.code, 0, resumed.stderr.split('\n').slice(-8).join('\n'));
  assert.match(resumed.stderr, /continues from checkpoint-\d+/);
  const final = join(out, 'checkpoints', run, `checkpoint-${steps}`);
  assert.equal((await stat(join(final, 'model.safetensors'))).size, WEIGHTS[model], 'the final checkpoint holds every weight, at the real size');
  if (technique === 'fine-tune') assert.equal((await stat(join(final, 'optimizer.safetensors'))).size > 2 * WEIGHTS[model] - 2 ** 20, true, 'and both AdamW moments of every weight');
  assert.deepEqual((await readdir(join(out, 'checkpoints', run))).filter((name) => name.endsWith('.partial')), []);
  return final;
}

test('mBERT-sized feature-extraction through the CLI: trains, checkpoints 711 MB, killed and resumed, the checkpoint loads back through predict', async () => {
  const final = await trainKillResume('feature-extraction', 'mbert', 3);
  await writeFile(join(work, 'pairs.jsonl'), jsonl([{ premise: 'the happy son', hypothesis: 'what' }]));
  const predicted = await measured('predict with the mBERT-sized checkpoint', () => xnliTrain(['predict', '--model', final, '--input', join(work, 'pairs.jsonl'), '--backend', 'wasm'], env()));
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.equal(JSON.parse(predicted.stdout.trim()).logits.length, 3);
});

test('distilmBERT-sized fine-tuning through the CLI fits WASM at short pairs: trains, checkpoints 1.6 GB, killed and resumed', async () => {
  await trainKillResume('fine-tune', 'distilmbert', 2);
});

test('what cannot fit WebAssembly\'s 4 GiB is refused before training, saying so; XLM-R-sized feature-extraction fits and trains', async () => {
  for (const model of ['mbert', 'xlmr']) {
    const refused = await measured(`fine-tune ${model} (refused)`, () => xnliTrain(args('fine-tune', model, join(work, `${model}-refused`), 1), env()));
    assert.equal(refused.code, 1, refused.stderr);
    const last = refused.stderr.trim().split('\n').at(-1)!;
    assert.match(last, /fine-tuning .* on WASM needs about [\d.]+ [KMG]iB \(weights [\d.]+ [KMG]iB, gradients [\d.]+ [KMG]iB, AdamW [\d.]+ [KMG]iB, activations [\d.]+ [KMG]iB\), more than fits in WebAssembly's 4 GiB memory \(estimates over [\d.]+ [KMG]iB stall there\): use feature-extraction \(about [\d.]+ [KMG]iB\)/);
    assert.doesNotMatch(refused.stderr, /step 1\//, 'refused before the first step');
  }
  const out = join(work, 'xlmr-fe');
  const trained = await measured('feature-extraction xlmr', () => xnliTrain(args('feature-extraction', 'xlmr', out, 1), env()));
  assert.equal(trained.code, 0, trained.stderr.split('\n').slice(-8).join('\n'));
  assert.equal((await stat(join(out, 'checkpoints', 'xlmr-feature-extraction', 'checkpoint-1', 'model.safetensors'))).size, WEIGHTS.xlmr);
});

test('mBERT-sized feature-extraction in the page\'s store (OPFS): closed after a checkpoint, resumed, loaded back and exported', async () => {
  const server: RunningServer = await startHubLikeServer({
    staticRoot: DIST_DIR, repoFolders: { 'scale/mbert': models.mbert },
    files: { '/__files/0/train.jsonl': join(work, 'train.jsonl'), '/__files/1/en.jsonl': join(work, 'en.jsonl') },
  });
  // A profile on disk, as a user's: a private context keeps OPFS in memory, with a cap below these checkpoints.
  await ensureBuiltApp((line) => console.log(`# ${line}`));
  const context = await chromium.launchPersistentContext(join(work, 'profile'), { executablePath: findChromium()!, headless: true, args: CHROMIUM_ARGS });
  try {
    const job: TrainJob = {
      config: { ...REFERENCE_DEFAULTS, technique: 'feature-extraction', modelNames: ['scale/mbert'], evalLanguages: ['en'], maxSteps: 3, saveSteps: 1, loggingSteps: 1, evalSteps: 3, backend: 'wasm', hubEndpoint: server.url },
      models: [{ name: 'scale/mbert', endpoint: server.url, repo: 'scale/mbert', revision: 'main' }],
      train: { kind: 'url', url: `${server.url}/__files/0/train.jsonl`, name: 'train.jsonl' },
      eval: { en: { kind: 'url', url: `${server.url}/__files/1/en.jsonl`, name: 'en.jsonl' } },
      environment: {},
    };
    await measured('the page training mBERT-sized feature-extraction until closed', async () => {
      const page = await openStorePage(context, server.url);
      await page.evaluate((job) => void window.xnliRunner.store.train(job, 'wasm', 2).catch(() => {}), job);
      await waitForCheckpoint(page, () => true, 600_000);
      await page.close();
    });
    const page = await openStorePage(context, server.url);
    const [interrupted] = await page.evaluate(() => window.xnliRunner.store.list());
    assert.equal(interrupted.state, 'interrupted');
    const [resumed] = await measured('the page resuming it', () => page.evaluate((id) => window.xnliRunner.store.resume(id, 'wasm'), interrupted.runId));
    assert.equal(resumed.status, 'FINISHED');
    const stored = await page.evaluate((id) => window.xnliRunner.store.get(id), interrupted.runId);
    assert.equal(stored!.checkpoints.at(-1)!.files['model.safetensors'], WEIGHTS.mbert, 'a full-size checkpoint in OPFS');

    await measured('loading it back and exporting it', async () => {
      await page.evaluate(() => window.xnliRunner.init('wasm'));
      await page.evaluate((id) => window.xnliRunner.loadCheckpoint(id, null), interrupted.runId);
      const [prediction] = await page.evaluate(() => window.xnliRunner.predict([{ premise: 'the happy son', hypothesis: 'what' }]));
      assert.equal(prediction.probabilities.length, 3);
      const zip = await page.evaluate((id) => window.xnliRunner.store.exportZip(id, null), interrupted.runId);
      assert.deepEqual(zip.files.map((f) => f.name), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
      assert.equal(zip.files[1].size, WEIGHTS.mbert);
      assert.ok(zip.bytes > WEIGHTS.mbert, `the zip holds the weights: ${zip.bytes} bytes`);
    });
  } finally {
    await context.close();
    await server.close();
  }
});
