import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

// Kernels a backend may offer for what the trainer otherwise builds from many small tfjs ops.

/** AdamW's float32 constants for one step (src/train/adamw.ts). */
export interface AdamWScalars { decays: boolean; decay: number; b1: number; oneMinusB1: number; b2: number; oneMinusB2: number; stepSize: number; bias2: number; eps: number }

/**
 * One parameter's update in a single kernel: new parameter, m and v; null where it cannot run (then tf ops do).
 * `gradScale` (a scalar tensor, or null) multiplies the gradient first: gradient clipping's factor.
 */
export type FusedAdamW = (param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamWScalars, gradScale: tf.Tensor | null) => [tf.Tensor, tf.Tensor, tf.Tensor] | null;

/** tf.sum(tf.square(x)) in one kernel, the same float32 operations in order; null where it cannot run. */
export type FusedSumOfSquares = (x: tf.Tensor) => tf.Scalar | null;

/**
 * tf.dropout's multiplier (floor(u + keep) / keep, u uniform in [0, 1) from the seed) in one kernel, without a
 * per-element JavaScript loop or an upload; null where it cannot run (then tf.dropout does).
 */
export type FusedDropoutMask = (shape: number[], rate: number, seed: string) => tf.Tensor | null;

/** LayerNorm over the last axis of [rows, cols] with its gradient, in one kernel each way; null where it cannot run. */
export type FusedLayerNorm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) => tf.Tensor | null;

/** GELU (erf form) with its gradient, in one kernel each way; null where it cannot run. */
export type FusedGelu = (x: tf.Tensor) => tf.Tensor | null;

interface FusedOps { adamW: FusedAdamW; dropoutMask: FusedDropoutMask; layerNorm: FusedLayerNorm; gelu: FusedGelu; sumOfSquares: FusedSumOfSquares }

/** Each backend's fused ops, tried in order: each returns null unless it runs on the active backend. */
const providers: Partial<FusedOps>[] = [];

/** Called by a backend that has fused kernels (wasm: src/backend/wasm/kernels.ts; WebGPU: src/backend/webgpu/kernels.ts). */
export function registerFusedOps(ops: Partial<FusedOps>): void {
  if (!providers.includes(ops)) providers.push(ops);
}

function first<K extends keyof FusedOps>(name: K, call: (op: FusedOps[K]) => ReturnType<FusedOps[K]>): ReturnType<FusedOps[K]> | null {
  for (const ops of providers) {
    const op = ops[name];
    const result = op ? call(op as FusedOps[K]) : null;
    if (result) return result;
  }
  return null;
}

export function fusedAdamW(...args: Parameters<FusedAdamW>): ReturnType<FusedAdamW> {
  return first('adamW', (op) => op(...args));
}

export function fusedDropoutMask(...args: Parameters<FusedDropoutMask>): ReturnType<FusedDropoutMask> {
  return first('dropoutMask', (op) => op(...args));
}

export function fusedLayerNorm(...args: Parameters<FusedLayerNorm>): ReturnType<FusedLayerNorm> {
  return first('layerNorm', (op) => op(...args));
}

export function fusedGelu(...args: Parameters<FusedGelu>): ReturnType<FusedGelu> {
  return first('gelu', (op) => op(...args));
}

export function fusedSumOfSquares(...args: Parameters<FusedSumOfSquares>): ReturnType<FusedSumOfSquares> {
  return first('sumOfSquares', (op) => op(...args));
}

/** A tensor owning the output a backend kernel wrote (what a fused op hands back to the trainer). */
export function tensorFromInfo(info: TensorInfo): tf.Tensor {
  return (tf.engine() as unknown as { makeTensorFromTensorInfo(i: TensorInfo): tf.Tensor }).makeTensorFromTensorInfo(info);
}
