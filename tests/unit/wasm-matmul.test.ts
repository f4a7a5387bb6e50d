// The wasm backend's products, routed to XNNPACK by routeWasmMatMulToXnnpack, against the cpu backend: every
// transpose combination, batched and broadcast shapes, fused bias/activation, and the gradients training uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { routeWasmMatMulToXnnpack } from '../../src/backend/wasm-fast-matmul.ts';
import { fixWasmFusedMatMul } from '../../src/backend/wasm-fused-matmul-fix.ts';
import { SeededRandom } from '../../src/model/prng.ts';

routeWasmMatMulToXnnpack();
fixWasmFusedMatMul();

const random = new SeededRandom('wasm-matmul');
const values = (shape: number[]) => random.normalArray(shape.reduce((a, b) => a * b, 1));

async function onBoth(compute: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const read = async () => {
    const result = tf.tidy(compute);
    const list = Array.isArray(result) ? result : [result];
    const data = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(list);
    return data;
  };
  await tf.setBackend('cpu');
  const cpu = await read();
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const wasm = await read();
  assert.equal(tf.memory().numTensors, before, 'the wasm kernels leak no tensors');
  return { cpu, wasm };
}

function assertClose(actual: Float32Array[], expected: Float32Array[], label: string) {
  assert.equal(actual.length, expected.length);
  actual.forEach((values, i) => {
    assert.equal(values.length, expected[i].length, `${label}: output ${i} size`);
    let worst = 0;
    values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[i][j]) / (1 + Math.abs(expected[i][j])))));
    assert.ok(worst < 1e-4, `${label}: output ${i} differs from cpu by ${worst}`);
  });
}

const CASES: Array<[number[], number[], boolean, boolean]> = [
  [[7, 5], [5, 3], false, false],
  [[4, 6], [6, 6], false, true],
  [[6, 6], [6, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [5, 3], true, false],
  [[5, 7], [3, 5], true, true],
  [[2, 4, 6, 5], [5, 3], false, false],
  [[2, 4, 5, 6], [3, 5], true, true],
  [[6, 9, 4], [6, 4, 9], false, false],
  [[6, 9, 4], [6, 9, 4], false, true],
  [[6, 4, 9], [6, 4, 9], true, false],
  [[1, 9, 4], [6, 4, 9], false, false],
];

test('matMul on wasm equals cpu for every transpose and batch shape', async () => {
  for (const [shapeA, shapeB, ta, tb] of CASES) {
    const a = values(shapeA);
    const b = values(shapeB);
    const { cpu, wasm } = await onBoth(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), ta, tb));
    assertClose(wasm, cpu, `${shapeA} x ${shapeB} transposeA=${ta} transposeB=${tb}`);
  }
});

test('fused matMul with bias and relu, and its gradients, on wasm equal cpu', async () => {
  const [x, w, bias] = [values([12, 8]), values([5, 8]), values([5])];
  const { cpu, wasm } = await onBoth(() => {
    const inputs = [tf.tensor2d(x, [12, 8]), tf.tensor2d(w, [5, 8]), tf.tensor1d(bias)];
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB: true, bias: c, activation: 'relu' }))))(inputs);
    return [value, ...grads, ...inputs];
  });
  assertClose(wasm, cpu, 'fused matMul');
});

test('gradients of batched attention-like products on wasm equal cpu', async () => {
  const [q, k] = [values([3, 2, 6, 4]), values([3, 2, 6, 4])];
  const { cpu, wasm } = await onBoth(() => {
    const inputs = [tf.tensor4d(q, [3, 2, 6, 4]), tf.tensor4d(k, [3, 2, 6, 4])];
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(tf.matMul(a, b, false, true), b))))(inputs);
    return [value, ...grads, ...inputs];
  });
  assertClose(wasm, cpu, 'attention products');
});
