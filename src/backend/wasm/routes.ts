import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmBatchMatMul, wasmGatherRows, wasmLeadingAxesSum, wasmScatterRows } from './kernels.ts';

/**
 * The tfjs-wasm kernels this app replaces, each through `route` (the one way a kernel is replaced here); must run
 * before the wasm backend is initialised (kernels are set up then). Where our kernels (src/backend/wasm/kernels.ts)
 * are not loaded yet, or a call has another shape than training's, tfjs's own kernel runs.
 *  - `BatchMatMul`: every float32 product in our packed GEMM (kernels/xnli-kernels.c), transposed sides read in
 *    place, shared with a second thread on an isolated page. Without our kernels, products go to XNNPACK, which
 *    tfjs-backend-wasm 4.22 uses only when neither side is transposed and both have batch 1 (every other product
 *    runs in a scalar loop 10-50x slower): a transposed side is transposed explicitly first, a `b` shared by the
 *    batch folds the batch into the rows of `a`, and batches of distinct `b`s (attention) keep the scalar loop.
 *  - `_FusedMatMul`: tfjs's adds the bias wrongly for most shapes (a [7,32]x[32,16] product with a [16] bias is off
 *    by up to 3.3, so every linear layer of the encoder was wrong): the product, then `Add`, then the activation.
 *  - `Sum` over leading axes (every bias and LayerNorm gradient): tfjs transposes, then adds with scalar code.
 *  - `GatherV2` of rows (embedding lookups) and `ScatterNd` of rows (their gradients): tfjs goes element by element.
 *  - `Identity` (and a `Cast` to the same dtype) shares the data, as tfjs's own `Reshape` does and the cpu backend's
 *    `Identity` does: tfjs-wasm copied it, and the gradient tape clones every tensor it saves (about 500 copies of
 *    activations per mini step).
 */
export function routeWasmKernels(): void {
  const share: KernelFunc = ({ inputs, backend }) => {
    const x = (inputs as { x: TensorInfo }).x;
    (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  route('Identity', (original) => (args) => ((args.inputs as { x: TensorInfo }).x.dtype === 'string' ? original(args) : share(args)));
  route('Cast', (original) => (args) => ((args.inputs as { x: TensorInfo }).x.dtype === (args.attrs as { dtype: string }).dtype ? share(args) : original(args)));
  route('Sum', (original) => ({ inputs, backend, attrs = {} }) => {
    const x = (inputs as { x: TensorInfo }).x;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    return wasmLeadingAxesSum(backend, x, axes, Boolean(attrs.keepDims)) ?? original({ inputs, backend, attrs });
  });
  route('GatherV2', (original) => ({ inputs, backend, attrs = {} }) => {
    const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
    return wasmGatherRows(backend, x, indices, axis, Number(attrs.batchDims ?? 0)) ?? original({ inputs, backend, attrs });
  });
  route('ScatterNd', (original) => ({ inputs, backend, attrs = {} }) => {
    const { indices, updates } = inputs as { indices: TensorInfo; updates: TensorInfo };
    return wasmScatterRows(backend, indices, updates, attrs.shape as number[]) ?? original({ inputs, backend, attrs });
  });
  // The bench sets this to measure tfjs's own product (`npm run bench -- --original-wasm-matmul`).
  if ((globalThis as { xnliOriginalWasmMatMul?: boolean }).xnliOriginalWasmMatMul !== true) route('BatchMatMul', batchMatMul);
  route('_FusedMatMul', () => fusedMatMul);
}

function route(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original || (original as KernelConfig & { routed?: true }).routed) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: make(original.kernelFunc), routed: true } as KernelConfig);
}

const batchMatMul = (original: KernelFunc): KernelFunc => ({ inputs, backend, attrs = {} }) => {
  const run = kernelRunner(backend);
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const ours = wasmBatchMatMul(backend, a, b, transposeA, transposeB);
  if (ours) return ours;
  // XNNPACK would create and pack an operator per slice: 30-50x slower than the loop for 64×64 heads.
  if (batchB > 1) return original({ inputs, backend, attrs });
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
    const out = original({ inputs: { a: rows, b: bPlain }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    const shaped = run.kernel('Reshape', { x: out }, { shape: [...outerDims, m, n] });
    run.dispose(out);
    return shaped;
  } finally {
    for (const t of temporaries) run.dispose(t);
  }
};

const fusedMatMul: KernelFunc = ({ inputs, backend, attrs = {} }) => {
  const { a, b, bias, preluActivationWeights } = inputs as NamedTensorInfoMap;
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  const dispose = (t: TensorInfo) => (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
  // The product goes through the routed BatchMatMul above.
  let out = kernel('BatchMatMul')({ inputs: { a: a!, b: b! }, backend, attrs: { transposeA: attrs.transposeA, transposeB: attrs.transposeB } }) as TensorInfo;
  if (bias) {
    const withBias = kernel('Add')({ inputs: { a: out, b: bias }, backend, attrs: {} }) as TensorInfo;
    dispose(out);
    out = withBias;
  }
  if (activation !== 'linear') {
    const activated = applyActivation(kernel, activation, out, backend, attrs, preluActivationWeights);
    dispose(out);
    out = activated;
  }
  return out;
};

function applyActivation(
  kernel: (name: string) => KernelFunc,
  activation: string,
  x: TensorInfo,
  backend: object,
  attrs: Record<string, unknown>,
  preluWeights: TensorInfo | undefined,
): TensorInfo {
  switch (activation) {
    case 'relu':
      return kernel('Relu')({ inputs: { x }, backend, attrs: {} }) as TensorInfo;
    case 'relu6':
      return kernel('Relu6')({ inputs: { x }, backend, attrs: {} }) as TensorInfo;
    case 'elu':
      return kernel('Elu')({ inputs: { x }, backend, attrs: {} }) as TensorInfo;
    case 'sigmoid':
      return kernel('Sigmoid')({ inputs: { x }, backend, attrs: {} }) as TensorInfo;
    case 'leakyrelu':
      return kernel('LeakyRelu')({ inputs: { x }, backend, attrs: { alpha: (attrs.leakyreluAlpha as number | undefined) ?? 0.2 } }) as TensorInfo;
    case 'prelu':
      if (!preluWeights) throw new Error('fused matMul with prelu needs preluActivationWeights');
      return kernel('Prelu')({ inputs: { x, alpha: preluWeights }, backend, attrs: {} }) as TensorInfo;
    default:
      throw new Error(`fused matMul activation ${activation} is not supported on the wasm backend`);
  }
}

/** The wasm backend's kernel `name`, as registered now (routed where this module routes it). */
function kernel(name: string): KernelFunc {
  const found = tf.getKernel(name, 'wasm');
  if (!found) throw new Error(`the wasm backend has no ${name} kernel`);
  return found.kernelFunc;
}

/** Calls other wasm kernels by name from inside a kernel, and frees what they returned. */
function kernelRunner(backend: object) {
  return {
    kernel(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, unknown>): TensorInfo {
      // Concat takes its inputs as an array; the others by name.
      return kernel(name)({ inputs: inputs as never, backend, attrs: attrs as never }) as TensorInfo;
    },
    dispose(t: TensorInfo): void {
      (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    },
  };
}
