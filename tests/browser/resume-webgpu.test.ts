// A lost WebGPU device during training (simulated with GPUDevice.destroy() on the backend's device): the run
// fails with the reason, stays resumable, and resuming it on WebGPU ends within 1e-6 (relative) of the weights of
// an uninterrupted WebGPU run. WebGPU here is SwiftShader, so the run is short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchTestBrowser } from '../support/browser.ts';
import { readSafetensors, tensorToFloat32 } from '../../src/model/safetensors.ts';
import type { RunningServer } from '../../cli/hub-like-server.ts';
import { demoJob, openStorePage, startDemoServer, waitForCheckpoint } from './resume-support.ts';
import { isKeyBias, relativeNormError } from '../reference/train-parity.ts';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;

before(async () => {
  browser = await launchTestBrowser();
  server = await startDemoServer();
  context = await browser.newContext();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('after a lost WebGPU device the run is resumable, and resuming ends where an uninterrupted WebGPU run ends', async () => {
  const job = demoJob(server.url, { numTrainExamples: 32, numTrainEpochs: 1, loggingSteps: 2, saveSteps: 2, evalSteps: 100, backend: 'webgpu' });
  const page = await openStorePage(context, server.url);
  const [uninterrupted] = await page.evaluate((job) => window.xnliRunner.store.train(job, 'webgpu', 2), job);
  assert.equal(uninterrupted.status, 'FINISHED');

  const failure = page.evaluate((job) => window.xnliRunner.store.train(job, 'webgpu', 2).then(() => 'finished', (error: Error) => error.message), job);
  const running = await waitForCheckpoint(page, (run) => run.runId !== uninterrupted.runId);
  assert.ok(await page.evaluate(() => window.xnliRunner.store.loseDevice()), 'a job was training');
  assert.match(await failure, /WebGPU device was lost/);

  const lost = (await page.evaluate((id) => window.xnliRunner.store.get(id), running.runId))!;
  assert.equal(lost.state, 'failed');
  assert.match(lost.error ?? '', /WebGPU device was lost/);
  assert.equal(lost.resumable, true);
  assert.ok(lost.checkpoints.at(-1)!.step < 4, `the last checkpoint (${lost.checkpoints.at(-1)!.step}) is before the end`);
  await page.close();

  const fresh = await openStorePage(context, server.url);
  const [resumed] = await fresh.evaluate((id) => window.xnliRunner.store.resume(id), running.runId);
  assert.equal(resumed.status, 'FINISHED');
  const [a, b] = await fresh.evaluate(
    (ids) => Promise.all(ids.map((id) => window.xnliRunner.store.checkpointFile(id, null, 'model.safetensors'))),
    [uninterrupted.runId, running.runId],
  );
  const fa = readSafetensors(Buffer.from(a, 'base64'));
  const fb = readSafetensors(Buffer.from(b, 'base64'));
  // Attention key biases get no gradient in exact arithmetic (softmax ignores a shift shared by all keys), so AdamW
  // scales rounding noise up to full-size steps: they are noise on any GPU, as in the optimizer-parity test.
  const compared = [...fa.tensors.keys()].filter((name) => !isKeyBias(name));
  assert.ok(compared.length > 30);
  for (const name of compared) {
    const error = relativeNormError(tensorToFloat32(fa, name), tensorToFloat32(fb, name));
    assert.ok(error <= 1e-6, `${name}: relative error ${error.toExponential(2)} > 1e-6`);
  }
  const run = (await fresh.evaluate((id) => window.xnliRunner.store.get(id), running.runId))!;
  assert.equal(run.record.tags.backend, 'webgpu');
  await fresh.close();
});
