import type * as tf from '@tensorflow/tfjs-core';

/** AdamW's float32 constants for one step (src/train/adamw.ts). */
export interface AdamWScalars { decays: boolean; decay: number; b1: number; oneMinusB1: number; b2: number; oneMinusB2: number; stepSize: number; bias2: number; eps: number }

/** One parameter's update in a single kernel: new parameter, m and v; null where it cannot run (then tf ops do). */
export type FusedAdamW = (param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamWScalars) => [tf.Tensor, tf.Tensor, tf.Tensor] | null;

let fused: FusedAdamW | null = null;

/** Set by a backend that has a fused update (the wasm one: src/backend/wasm-kernels.ts). */
export function setFusedAdamW(update: FusedAdamW): void {
  fused = update;
}

export function fusedAdamW(...args: Parameters<FusedAdamW>): ReturnType<FusedAdamW> {
  return fused ? fused(...args) : null;
}
