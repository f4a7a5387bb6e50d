import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { sequenceClassifierFromBuffers, type SequenceClassifier } from '../../src/model/classifier.ts';
import { NonFiniteLossError, train, TRAIN_DEFAULTS, type LabelledPair } from '../../src/train/trainer.ts';
import { linearScheduleRate } from '../../src/train/schedule.ts';
import { AdamW, ADAMW_DEFAULTS } from '../../src/train/adamw.ts';
import type { MetricPoint } from '../../src/train/run-record.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { trainExamples } from '../reference/train-parity.ts';

await tf.setBackend('cpu');
const fixtures = checkpointFixtures();

function loadTinyBert(overrides: Record<string, unknown> = {}): SequenceClassifier {
  const fixture = fixtures['fixtures/tiny-bert'];
  return sequenceClassifierFromBuffers({ ...(fixture['config.json'] as object), ...overrides }, fixture['model.safetensors'].slice().buffer);
}

function examples(count: number): LabelledPair[] {
  return trainExamples('bert', 1000, count).map((e) => ({ pair: { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds }, label: e.label }));
}

/**
 * A task a model can learn: the label is which of three marker tokens follows [CLS]. Chance is 1/3.
 */
function markerTask(count: number, seed: number): LabelledPair[] {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % 1000;
  return Array.from({ length: count }, () => {
    const label = next() % 3;
    const length = 6 + (next() % 10);
    const inputIds = [2, 10 + label, ...Array.from({ length: length - 3 }, () => 20 + (next() % 900)), 3];
    return { pair: { inputIds, tokenTypeIds: inputIds.map(() => 0) }, label };
  });
}

test('logs the reference metrics at logging steps, with the linear learning rate, and evaluates every language', async () => {
  const model = loadTinyBert();
  const points: MetricPoint[] = [];
  const checkpoints: number[] = [];
  const trainSet = examples(24);
  const result = await train(model, { trainSet, evalSets: { en: examples(9), de: examples(6) }, options: {
    ...TRAIN_DEFAULTS, batchSize: 4, numTrainEpochs: 2, loggingSteps: 4, evalSteps: 6, saveSteps: 5, learningRate: 1e-3,
  }, hooks: { onMetrics: (p) => void points.push(...p), onCheckpoint: (step) => void checkpoints.push(step) } });
  const totalSteps = 12;
  assert.equal(result.totalSteps, totalSteps, 'ceil(24 / 4) × 2 epochs');
  const at = (key: string) => points.filter((p) => p.key === key).map((p) => p.step);
  assert.deepEqual(at('loss'), [4, 8, 12]);
  assert.deepEqual(at('grad_norm'), [4, 8, 12]);
  for (const p of points.filter((p) => p.key === 'learning_rate')) assert.equal(p.value, linearScheduleRate(1e-3, p.step, totalSteps));
  assert.deepEqual(points.filter((p) => p.key === 'epoch' && at('loss').includes(p.step)).map((p) => p.value).slice(0, 3), [4 / 6, 8 / 6, 2]);
  for (const language of ['en', 'de']) {
    for (const suffix of ['loss', 'accuracy', 'runtime', 'samples_per_second', 'steps_per_second']) {
      assert.deepEqual(at(`eval_${language}_${suffix}`), [6, 12], `eval_${language}_${suffix}`);
    }
  }
  assert.deepEqual(checkpoints, [5, 10, 12], 'every save-steps and at the end');
  for (const key of ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'train_loss', 'total_flos']) assert.deepEqual(at(key), [12], key);
  const efficiency = points.filter((p) => p.key === 'padding_efficiency');
  assert.ok(efficiency.every((p) => p.value > 0 && p.value <= 1));
  for (const p of points) assert.ok(Number.isFinite(p.value) && Number.isInteger(p.timestamp), `${p.key} is a finite value with an integer timestamp`);
  model.dispose();
});

test('no tensor leaks: the tensor count after step 10 equals the count after step 100', async () => {
  const model = loadTinyBert();
  const counts = new Map<number, number>();
  await train(model, { trainSet: examples(40), evalSets: { en: examples(4) }, options: {
    ...TRAIN_DEFAULTS, batchSize: 4, maxSteps: 100, loggingSteps: 10, evalSteps: 50, saveSteps: 10,
  }, hooks: { onCheckpoint: (step) => void counts.set(step, tf.memory().numTensors) } });
  assert.equal(counts.get(100), counts.get(10), `numTensors at step 10: ${counts.get(10)}, at step 100: ${counts.get(100)}`);
  model.dispose();
});

test('a whole run frees every tensor it made, the optimizer\'s moments included, and so does restoring moments', async () => {
  const model = loadTinyBert();
  const before = tf.memory().numTensors;
  await train(model, { trainSet: examples(16), options: { ...TRAIN_DEFAULTS, batchSize: 4, maxSteps: 4, loggingSteps: 2, evalSteps: 0, saveSteps: 0 } });
  assert.equal(tf.memory().numTensors, before, 'tensors left after train()');
  const optimizer = new AdamW(ADAMW_DEFAULTS);
  optimizer.restore(4, model.parameters.map((p) => ({ variable: p.variable, m: new Float32Array(p.variable.size), v: new Float32Array(p.variable.size) })));
  optimizer.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors left after restoring and disposing an AdamW');
  model.dispose();
});

test('a non-finite loss stops the run with a clear message, keeping what was logged', async () => {
  const model = loadTinyBert();
  const points: MetricPoint[] = [];
  await assert.rejects(
    train(model, { trainSet: examples(16), options: { ...TRAIN_DEFAULTS, batchSize: 4, maxSteps: 8, loggingSteps: 2, saveSteps: 2 }, hooks: {
      onMetrics: (p) => void points.push(...p),
      onCheckpoint: () => {
        // Poison the weights after the first checkpoint: the next loss is NaN.
        for (const p of model.parameters) p.variable.assign(tf.fill(p.variable.shape, NaN));
      },
    } }),
    (error: Error) => error instanceof NonFiniteLossError && /the loss became NaN.*Lower the learning rate/.test(error.message),
  );
  assert.ok(points.some((p) => p.key === 'loss'), 'the losses logged before the failure are kept');
  model.dispose();
});

test('a stop request ends the run cleanly after the current step, with a checkpoint', async () => {
  const model = loadTinyBert();
  const checkpoints: number[] = [];
  let steps = 0;
  const result = await train(model, { trainSet: examples(40), options: { ...TRAIN_DEFAULTS, batchSize: 4, maxSteps: 50, loggingSteps: 100, saveSteps: 100 }, hooks: {
    onProgress: (p) => void (steps = p.step),
    onCheckpoint: (step) => void checkpoints.push(step),
    shouldStop: () => steps >= 10,
  } });
  assert.equal(result.stopped, true);
  assert.ok(result.globalStep >= 10 && result.globalStep < 50);
  assert.deepEqual(checkpoints, [result.globalStep]);
  model.dispose();
});

test('learns a learnable task: accuracy far above chance (1/3)', async () => {
  const model = loadTinyBert();
  const result = await train(model, { trainSet: markerTask(240, 1), evalSets: { en: markerTask(60, 2) }, options: {
    ...TRAIN_DEFAULTS, batchSize: 8, numTrainEpochs: 4, learningRate: 2e-3, loggingSteps: 30, evalSteps: 1000, saveSteps: 1000,
  } });
  assert.ok(result.evalAccuracy.en > 0.9, `accuracy ${result.evalAccuracy.en} (chance is 0.33)`);
  model.dispose();
});
