import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLeadingAxesSum } from './wasm-kernels.ts';

/**
 * `Sum` over leading axes (every bias and LayerNorm gradient) through our SIMD column sums; tfjs-wasm would
 * transpose the input first and then add with scalar code. Other reductions keep tfjs's kernel.
 * Must run before the wasm backend is initialised.
 */
export function routeWasmSumToKernels(): void {
  const original = tf.getKernel('Sum', 'wasm');
  if (!original || (original as KernelConfig & { routed?: true }).routed) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const x = (inputs as { x: TensorInfo }).x;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    return wasmLeadingAxesSum(backend, x, axes, Boolean(attrs.keepDims)) ?? original.kernelFunc({ inputs, backend, attrs });
  };
  tf.unregisterKernel('Sum', 'wasm');
  tf.registerKernel({ ...original, kernelFunc, routed: true } as KernelConfig);
}
