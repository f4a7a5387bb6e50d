import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * tfjs-backend-wasm 4.22's `_FusedMatMul` adds the bias wrongly for most shapes (a [7,32]x[32,16] product with a
 * [16] bias is off by up to 3.3), which makes every linear layer of the encoder wrong on the wasm backend. Without
 * a bias and activation the kernel is right, so this replaces it with: plain product, then the wasm `Add`, then
 * the activation's own kernel. Must run before the wasm backend is initialised (kernels are set up then).
 */
export function fixWasmFusedMatMul(): void {
  const original = tf.getKernel('_FusedMatMul', 'wasm');
  if (!original || (original as KernelConfig & { fixed?: true }).fixed) return;
  const kernel = (name: string): KernelFunc => {
    const found = tf.getKernel(name, 'wasm');
    if (!found) throw new Error(`the wasm backend has no ${name} kernel`);
    return found.kernelFunc;
  };
  const fixedKernel: KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const { a, b, bias, preluActivationWeights } = inputs as NamedTensorInfoMap;
    const activation = (attrs.activation as string | undefined) ?? 'linear';
    const dispose = (t: TensorInfo) => (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    // The product goes through BatchMatMul, which routeWasmMatMul sends to our GEMM (or XNNPACK) for every shape.
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
  tf.unregisterKernel('_FusedMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: fixedKernel, fixed: true } as KernelConfig);
}

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
