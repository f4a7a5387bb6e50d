// The WebGPU engine (src/engine/webgpu/) in Chromium's WebGPU: its matrix product against float64 loops (every
// layout, sizes that are not multiples of the tile, bias, accumulation, leading dimensions and the two-level
// batch attention uses), and its forward pass against the PyTorch logit goldens of every fixture.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../cli/browser.ts';
import type { GemmLayout, GemmShape } from '../../src/engine/webgpu/gemm.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { openEnginePage, type EnginePage } from '../support/engine-page.ts';
import type { GemmCheckOptions } from './pages/engine-checks.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { loadLogitGoldens } from '../reference/goldens.ts';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { decodeFloat32, isKeyBias, loadTrainGoldens, relativeNormError, TRAIN_PARITY, trainExamples, withoutDropout } from '../reference/train-parity.ts';

let browser: Browser;
let engine: EnginePage;

before(async () => {
  browser = await launchChromium();
  engine = await openEnginePage(browser, resolve(import.meta.dirname, 'pages/engine-checks.ts'));
});

after(async () => {
  await engine?.close();
  await browser?.close();
});

/** The app's loader's parameters (headless fixtures get their seeded heads), as plain arrays for the page. */
function loadedWeights(configJson: unknown, bytes: Uint8Array, seed: number): Record<string, number[]> {
  const classifier = sequenceClassifierFromBuffers(configJson, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, { seed });
  const weights = Object.fromEntries(classifier.parameters.map((p) => [p.hfName, [...p.variable.dataSync()]]));
  classifier.dispose();
  return weights;
}

async function check(layout: GemmLayout, shape: GemmShape, options: GemmCheckOptions = {}) {
  const worst = await engine.page.evaluate(([l, s, o]) => window.gemmCheck(l, s, o), [layout, shape, options] as const);
  assert.ok(worst < 1e-5, `${layout} ${JSON.stringify(shape)} ${JSON.stringify(options)}: worst relative error ${worst}`);
}

test('NN, NT and TN products equal float64 loops at sizes that are not multiples of the tile', async () => {
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    await check(layout, { m: 70, n: 33, k: 21 });
    await check(layout, { m: 64, n: 128, k: 48 });
    await check(layout, { m: 1, n: 3, k: 130 });
  }
});

test('bias, alpha and accumulation into C (beta = 1), as the Linear layers and gradient sums use them', async () => {
  await check('NT', { m: 40, n: 96, k: 32 }, { bias: true });
  await check('TN', { m: 48, n: 32, k: 100 }, { beta: 1 });
  await check('NN', { m: 17, n: 65, k: 66 }, { alpha: 0.125, beta: 1 });
});

test('attention\'s batched products read heads in place: [sequences × heads] batches with leading dimensions', async () => {
  const [sequences, heads, seq, headSize] = [3, 2, 20, 8];
  const hidden = heads * headSize;
  // scores[s,h] = Q[s,h] · K[s,h]ᵀ, with Q and K rows of [tokens, hidden] and scores packed [s, h, seq, seq].
  await check('NT', {
    m: seq, n: seq, k: headSize, lda: hidden, ldb: hidden, outer: sequences, inner: heads,
    strideA: { outer: seq * hidden, inner: headSize }, strideB: { outer: seq * hidden, inner: headSize }, strideC: { outer: heads * seq * seq, inner: seq * seq },
  }, { alpha: 1 / Math.sqrt(headSize) });
  // context[s, :, h] = P[s,h] · V[s,h], written back into [tokens, hidden].
  await check('NN', {
    m: seq, n: headSize, k: seq, ldb: hidden, ldc: hidden, outer: sequences, inner: heads,
    strideA: { outer: heads * seq * seq, inner: seq * seq }, strideB: { outer: seq * hidden, inner: headSize }, strideC: { outer: seq * hidden, inner: headSize },
  });
});

test('the forward pass gives every fixture\'s PyTorch logits within 1e-4 (BERT, DistilBERT, XLM-R, with and without heads)', async () => {
  await tf.setBackend('cpu');
  const goldens = loadLogitGoldens();
  const root = await ensureHubFixtures();
  assert.ok(Object.keys(goldens.fixtures).length >= 6);
  for (const [repo, fixture] of Object.entries(goldens.fixtures)) {
    const dir = join(root, ...repo.split('/'));
    const configJson = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const bytes = await readFile(join(dir, 'model.safetensors'));
    // The app's loader gives the weights (headless fixtures get their seeded heads), the engine computes.
    const weights = loadedWeights(configJson, bytes, goldens.initSeed);
    for (const [b, batch] of fixture.batches.entries()) {
      const input = { inputIds: batch.inputIds.flat(), attentionMask: batch.attentionMask.flat(), tokenTypeIds: batch.tokenTypeIds.flat(), batchSize: batch.batchSize, seqLen: batch.seqLen };
      const logits = await engine.page.evaluate(([c, w, i]) => window.engineLogits(c, w, i), [configJson, weights, input] as const);
      const expected = batch.logits.flat();
      assert.equal(logits.length, expected.length, repo);
      const worst = Math.max(...logits.map((value, i) => Math.abs(value - expected[i]!)));
      assert.ok(worst <= 1e-4, `${repo} batch ${b}: max |Δlogit| = ${worst.toExponential(2)}`);
    }
  }
});

test('6 training steps (fine-tune and feature-extraction, every architecture) match PyTorch: losses, grad norms, weights within 1e-4', async (t) => {
  await tf.setBackend('cpu');
  const goldens = loadTrainGoldens();
  const fixtures = checkpointFixtures();
  for (const golden of goldens.cases) {
    const config = withoutDropout(fixtures[golden.fixture]['config.json'] as Record<string, unknown>);
    const weights = loadedWeights(config, fixtures[golden.fixture]['model.safetensors'] as Uint8Array, TRAIN_PARITY.initSeed);
    const result = await engine.page.evaluate((request) => window.engineTrain(request), {
      configJson: config, weights, examples: trainExamples(config.model_type as string, config.vocab_size as number),
      technique: golden.technique, batchSize: TRAIN_PARITY.batchSize, steps: TRAIN_PARITY.steps, learningRate: TRAIN_PARITY.learningRate, maxGradNorm: TRAIN_PARITY.maxGradNorm,
    });
    const where = `${golden.technique} of ${golden.fixture}`;
    for (let k = 0; k < TRAIN_PARITY.steps; k++) {
      assert.ok(Math.abs(result.losses[k]! - golden.losses[k]!) / golden.losses[k]! < 1e-4, `${where}: loss at step ${k + 1}: ${result.losses[k]} vs ${golden.losses[k]}`);
      assert.ok(Math.abs(result.gradNorms[k]! - golden.gradNorms[k]!) / golden.gradNorms[k]! < 1e-4, `${where}: grad norm at step ${k + 1}: ${result.gradNorms[k]} vs ${golden.gradNorms[k]}`);
    }
    let worst = 0;
    for (const name of Object.keys(golden.finalWeights).filter((n) => !isKeyBias(n))) {
      const error = relativeNormError(result.weights[name]!, decodeFloat32(golden.finalWeights[name]!));
      worst = Math.max(worst, error);
      assert.ok(error < 1e-4, `${where}: ${name} relative error ${error}`);
    }
    t.diagnostic(`${where}: worst relative weight error ${worst.toExponential(2)}`);
  }
});

test('dropout on the engine is drawn from (seed, step): the same run twice gives the same weights, and dropout changes them', async () => {
  await tf.setBackend('cpu');
  const fixtures = checkpointFixtures();
  const config = fixtures['fixtures/tiny-bert']['config.json'] as Record<string, unknown>;
  assert.ok(Number(config.hidden_dropout_prob) > 0 && Number(config.attention_probs_dropout_prob) > 0, 'the fixture drops out');
  const weights = loadedWeights(config, fixtures['fixtures/tiny-bert']['model.safetensors'] as Uint8Array, TRAIN_PARITY.initSeed);
  const request = (configJson: unknown) => ({
    configJson, weights, examples: trainExamples(config.model_type as string, config.vocab_size as number),
    technique: 'fine-tune' as const, batchSize: TRAIN_PARITY.batchSize, steps: 3, learningRate: 1e-3, maxGradNorm: 1,
  });
  const [first, second, plain] = [
    await engine.page.evaluate((r) => window.engineTrain(r), request(config)),
    await engine.page.evaluate((r) => window.engineTrain(r), request(config)),
    await engine.page.evaluate((r) => window.engineTrain(r), request(withoutDropout(config))),
  ];
  assert.deepEqual(second.losses, first.losses);
  assert.deepEqual(second.weights, first.weights, 'the same masks for the same steps');
  assert.notDeepEqual(plain.losses, first.losses, 'dropout changed the losses');
});
