/**
 * The wasm GEMM on the shapes a training step uses, shared by two threads where the page allows, against the cpu
 * backend (tests/browser/wasm-gemm-threads.test.ts). Returns how the products ran and the worst relative error.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../src/backend/index.ts';
import { wasmGemmInfo } from '../../src/backend/wasm/kernels.ts';
import { SeededRandom } from '../../src/random.ts';

export interface GemmCheckResult { relaxed: boolean; threads: number; worst: Array<{ shape: string; error: number }> }

/** [a shape, b shape, transposeA, transposeB]: rows split (a linear layer and its gradients), batches split (attention), folded rows. */
const SHAPES: Array<[number[], number[], boolean, boolean]> = [
  [[512, 256], [1024, 256], false, true],
  [[512, 1024], [1024, 256], false, false],
  [[512, 1024], [512, 256], true, false],
  [[32, 64, 64], [32, 64, 64], false, true],
  [[32, 64, 64], [32, 64, 64], false, false],
  [[3, 130, 259], [259, 190], false, false],
  [[301, 77], [301, 133], true, false],
];

export async function gemmCheck(): Promise<GemmCheckResult> {
  const random = new SeededRandom('gemm-check');
  const results: GemmCheckResult['worst'] = [];
  for (const [shapeA, shapeB, ta, tb] of SHAPES) {
    const a = random.normalArray(shapeA.reduce((x, y) => x * y, 1));
    const b = random.normalArray(shapeB.reduce((x, y) => x * y, 1));
    const product = async (backend: 'cpu' | 'wasm') => {
      await initBackend(backend, { fallback: false });
      return tf.tidy(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), ta, tb)).data();
    };
    const expected = await product('cpu');
    const actual = await product('wasm');
    let error = actual.length === expected.length ? 0 : Infinity;
    expected.forEach((e, i) => (error = Math.max(error, Math.abs(actual[i]! - e) / (1 + Math.abs(e)))));
    results.push({ shape: `${shapeA}${ta ? 'ᵀ' : ''} · ${shapeB}${tb ? 'ᵀ' : ''}`, error });
  }
  return { ...wasmGemmInfo(), worst: results };
}

/**
 * GFLOP/s of the wasm GEMM on a training step's shapes (median of 15 products, after every shape has run 5 times:
 * V8 first runs wasm in its baseline compiler), with how it ran: `npm run bench -- --profile` prints it isolated
 * (two threads) and not (one).
 */
export async function gemmSpeed(): Promise<{ relaxed: boolean; threads: number; gflops: Array<{ shape: string; gflops: number }> }> {
  await initBackend('wasm', { fallback: false });
  const gflops = [];
  const shapes = SHAPES.slice(0, 4);
  for (let i = 0; i < 5; i++) for (const [shapeA, shapeB, ta, tb] of shapes) await tf.tidy(() => tf.matMul(tf.zeros(shapeA), tf.zeros(shapeB), ta, tb)).data();
  for (const [shapeA, shapeB, ta, tb] of shapes) {
    const [a, b] = [tf.randomNormal(shapeA), tf.randomNormal(shapeB)];
    const [m, k] = ta ? [shapeA.at(-1)!, shapeA.at(-2)!] : [shapeA.at(-2)!, shapeA.at(-1)!];
    const n = tb ? shapeB.at(-2)! : shapeB.at(-1)!;
    const batch = shapeA.slice(0, -2).reduce((x, y) => x * y, 1);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const c = tf.matMul(a, b, ta, tb);
      await c.data();
      times.push(performance.now() - started);
      c.dispose();
    }
    tf.dispose([a, b]);
    const median = times.sort((x, y) => x - y)[times.length >> 1]!;
    gflops.push({ shape: `${shapeA}${ta ? 'ᵀ' : ''} · ${shapeB}${tb ? 'ᵀ' : ''}`, gflops: (2 * batch * m * n * k) / median / 1e6 });
  }
  return { ...wasmGemmInfo(), gflops };
}
