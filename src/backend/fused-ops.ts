import type * as tf from '@tensorflow/tfjs-core';

// Kernels a backend may offer for what the trainer otherwise builds from many small tfjs ops.

/** AdamW's float32 constants for one step (src/train/adamw.ts). */
export interface AdamWScalars { decays: boolean; decay: number; b1: number; oneMinusB1: number; b2: number; oneMinusB2: number; stepSize: number; bias2: number; eps: number }

/** One parameter's update in a single kernel: new parameter, m and v; null where it cannot run (then tf ops do). */
export type FusedAdamW = (param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamWScalars) => [tf.Tensor, tf.Tensor, tf.Tensor] | null;

/**
 * tf.dropout's multiplier (floor(u + keep) / keep, u drawn by tfjs's seeded randomUniform) in one kernel, equal
 * to tfjs's to the bit; null where it cannot run (then tf ops do).
 */
export type FusedDropoutMask = (shape: number[], rate: number, seed: string) => tf.Tensor | null;

/** LayerNorm over the last axis of [rows, cols] with its gradient, in one kernel each way; null where it cannot run. */
export type FusedLayerNorm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) => tf.Tensor | null;

/** GELU (erf form) with its gradient, in one kernel each way; null where it cannot run. */
export type FusedGelu = (x: tf.Tensor) => tf.Tensor | null;

interface FusedOps { adamW: FusedAdamW; dropoutMask: FusedDropoutMask; layerNorm: FusedLayerNorm; gelu: FusedGelu }

const fused: { [K in keyof FusedOps]: FusedOps[K] | null } = { adamW: null, dropoutMask: null, layerNorm: null, gelu: null };

/** Set by a backend that has fused kernels (the wasm one: src/backend/wasm-kernels.ts). */
export function setFusedOps(ops: FusedOps): void {
  Object.assign(fused, ops);
}

export function fusedLayerNorm(...args: Parameters<FusedLayerNorm>): ReturnType<FusedLayerNorm> {
  return fused.layerNorm ? fused.layerNorm(...args) : null;
}

export function fusedGelu(...args: Parameters<FusedGelu>): ReturnType<FusedGelu> {
  return fused.gelu ? fused.gelu(...args) : null;
}

export function fusedAdamW(...args: Parameters<FusedAdamW>): ReturnType<FusedAdamW> {
  return fused.adamW ? fused.adamW(...args) : null;
}

export function fusedDropoutMask(...args: Parameters<FusedDropoutMask>): ReturnType<FusedDropoutMask> {
  return fused.dropoutMask ? fused.dropoutMask(...args) : null;
}
