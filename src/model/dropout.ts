import * as tf from '@tensorflow/tfjs-core';
import { fusedDropoutMask } from '../backend/fused-ops.ts';

/**
 * tf.dropout(x, rate, undefined, seed), with its multiplier from a backend's fused kernel where there is one
 * (wasm: the same values to the bit, without tfjs's per-element JavaScript loop of random draws).
 */
export function seededDropout(x: tf.Tensor, rate: number, seed: string): tf.Tensor {
  const mask = fusedDropoutMask(x.shape, rate, seed);
  if (!mask) return tf.dropout(x, rate, undefined, seed);
  const dropped = tf.mul(x, mask);
  mask.dispose();
  return dropped;
}
