// Resuming in Node (tfjs CPU): a run continued from a checkpoint's files ends with the same weights, bit for
// bit, and the same metric history as an uninterrupted run. Also the export folder and the storage checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { unzipSync } from 'fflate';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryFiles } from '../../src/hub/url-files.ts';
import { sequenceClassifierFromBuffers, type SequenceClassifier } from '../../src/model/classifier.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { checkpointFiles, modelSafetensorsFile } from '../../src/train/checkpoint.ts';
import { checkpointBytes, gathered } from '../../src/train/checkpoint-stream.ts';
import { historyAtCheckpoint, readResumePoint, SUMMARY_METRICS } from '../../src/train/resume.ts';
import type { MetricPoint, RunRecord } from '../../src/train/run-record.ts';
import { train, TRAIN_DEFAULTS, type LabelledPair, type LoopState, type TrainOptions } from '../../src/train/trainer.ts';
import { exportFolderName, hfClassifierConfig, hfModelFolderFiles } from '../../src/export/hf-folder.ts';
import { crc32, zipFolder } from '../../src/export/zip.ts';
import { checkFit, checkpointBytesEstimate, isQuotaError, StorageFullError } from '../../src/store/quota.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { trainExamples } from '../reference/train-parity.ts';

await tf.setBackend('cpu');
const fixture = checkpointFixtures()['fixtures/tiny-bert'];
const config = fixture['config.json'] as Record<string, unknown>;
const loadBase = () => sequenceClassifierFromBuffers(config, fixture['model.safetensors'].slice().buffer);
const examples: LabelledPair[] = trainExamples('bert', 1000, 30).map((e) => ({ pair: { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds }, label: e.label }));
const evalSet = { en: examples.slice(0, 6) };
/** Logging every 3 steps and saving every 4: checkpoints fall between logged losses, so the partial sums must carry over. */
const options: TrainOptions = { ...TRAIN_DEFAULTS, batchSize: 4, numTrainEpochs: 2, loggingSteps: 3, evalSteps: 5, saveSteps: 4, learningRate: 1e-3 };
const TIMINGS = /runtime|per_second/;
const IN_MEMORY = 'checkpoint in memory';


function newRun(): RunRecord {
  return { runId: 'r1', runName: 'tiny-bert-fine-tune', experimentName: 'xnli_fine-tune', status: 'RUNNING', startTime: 0, params: {}, tags: {}, metrics: [] };
}

async function runWithCheckpoints(model: SequenceClassifier, run: RunRecord, start?: Awaited<ReturnType<typeof readResumePoint>>) {
  const saved = new Map<number, Record<string, Uint8Array>>();
  const result = await train(model, { trainSet: examples, evalSets: evalSet, options, hooks: {
    onMetrics: (points) => void run.metrics.push(...points),
    onCheckpoint: async (step, optimizer, loopState: LoopState) => {
      saved.set(step, await checkpointBytes(checkpointFiles(model, optimizer, {
        run, step, totalSteps: 16, stepsPerEpoch: 8, options, extraFiles: { 'tokenizer.json': new TextEncoder().encode('{}') }, loopState,
      })));
    },
  }, padTokenId: 0, maxLength: 64, resume: start });
  return { result, saved };
}

const comparable = (points: MetricPoint[]) => points.filter((p) => !TIMINGS.test(p.key)).map((p) => `${p.key}@${p.step}=${p.value}`).sort();

test('a run resumed from a checkpoint ends with the same weights (bit for bit) and the same history', async () => {
  const whole = loadBase();
  const wholeRun = newRun();
  const { result: full, saved } = await runWithCheckpoints(whole, wholeRun);
  assert.equal(full.globalStep, 16);
  assert.deepEqual([...saved.keys()], [4, 8, 12, 16]);

  for (const step of [4, 8]) {
    const files = saved.get(step)!;
    const state = JSON.parse(new TextDecoder().decode(files['trainer_state.json']));
    assert.equal(state.global_step, step);
    assert.equal(state.xnli_resume.stepsSinceLog, step % 3, 'steps since the last logged loss are saved');

    const resumed = sequenceClassifierFromBuffers(JSON.parse(new TextDecoder().decode(files['config.json'])), files['model.safetensors'].slice().buffer);
    const start = await readResumePoint(resumed, memoryFiles(files, IN_MEMORY), options.technique, options.adam);
    assert.equal(start.globalStep, step);
    const run = { ...newRun(), metrics: historyAtCheckpoint(wholeRun.metrics, step) };
    const { result } = await runWithCheckpoints(resumed, run, start);
    start.optimizer.dispose();
    assert.equal(result.globalStep, 16, 'ends where the uninterrupted run ended');
    for (const p of whole.parameters) {
      const a = await p.variable.data();
      const b = await resumed.parameter(p.hfName).data();
      assert.ok(a.every((v, i) => Object.is(v, b[i])), `${p.hfName} equal bit for bit after resuming at step ${step}`);
    }
    assert.deepEqual(comparable(run.metrics), comparable(wholeRun.metrics), `history after resuming at step ${step}: no gap, no duplicate, same values`);
    resumed.dispose();
  }
  whole.dispose();
});

test('the history at a checkpoint drops later points and end-of-run summaries', () => {
  const points: MetricPoint[] = [
    { key: 'loss', value: 1, step: 3, timestamp: 1 },
    { key: 'eval_en_accuracy', value: 0.5, step: 5, timestamp: 2 },
    { key: 'train_loss', value: 1, step: 5, timestamp: 3 },
    { key: 'loss', value: 0.9, step: 6, timestamp: 4 },
  ];
  assert.deepEqual(historyAtCheckpoint(points, 5).map((p) => `${p.key}@${p.step}`), ['loss@3', 'eval_en_accuracy@5']);
  assert.ok(SUMMARY_METRICS.includes('total_flos'));
});

test('resuming refuses a checkpoint whose optimizer state does not cover what the technique trains', async () => {
  const model = loadBase();
  const run = newRun();
  let files: Record<string, Uint8Array> | undefined;
  await train(model, { trainSet: examples.slice(0, 8), options: { ...options, technique: 'feature-extraction', maxSteps: 2, saveSteps: 2 }, hooks: {
    onCheckpoint: async (step, optimizer, loopState) => {
      files = await checkpointBytes(checkpointFiles(model, optimizer, { run, step, totalSteps: 2, stepsPerEpoch: 2, options, extraFiles: {}, loopState }));
    },
  } });
  await assert.rejects(readResumePoint(model, memoryFiles(files!, IN_MEMORY), 'fine-tune', options.adam), /has no optimizer state for bert\.embeddings\..*another model or technique than fine-tune/);
  const start = await readResumePoint(model, memoryFiles(files!, IN_MEMORY), 'feature-extraction', options.adam);
  assert.equal(start.globalStep, 2);
  assert.equal(start.optimizer.step, 2);
  start.optimizer.dispose();
  model.dispose();
});

test('export: an HF folder (classifier config, model weights by HF name, tokenizer) in a zip', async () => {
  const model = loadBase();
  const files = await checkpointBytes(checkpointFiles(model, new (await import('../../src/train/adamw.ts')).AdamW(), {
    run: newRun(), step: 0, totalSteps: 1, stepsPerEpoch: 1, options, extraFiles: { 'tokenizer.json': new TextEncoder().encode('{"x":1}'), 'tokenizer_config.json': new TextEncoder().encode('{}') },
  }));
  const exportFiles = await hfModelFolderFiles(memoryFiles(files, IN_MEMORY));
  const folder: Record<string, Uint8Array> = {};
  for (const file of exportFiles) folder[file.name] = await file.read(0, file.size);
  assert.deepEqual(Object.keys(folder).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  const exported = JSON.parse(new TextDecoder().decode(folder['config.json']));
  assert.deepEqual(exported.architectures, ['BertForSequenceClassification']);
  assert.equal(exported.num_labels, 3);
  assert.deepEqual(exported.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
  assert.deepEqual(exported.label2id, { entailment: 0, neutral: 1, contradiction: 2 });
  const names = [...readSafetensors(folder['model.safetensors']).tensors.keys()];
  assert.ok(names.includes('classifier.weight') && names.includes('bert.pooler.dense.weight'), names.join(' '));

  const name = exportFolderName('tiny bert/fine-tune', 8);
  assert.equal(name, 'tiny_bert_fine-tune-checkpoint-8');
  const zip = new Uint8Array(await (await zipFolder(name, exportFiles)).arrayBuffer());
  const unzipped = unzipSync(zip);
  assert.deepEqual(Object.keys(unzipped).sort(), Object.keys(folder).sort().map((f) => `${name}/${f}`));
  assert.deepEqual(unzipped[`${name}/model.safetensors`], folder['model.safetensors']);
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926, 'the zip CRC-32 check value');
  const zipPath = join(tmpdir(), `export-${process.pid}.zip`);
  writeFileSync(zipPath, zip);
  // Python's zipfile checks every entry's CRC and sizes.
  const tested = spawnSync('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())', zipPath], { encoding: 'utf8' });
  if (tested.status === 0) assert.equal(tested.stdout.trim(), 'None', `Python's zipfile finds no bad entry: ${tested.stdout}`);
  rmSync(zipPath);

  await assert.rejects(hfModelFolderFiles(memoryFiles({ 'config.json': files['config.json'], 'model.safetensors': files['model.safetensors'] }, IN_MEMORY)), /has no tokenizer\.json/);
  assert.throws(() => hfClassifierConfig({ model_type: 'gpt2' }), /gpt2|model_type/);
  model.dispose();
});

test('storage: estimates, the warning before a run that will not fit, and the quota error', () => {
  assert.equal(checkpointBytesEstimate(100 * 2 ** 20, 'fine-tune'), 300 * 2 ** 20 + 20 * 2 ** 20);
  assert.ok(checkpointBytesEstimate(100 * 2 ** 20, 'feature-extraction') < 125 * 2 ** 20);
  assert.equal(checkFit(10, { usage: 0, quota: 100, persisted: false }).fits, true);
  const tight = checkFit(3 * 2 ** 30, { usage: 2 ** 30, quota: 2 * 2 ** 30, persisted: false });
  assert.equal(tight.fits, false);
  assert.match(tight.warning, /need about 3 GiB but only 1 GiB of browser storage is free/);
  assert.equal(checkFit(1, null).fits, true, 'no estimate API: no warning');
  assert.ok(isQuotaError(new DOMException('full', 'QuotaExceededError')));
  assert.ok(!isQuotaError(new Error('network')));
  assert.match(new StorageFullError('checkpoint-500 of r', 2 ** 30, { usage: 5, quota: 10, persisted: null }).message, /browser storage is full: checkpoint-500 of r \(1 GiB\).*metrics and earlier checkpoints are kept/);
});

test('a checkpoint streams tensor by tensor: the bytes of the file written whole, small tensors gathered, no piece above the largest tensor or 8 MiB', async () => {
  const model = loadBase();
  const file = modelSafetensorsFile(model);
  const pieces: Uint8Array[] = [];
  for await (const piece of gathered(file.chunks(), 4096)) pieces.push(piece);
  const joined = new Uint8Array(pieces.reduce((sum, p) => sum + p.byteLength, 0));
  pieces.reduce((offset, p) => (joined.set(p, offset), offset + p.byteLength), 0);
  assert.equal(joined.byteLength, file.size, 'the announced size');
  assert.ok(Buffer.from(joined).equals(Buffer.from(model.toSafetensors())), 'the same bytes as the whole file');
  const largest = Math.max(...model.parameters.map((p) => p.variable.size * 4));
  assert.ok(pieces.every((p) => p.byteLength <= Math.max(largest, 4096)), `pieces bounded: ${Math.max(...pieces.map((p) => p.byteLength))} > ${largest}`);
  assert.ok(pieces.length < model.parameters.length, `small tensors gathered: ${pieces.length} pieces for ${model.parameters.length} tensors`);
  model.dispose();
});
