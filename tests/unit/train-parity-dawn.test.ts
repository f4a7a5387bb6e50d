// Optimizer parity on WebGPU in Node through Dawn (Chrome's WebGPU implementation, the npm package `webgpu`):
// the 6 steps of every case in tests/reference/goldens/training.json, trained by the app's trainer with the
// WebGPU engine, against PyTorch at the tolerances of the CPU and browser tests. On a machine without a GPU Dawn
// runs on Chromium's SwiftShader. The cases train in a child process (tests/support/dawn-train-parity.ts), so
// that Dawn's native threads live and end with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertMatchesGolden, loadTrainGoldens, type TrainCaseResult } from '../reference/train-parity.ts';
import { dawnSwiftShaderEnvironment } from '../../bench/dawn.ts';

const goldens = loadTrainGoldens();

test('6 training steps on WebGPU in Node through Dawn (engine) match PyTorch for every architecture and technique', (t) => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', './tests/support/register-tfjs-resolve.mjs', 'tests/support/dawn-train-parity.ts', 'engine'], {
    encoding: 'utf8', env: { ...process.env, ...dawnSwiftShaderEnvironment() }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024,
  });
  const lines = child.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(child.status, 0, `the Dawn run ended with ${child.signal ?? `exit ${child.status}`} after ${lines.length} lines: ${child.stderr.slice(-2000)}`);
  assert.equal(lines[0]?.backend, 'webgpu');
  const results = lines.slice(1) as unknown as Array<TrainCaseResult & { fixture: string; technique: string }>;
  assert.equal(results.length, goldens.cases.length, 'a result per case');
  for (const golden of goldens.cases) {
    const result = results.find((r) => r.fixture === golden.fixture && r.technique === golden.technique);
    assert.ok(result, `no result for ${golden.technique} of ${golden.fixture}`);
    const where = `${golden.technique} of ${golden.fixture} on Dawn`;
    t.diagnostic(`${where}: worst relative weight error ${assertMatchesGolden(where, result, golden).toExponential(2)}`);
  }
});
