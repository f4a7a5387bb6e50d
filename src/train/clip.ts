import * as tf from '@tensorflow/tfjs-core';
import { fusedSumOfSquares } from '../backend/fused-ops.ts';

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm of all gradients, then every gradient scaled by
 * min(1, maxNorm / (norm + 1e-6)). Returns the scaled gradients and the norm before clipping (a scalar that
 * stays on the device: reading it back each step would stall the GPU).
 */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const { scale, norm } = globalNormScale(grads, maxNorm);
    return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
  });
}

/**
 * The factor clip_grad_norm_ multiplies every gradient by, min(1, maxNorm / (norm + 1e-6)), and the norm, without
 * scaling: AdamW.apply takes the factor and fused backends fold it into their update (one pass less over the
 * gradients). Each parameter's sum of squares is one kernel where the backend has one.
 */
export function globalNormScale(grads: tf.Tensor[], maxNorm: number): { scale: tf.Scalar; norm: tf.Scalar } {
  return tf.tidy(() => {
    const squares = grads.map((g) => fusedSumOfSquares(g) ?? tf.sum(tf.square(g)));
    const norm = tf.sqrt(sumScalars(squares)) as tf.Scalar;
    const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) as tf.Scalar;
    return { scale, norm };
  });
}

/**
 * Pairwise sum of many scalars. Not tf.addN: on WebGPU one AddN shader binds every input, and past the device's
 * storage-buffer limit (8-10 per stage) its pipeline fails validation silently and the sum reads as 0.
 */
function sumScalars(values: tf.Tensor[]): tf.Tensor {
  let level = values;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0] ?? tf.scalar(0);
}
