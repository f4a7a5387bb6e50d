// Optimizer and prediction parity on WebGPU in Node through Dawn (Chrome's WebGPU implementation, the npm package `webgpu`):
// the 6 steps of every case in tests/reference/goldens/training.json, trained by the app's trainer with the
// WebGPU engine, against PyTorch at the tolerances of the CPU and browser tests. On a machine without a GPU Dawn
// runs on Chromium's SwiftShader. The cases train in a child process (tests/support/dawn-parity.ts), so
// that Dawn's native threads live and end with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertMatchesGolden, loadTrainGoldens, type TrainCaseResult } from '../reference/train-parity.ts';
import { dawnSwiftShaderEnvironment } from '../../bench/dawn.ts';

const goldens = loadTrainGoldens();

/** Runs tests/support/dawn-parity.ts with `args`; its JSON lines, after asserting it ended cleanly on WebGPU. */
function inDawn(args: string[]): Array<Record<string, unknown>> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', './tests/support/register-tfjs-resolve.mjs', 'tests/support/dawn-parity.ts', ...args], {
    encoding: 'utf8', env: { ...process.env, ...dawnSwiftShaderEnvironment() }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024,
  });
  const lines = child.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(child.status, 0, `the Dawn run ended with ${child.signal ?? `exit ${child.status}`} after ${lines.length} lines: ${child.stderr.slice(-2000)}`);
  assert.equal(lines[0]?.backend, 'webgpu');
  return lines.slice(1);
}

test('6 training steps on WebGPU in Node through Dawn (engine) match PyTorch for every architecture and technique', (t) => {
  const results = inDawn(['train', 'engine']) as unknown as Array<TrainCaseResult & { fixture: string; technique: string }>;
  assert.equal(results.length, goldens.cases.length, 'a result per case');
  for (const golden of goldens.cases) {
    const result = results.find((r) => r.fixture === golden.fixture && r.technique === golden.technique);
    assert.ok(result, `no result for ${golden.technique} of ${golden.fixture}`);
    const where = `${golden.technique} of ${golden.fixture} on Dawn`;
    t.diagnostic(`${where}: worst relative weight error ${assertMatchesGolden(where, result, golden).toExponential(2)}`);
  }
});

test('prediction on the engine (a file of pairs on WebGPU) gives tfjs-webgpu\'s logits and labels', () => {
  const [engine, tfjs] = inDawn(['predict']) as unknown as Array<{ webgpuEngine: boolean; logits: number[][]; labels: string[] }>;
  assert.equal(engine?.webgpuEngine, true);
  assert.equal(tfjs?.webgpuEngine, false);
  assert.deepEqual(engine.labels, tfjs.labels);
  const worst = Math.max(...engine.logits.flatMap((row, i) => row.map((value, j) => Math.abs(value - tfjs.logits[i]![j]!))));
  assert.ok(worst < 1e-4, `largest logit difference ${worst}`);
  assert.ok(new Set(engine.labels).size > 1, 'the pairs get different labels, so the comparison can see a wrong one');
});
