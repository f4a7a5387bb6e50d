// The app's model and tokenizer, loaded through the Hub-like server in headless Chromium, against the
// PyTorch (float64) logit goldens and the Python tokenisation goldens, on WebGPU and on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../support/hub-server.ts';
import { openRunnerPage, collectPageErrors, useHubAndBrowser } from '../support/browser.ts';
import { loadLogitGoldens, REGENERATE_COMMAND } from '../reference/goldens.ts';
import { loadTokenizerGoldens } from '../reference/tokenizer-goldens.ts';
import type { BackendName } from '../../src/backend/types.ts';

const TOLERANCE = 1e-4;
const goldens = loadLogitGoldens();
let server: RunningServer;
let browser: Browser;

useHubAndBrowser((hub, chromium) => ((server = hub), (browser = chromium)));

async function runnerOn(backend: BackendName): Promise<{ page: Page; errors: string[] }> {
  const page = await openRunnerPage(browser, server.url);
  const errors = collectPageErrors(page);
  const info = await page.evaluate((name) => window.xnliRunner.init(name, { fallback: false }), backend);
  assert.equal(info.backend, backend);
  return { page, errors };
}

// All four: the fallback chain must give the same numbers wherever it lands (tfjs-backend-wasm needed a kernel fix).
for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu'] as const) {
  test(`logits on ${backend} match the PyTorch goldens within ${TOLERANCE}, without leaking tensors`, async () => {
    const { page, errors } = await runnerOn(backend);
    try {
      assert.ok(Object.keys(goldens.fixtures).length >= 6, `too few logit goldens: run ${REGENERATE_COMMAND}`);
      for (const [repo, fixture] of Object.entries(goldens.fixtures)) {
        const summary = await page.evaluate(
          ([endpoint, repoId, seed]) => window.xnliRunner.loadModel({ endpoint, repo: repoId }, { seed }),
          [server.url, repo, goldens.initSeed] as const,
        );
        assert.equal(summary.numLabels, fixture.batches[0]!.logits[0]!.length, repo);
        for (const [b, batch] of fixture.batches.entries()) {
          const plain = {
            inputIds: batch.inputIds.flat(),
            attentionMask: batch.attentionMask.flat(),
            tokenTypeIds: batch.tokenTypeIds.flat(),
            batchSize: batch.batchSize,
            seqLen: batch.seqLen,
          };
          const tensorsBefore = await page.evaluate(() => window.xnliRunner.numTensors());
          const first = await page.evaluate((input) => window.xnliRunner.logits(input), plain);
          const second = await page.evaluate((input) => window.xnliRunner.logits(input), plain);
          assert.equal(await page.evaluate(() => window.xnliRunner.numTensors()), tensorsBefore, `${repo} batch ${b}: forwards leak tensors`);
          assert.deepEqual(second, first, `${repo} batch ${b}: a repeated forward gave other logits`);
          const expected = batch.logits.flat();
          assert.equal(first.length, expected.length);
          const worst = Math.max(...first.map((value, i) => Math.abs(value - expected[i]!)));
          assert.ok(worst <= TOLERANCE, `${repo} batch ${b} on ${backend}: max |Δlogit| = ${worst.toExponential(2)} > ${TOLERANCE}`);
        }
      }
      assert.equal(await page.evaluate(() => window.xnliRunner.deviceLost()), null);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}

test('tokenisation in the browser equals the Python goldens', async () => {
  const { cases } = loadTokenizerGoldens();
  const { page } = await runnerOn('cpu');
  try {
    const groups = new Map<string, typeof cases>();
    for (const golden of cases) {
      const key = `${golden.fixture}:${golden.maxLength}`;
      groups.set(key, [...(groups.get(key) ?? []), golden]);
    }
    for (const group of groups.values()) {
      const { fixture, maxLength } = group[0]!;
      // max_position_embeddings caps the tokenizer's 512 to the golden's max length (bert-style: no offset).
      const loaded = await page.evaluate(
        ([endpoint, repo, positions]) => window.xnliRunner.loadTokenizer({ endpoint, repo }, { max_position_embeddings: positions }),
        [server.url, `tokenizers/${fixture}`, maxLength] as const,
      );
      assert.equal(loaded.maxLength, maxLength);
      const encoded = await page.evaluate((pairs) => window.xnliRunner.tokenize(pairs), group.map(({ premise, hypothesis }) => ({ premise, hypothesis })));
      group.forEach((golden, i) => {
        assert.deepEqual(encoded[i]!.inputIds, golden.inputIds, `${fixture} "${golden.name}" (max ${maxLength}): input ids`);
        assert.deepEqual(encoded[i]!.tokenTypeIds, golden.tokenTypeIds, `${fixture} "${golden.name}" (max ${maxLength}): token type ids`);
      });
    }
  } finally {
    await page.close();
  }
});

test('a repository with only pytorch_model.bin and vocab.txt loads with the same logits and tokens (WebGPU and CPU)', async () => {
  const bert = goldens.fixtures['fixtures/tiny-bert']!;
  for (const backend of ['webgpu', 'cpu'] as const) {
    const { page, errors } = await runnerOn(backend);
    try {
      await page.evaluate(([endpoint, seed]) => window.xnliRunner.loadModel({ endpoint, repo: 'fixtures/tiny-bert-slow' }, { seed }), [server.url, goldens.initSeed] as const);
      for (const [b, batch] of bert.batches.entries()) {
        const input = { inputIds: batch.inputIds.flat(), attentionMask: batch.attentionMask.flat(), tokenTypeIds: batch.tokenTypeIds.flat(), batchSize: batch.batchSize, seqLen: batch.seqLen };
        const logits = await page.evaluate((plain) => window.xnliRunner.logits(plain), input);
        const worst = Math.max(...logits.map((value, i) => Math.abs(value - batch.logits.flat()[i]!)));
        assert.ok(worst <= TOLERANCE, `pytorch_model.bin batch ${b} on ${backend}: max |Δlogit| = ${worst.toExponential(2)}`);
      }
      const cases = loadTokenizerGoldens().cases.filter((c) => c.fixture === 'wordpiece-cased' && c.maxLength === 512);
      await page.evaluate((endpoint) => window.xnliRunner.loadTokenizer({ endpoint, repo: 'fixtures/tiny-bert-slow' }, { max_position_embeddings: 512 }), server.url);
      const encoded = await page.evaluate((pairs) => window.xnliRunner.tokenize(pairs), cases.map(({ premise, hypothesis }) => ({ premise, hypothesis })));
      cases.forEach((golden, i) => assert.deepEqual(encoded[i]!.inputIds, golden.inputIds, `vocab.txt: "${golden.name}"`));
      assert.ok(cases.length > 0);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  }
});

// On CPU: WebGPU on SwiftShader compiles shaders per new shape, slow; the CLI tests run predict on WebGPU.
test('predict gives probabilities that sum to 1 and labels from id2label', async () => {
  const { page } = await runnerOn('cpu');
  try {
    const summary = await page.evaluate((endpoint) => window.xnliRunner.loadModel({ endpoint, repo: 'fixtures/tiny-xlm-roberta' }), server.url);
    const pairs = Array.from({ length: 11 }, (_, i) => ({ premise: `Sentence number ${i} is here.`, hypothesis: i % 2 ? 'Short.' : 'A rather longer hypothesis than the other one.' }));
    const predictions = await page.evaluate((input) => window.xnliRunner.predict(input), pairs);
    assert.equal(predictions.length, pairs.length);
    for (const p of predictions) {
      assert.equal(p.logits.length, 3);
      assert.ok(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      assert.equal(p.label, summary.id2label[p.probabilities.indexOf(Math.max(...p.probabilities))]);
    }
    // Batching (8 per batch, padded to the longest) must not change a pair's logits.
    const alone = await page.evaluate((input) => window.xnliRunner.predict(input), [pairs[9]!]);
    const worst = Math.max(...alone[0]!.logits.map((v, i) => Math.abs(v - predictions[9]!.logits[i]!)));
    assert.ok(worst < 1e-4, `padding changed logits by ${worst}`);
  } finally {
    await page.close();
  }
});
