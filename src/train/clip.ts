import * as tf from '@tensorflow/tfjs-core';

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm of all gradients, then every gradient scaled by
 * min(1, maxNorm / (norm + 1e-6)). Returns the scaled gradients and the norm before clipping (a scalar that
 * stays on the device: reading it back each step would stall the GPU).
 */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(tf.addN(squares)) as tf.Scalar;
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { clipped: grads.map((g) => tf.mul(g, coef)), norm };
  });
}
