import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdamW } from '../../src/train/adamw.ts';
import { clipByGlobalNorm } from '../../src/train/clip.ts';
import { linearScheduleRate } from '../../src/train/schedule.ts';
import { crossEntropy } from '../../src/train/loss.ts';

interface OptimizerGoldens {
  shapes: number[][];
  initial: number[][];
  base_lr: number;
  total_steps: number;
  max_norm: number;
  steps: Array<{ grads: number[][]; lr: number; grad_norm: number; lr_after: number; params_after: number[][] }>;
}

const goldens = JSON.parse(readFileSync(new URL('../reference/goldens/optimizer.json', import.meta.url), 'utf8')) as OptimizerGoldens;

function maxRelativeError(actual: ArrayLike<number>, expected: number[]): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-6));
  return worst;
}

test('AdamW + clip_grad_norm_ + linear schedule follow PyTorch step by step', async () => {
  await tf.setBackend('cpu');
  const variables = goldens.shapes.map((shape, i) => tf.variable(tf.tensor(goldens.initial[i], shape), true, `p${i}`));
  const optimizer = new AdamW();
  for (const [k, step] of goldens.steps.entries()) {
    const lr = linearScheduleRate(goldens.base_lr, k, goldens.total_steps);
    assert.ok(Math.abs(lr - step.lr) <= 1e-12 * goldens.base_lr, `lr at step ${k}: ${lr} vs ${step.lr}`);
    const grads = goldens.shapes.map((shape, i) => tf.tensor(step.grads[i], shape));
    const { clipped, norm } = clipByGlobalNorm(grads, goldens.max_norm);
    const normValue = (await norm.data())[0];
    assert.ok(Math.abs(normValue - step.grad_norm) / step.grad_norm < 1e-5, `grad_norm at step ${k}: ${normValue} vs ${step.grad_norm}`);
    optimizer.apply(variables.map((variable, i) => ({ variable, grad: clipped[i] })), lr);
    tf.dispose([...grads, ...clipped, norm]);
    for (const [i, variable] of variables.entries()) {
      const error = maxRelativeError(await variable.data(), step.params_after[i]);
      assert.ok(error < 1e-5, `parameter ${i} after step ${k + 1}: relative error ${error}`);
    }
    const after = linearScheduleRate(goldens.base_lr, k + 1, goldens.total_steps);
    assert.ok(Math.abs(after - step.lr_after) <= 1e-12 * goldens.base_lr);
  }
  assert.equal(optimizer.step, goldens.total_steps);
  optimizer.dispose();
  tf.dispose(variables);
});

test('the linear schedule decays from the base rate to zero without warm-up', () => {
  assert.equal(linearScheduleRate(5e-5, 0, 5625), 5e-5);
  assert.equal(linearScheduleRate(5e-5, 500, 5625), 5e-5 * (1 - 500 / 5625));
  assert.equal(linearScheduleRate(5e-5, 5625, 5625), 0);
  assert.equal(linearScheduleRate(1, 5, 10, 10), 0.5, 'warm-up rises linearly');
});

test('clipping leaves small gradients alone and scales large ones to the max norm', async () => {
  await tf.setBackend('cpu');
  const small = clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 1);
  assert.deepEqual(Array.from(await small.clipped[0].data()).map((v) => +v.toFixed(6)), [0.3, 0.4]);
  const large = clipByGlobalNorm([tf.tensor1d([3, 4]), tf.tensor1d([12])], 1);
  assert.ok(Math.abs((await large.norm.data())[0] - 13) < 1e-5);
  const scaled = [...(await large.clipped[0].data()), ...(await large.clipped[1].data())];
  const norm = Math.hypot(...scaled);
  assert.ok(Math.abs(norm - 13 / (13 + 1e-6)) < 1e-5, `clipped norm ${norm}`);
});

test('cross-entropy is the mean negative log-likelihood of the labels', async () => {
  await tf.setBackend('cpu');
  const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]]);
  const loss = (await crossEntropy(logits, tf.tensor1d([0, 1], 'int32')).data())[0];
  const nll = (row: number[], label: number) => -(row[label] - Math.log(row.reduce((s, v) => s + Math.exp(v), 0)));
  const expected = (nll([2, 0, -1], 0) + nll([0.5, 0.5, 3], 1)) / 2;
  assert.ok(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
});
