import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmBatchMatMul } from './wasm-kernels.ts';

/**
 * Every float32 `BatchMatMul` runs in our packed GEMM (kernels/xnli-kernels.c, 1.3-1.7x XNNPACK's speed per thread
 * with relaxed SIMD, transposed sides read in place). Until our kernels are loaded, or if they cannot be, the
 * products go to XNNPACK: tfjs-backend-wasm 4.22 hands a `BatchMatMul` to XNNPACK only when neither side is
 * transposed and both have batch 1, and runs every other product in a scalar loop 10-50x slower, so
 *  - a transposed side is transposed explicitly first (memory-bound, O(size), against the product's O(m·n·k));
 *  - a `b` shared by the whole batch folds the batch into the rows of `a`: one [batch·m, k]·[k, n] product;
 *  - batches of distinct `b`s (attention) keep the scalar loop.
 * Must run before the wasm backend is initialised (kernels are set up then).
 */
export function routeWasmMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original || (original as KernelConfig & { routed?: true }).routed) return;
  // The bench sets this to measure the original kernel (`npm run bench -- --original-wasm-matmul`).
  if ((globalThis as { xnliOriginalWasmMatMul?: boolean }).xnliOriginalWasmMatMul === true) return;
  const fastKernel: KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const run = kernelRunner(backend);
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const ours = wasmBatchMatMul(backend, a, b, transposeA, transposeB);
    if (ours) return ours;
    // XNNPACK would create and pack an operator per slice: 30-50x slower than the loop for 64×64 heads.
    if (batchB > 1) return original.kernelFunc({ inputs, backend, attrs });
    const outerDims = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const temporaries: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temporaries.push(t), t);
    try {
      // Rank 3 and untransposed: a3 [batchA, m, k], b3 [batchB, k, n].
      const a3 = keep(run.kernel('Reshape', { x: a }, { shape: [batchA, ...a.shape.slice(-2)] }));
      const b3 = keep(run.kernel('Reshape', { x: b }, { shape: [batchB, ...b.shape.slice(-2)] }));
      const aPlain = transposeA ? keep(run.kernel('Transpose', { x: a3 }, { perm: [0, 2, 1] })) : a3;
      const bPlain = transposeB ? keep(run.kernel('Transpose', { x: b3 }, { perm: [0, 2, 1] })) : b3;
      const [, m, k] = aPlain.shape;
      const n = bPlain.shape[2];
      if (bPlain.shape[1] !== k) throw new Error(`Error in matMul: inner shapes (${k}) and (${bPlain.shape[1]}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
      const rows = keep(run.kernel('Reshape', { x: aPlain }, { shape: [1, batchA * m, k] }));
      const out = original.kernelFunc({ inputs: { a: rows, b: bPlain }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
      const shaped = run.kernel('Reshape', { x: out }, { shape: [...outerDims, m, n] });
      run.dispose(out);
      return shaped;
    } finally {
      for (const t of temporaries) run.dispose(t);
    }
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: fastKernel, routed: true } as KernelConfig);
}

/** Calls other wasm kernels by name from inside a kernel, and frees what they returned. */
export function kernelRunner(backend: object) {
  return {
    kernel(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, unknown>): TensorInfo {
      const found = tf.getKernel(name, 'wasm');
      if (!found) throw new Error(`the wasm backend has no ${name} kernel`);
      // Concat takes its inputs as an array; the others by name.
      return found.kernelFunc({ inputs: inputs as never, backend, attrs: attrs as never }) as TensorInfo;
    },
    dispose(t: TensorInfo): void {
      (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    },
  };
}
