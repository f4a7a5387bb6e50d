// Optimizer parity in the browser: the same 6 AdamW steps as tests/unit/train-parity.test.ts, run in headless
// Chromium on WebGPU (the product's backend) and on WASM (the fast one where the GPU is emulated), against PyTorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunningServer } from '../support/hub-server.ts';
import { openRunnerPage, collectPageErrors, useHubAndBrowser } from '../support/browser.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { assertMatchesGolden, loadTrainGoldens, parityTrainOptions, TRAIN_PARITY, trainExamples, withoutDropout } from '../reference/train-parity.ts';
import type { BackendName } from '../../src/backend/types.ts';

const goldens = loadTrainGoldens();
const fixtures = checkpointFixtures();
let server: RunningServer;
let browser: Browser;

useHubAndBrowser((hub, chromium) => ((server = hub), (browser = chromium)));



// WebGPU on SwiftShader is slow: there, one or two architectures per technique; WASM runs every case. WebGPU trains
// with the engine (src/engine/webgpu/) by default; tfjs's own WebGPU kernels stay checked too.
const plan: Array<[BackendName, (fixture: string) => boolean, boolean]> = [
  ['webgpu', (fixture) => fixture === 'fixtures/tiny-bert' || fixture === 'fixtures/tiny-xlm-roberta', true],
  ['webgpu', (fixture) => fixture === 'fixtures/tiny-bert', false],
  ['wasm', () => true, true],
];

for (const [backend, covers, webgpuEngine] of plan) {
  const engineName = backend === 'webgpu' ? (webgpuEngine ? ' (engine)' : ' (tfjs kernels)') : '';
  test(`6 training steps on ${backend}${engineName} match PyTorch (losses, grad norms, weights within 1e-4 relative)`, async (t) => {
    const page = await openRunnerPage(browser, server.url);
    const errors = collectPageErrors(page);
    try {
      const info = await page.evaluate((name) => window.xnliRunner.init(name, { fallback: false }), backend);
      assert.equal(info.backend, backend);
      for (const golden of goldens.cases.filter((c) => covers(c.fixture))) {
        const config = withoutDropout(fixtures[golden.fixture]['config.json'] as Record<string, unknown>);
        const result = await page.evaluate((request) => window.xnliRunner.trainPrepared(request), {
          configJson: config,
          weightsUrl: `${server.url}/${golden.fixture}/resolve/main/model.safetensors`,
          examples: trainExamples(config.model_type as string, config.vocab_size as number),
          seed: TRAIN_PARITY.initSeed,
          options: { webgpuEngine, ...parityTrainOptions(golden.technique) },
        });
        const where = `${golden.technique} of ${golden.fixture} on ${backend}`;
        const weights = Object.fromEntries(result.trainable.map((name) => [name, result.weights[name]!]));
        const worst = assertMatchesGolden(where, { losses: result.losses, gradNorms: result.gradNorms, weights }, golden);
        t.diagnostic(`${where}: worst relative weight error ${worst.toExponential(2)}`);
      }
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}
