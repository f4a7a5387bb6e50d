import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmGatherRows, wasmLeadingAxesSum, wasmScatterRows } from './wasm-kernels.ts';

/**
 * Sends the tfjs-wasm kernels a training step spends most time in, outside the products, to our SIMD kernels
 * (src/backend/wasm-kernels.ts) when their shapes are the ones training uses; any other call, or any call before
 * the kernels are loaded, keeps tfjs's kernel. Must run before the wasm backend is initialised.
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
}

function route(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original || (original as KernelConfig & { routed?: true }).routed) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: make(original.kernelFunc), routed: true } as KernelConfig);
}
