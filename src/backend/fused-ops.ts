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

const fused: { adamW: FusedAdamW | null; dropoutMask: FusedDropoutMask | null } = { adamW: null, dropoutMask: null };

/** Set by a backend that has fused kernels (the wasm one: src/backend/wasm-kernels.ts). */
export function setFusedOps(ops: { adamW: FusedAdamW; dropoutMask: FusedDropoutMask }): void {
  Object.assign(fused, ops);
}

export function fusedAdamW(...args: Parameters<FusedAdamW>): ReturnType<FusedAdamW> {
  return fused.adamW ? fused.adamW(...args) : null;
}

export function fusedDropoutMask(...args: Parameters<FusedDropoutMask>): ReturnType<FusedDropoutMask> {
  return fused.dropoutMask ? fused.dropoutMask(...args) : null;
}
