// The wasm backend's products, routed to our GEMM by routeWasmKernels (kernels/xnli-kernels.c; in relaxed SIMD
// where Node validates it, so run with --experimental-wasm-relaxed-simd to cover that build too), against the cpu
// backend: every transpose combination, batched and broadcast shapes, fused bias/activation, the gradients
// training uses; and our Sum and fused AdamW kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { installWasmKernels } from '../../src/backend/wasm/backend.ts';
import { loadWasmKernels, wasmGelu, wasmKernelsActive, wasmLayerNorm, type WasmBackendLike } from '../../src/backend/wasm/kernels.ts';
import { fusedDropoutMask } from '../../src/backend/fused-ops.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { globalNormScale } from '../../src/train/clip.ts';
import { seededDropout } from '../../src/model/dropout.ts';
import { embeddingLookup } from '../../src/model/embedding.ts';
import { SeededRandom } from '../../src/random.ts';

installWasmKernels();

async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await loadWasmKernels(tf.backend() as unknown as WasmBackendLike);
  assert.ok(wasmKernelsActive(), 'our wasm kernels run on the wasm backend');
}

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
  await useWasm();
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
  [[6, 9, 4], [6, 5, 9], true, true],
  [[2, 3, 13, 11], [2, 3, 11, 9], false, false],
  [[2, 3, 11, 13], [2, 3, 9, 11], true, true],
  [[2, 3, 8, 16], [2, 3, 8, 16], false, true],
  [[1, 5, 7], [4, 6, 5], true, true],
  // Past one packed block of the GEMM (KC = 256 of k, MC = 128 rows) with ragged edges.
  [[300, 520], [520, 37], false, false],
  [[520, 133], [37, 520], true, true],
  [[2, 130, 260], [260, 19], false, false],
  [[3, 261, 9], [3, 17, 261], true, true],
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

test('Sum over leading axes on wasm equals cpu (column sums kernel), other reductions too', async () => {
  const cases: Array<[number[], number | number[], boolean]> = [
    [[512, 40], 0, false], [[7, 33], 0, true], [[3, 5, 17], [0, 1], false], [[3, 5, 17], [1, 0], true],
    [[6, 5], 1, false], [[4, 6, 5], [0, 2], false], [[9], 0, false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    const x = values(shape);
    const { cpu, wasm } = await onBoth(() => tf.sum(tf.tensor(x, shape), axis, keepDims));
    assertClose(wasm, cpu, `sum ${shape} axis ${axis} keepDims ${keepDims}`);
  }
});

test('the fused AdamW kernel on wasm gives exactly the float32 results of the op-by-op update', async () => {
  const shapes = [[37, 5], [8], [3]];
  const init = shapes.map((s) => values(s));
  const grads = [0, 1, 2].map(() => shapes.map((s) => values(s)));
  async function run(backend: 'cpu' | 'wasm', weightDecay: number): Promise<Float32Array[]> {
    if (backend === 'wasm') await useWasm();
    else await tf.setBackend('cpu');
    const variables = init.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true, `adamw-${backend}-${weightDecay}-${i}`));
    const optimizer = new AdamW({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay });
    for (const [step, stepGrads] of grads.entries()) {
      tf.tidy(() => {
        const stepGradTensors = stepGrads.map((g, i) => tf.tensor(g, shapes[i]));
        // Clipping's factor folded into the update (the trainer's path), on every other step.
        const { scale } = globalNormScale(stepGradTensors, 0.5);
        optimizer.apply(variables.map((variable, i) => ({ variable, grad: stepGradTensors[i]! })), 1e-3 * (step + 1), step % 2 ? scale : undefined);
      });
    }
    const out = await Promise.all(variables.map(async (v) => (await v.data()) as Float32Array));
    optimizer.dispose();
    tf.dispose(variables);
    return out;
  }
  for (const weightDecay of [0, 0.01]) {
    const cpu = await run('cpu', weightDecay);
    const wasm = await run('wasm', weightDecay);
    cpu.forEach((expected, i) => assert.deepEqual(Array.from(wasm[i]), Array.from(expected), `parameter ${i}, weight decay ${weightDecay}`));
  }
});

test('dropout on wasm (our mask kernel) equals tf.dropout on cpu to the bit, gradient included', async () => {
  for (const [shape, rate, seed] of [[[512, 40], 0.1, '73/0'], [[3, 2, 7, 7], 0.2, 'abc/5'], [[5], 0.5, '1']] as Array<[number[], number, string]>) {
    const x = values(shape);
    const compute = (dropout: (t: tf.Tensor) => tf.Tensor) => {
      // The gradient of sum(dropout(t)²) is 2·dropout(t)·mask: float32 products, equal on both backends.
      const { grads } = tf.valueAndGrads((t: tf.Tensor) => tf.sum(tf.square(dropout(t))))([tf.tensor(x, shape)]);
      return [dropout(tf.tensor(x, shape)), ...grads];
    };
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => compute((t) => tf.dropout(t, rate, undefined, seed))).map((t) => { const d = t.dataSync(); t.dispose(); return Array.from(d); });
    await useWasm();
    const mask = fusedDropoutMask(shape, rate, seed);
    assert.ok(mask, 'the wasm kernel made the mask');
    mask.dispose();
    const actual = tf.tidy(() => compute((t) => seededDropout(t, rate, seed))).map((t) => { const d = t.dataSync(); t.dispose(); return Array.from(d); });
    actual.forEach((a, i) => assert.deepEqual(a, expected[i], `${shape} rate ${rate}: output ${i}`));
  }
});

test('embedding lookups and their gradients on wasm (row gather and scatter kernels) equal cpu', async () => {
  const table = values([50, 12]);
  const ids = [3, 0, 49, 3, 7, 3, 12, 0];
  const cube = values([6, 2, 3]);
  const { cpu, wasm } = await onBoth(() => {
    const inputs = [tf.tensor2d(table, [50, 12])];
    const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => tf.sum(tf.square(embeddingLookup(t as tf.Tensor2D, tf.tensor1d(ids, 'int32')))))(inputs);
    return [embeddingLookup(inputs[0] as tf.Tensor2D, tf.tensor1d(ids, 'int32')), tf.gather(tf.tensor3d(cube, [6, 2, 3]), tf.tensor1d([5, 1], 'int32')), value, ...grads];
  });
  assertClose(wasm, cpu, 'embedding lookup');
  await useWasm();
  assert.throws(() => tf.gather(tf.tensor2d(table, [50, 12]), tf.tensor1d([50], 'int32')).dataSync(), /index|bound|range/i, 'an id out of range is still an error');
});

test('Identity and same-dtype Cast on wasm share the data and count references (no copy, nothing freed early)', async () => {
  await useWasm();
  const before = tf.memory().numTensors;
  const x = tf.tensor2d(values([4, 3]), [4, 3]);
  const expected = Array.from(x.dataSync());
  const copies = [tf.clone(x), tf.cast(x, 'float32')];
  x.dispose();
  for (const copy of copies) assert.deepEqual(Array.from(copy.dataSync()), expected, 'a copy outlives its source');
  copies[0]!.dispose();
  assert.deepEqual(Array.from(copies[1]!.dataSync()), expected, 'disposing one sharer keeps the data of the other');
  copies[1]!.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(tf.cast(tf.tensor1d([1.7, -2.2]), 'int32').dataSync()), [1, -2], 'a real cast still converts');
});

test('fused LayerNorm and GELU on wasm, values and gradients, equal the tf-ops form on cpu', async () => {
  for (const [rows, cols] of [[7, 33], [16, 256], [3, 5]]) {
    const [x, gamma, beta, upstream] = [values([rows, cols]).map((v) => v * 3 + 0.5), values([cols]), values([cols]), values([rows, cols])];
    const compute = (layerNorm: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor, gelu: (x: tf.Tensor) => tf.Tensor) => {
      const inputs = [tf.tensor2d(x, [rows, cols]), tf.tensor1d(gamma), tf.tensor1d(beta)];
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gelu(layerNorm(a, g, b)), tf.tensor2d(upstream, [rows, cols])));
      const { value, grads } = tf.valueAndGrads(f)(inputs);
      return [layerNorm(inputs[0]!, inputs[1]!, inputs[2]!), gelu(inputs[0]!), value, ...grads];
    };
    const reference = () => compute((a, g, b) => {
      const { mean, variance } = tf.moments(a, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-12))), g), b);
    }, (a) => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2)))));
    await tf.setBackend('cpu');
    const cpu = tf.tidy(reference).map((t) => { const d = t.dataSync() as Float32Array; t.dispose(); return d; });
    await useWasm();
    const wasm = tf.tidy(() => compute((a, g, b) => wasmLayerNorm(a, g, b, 1e-12)!, (a) => wasmGelu(a)!)).map((t) => { const d = t.dataSync() as Float32Array; t.dispose(); return d; });
    assertClose(wasm, cpu, `layerNorm/gelu ${rows}x${cols}`);
  }
});
