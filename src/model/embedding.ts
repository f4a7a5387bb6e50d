import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows of an embedding table, `tf.gather(table, ids)`, with a gradient that scatters the incoming rows back
 * (duplicates summed) in O(ids × width). tfjs's own gather gradient goes through UnsortedSegmentSum, whose CPU
 * kernel builds one mask per table row: O(vocab × ids × width), seconds per step for a 1000-word vocabulary and
 * hopeless for XLM-R's 250,002; the WASM backend has no such kernel at all.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [weights, indices, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([indices]);
    return {
      value: tf.gather(weights, indices),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedIndices] = saved;
        const rows = tf.reshape(tf.cast(savedIndices, 'int32'), [-1, 1]);
        return [tf.scatterND(rows, dy as tf.Tensor, weights.shape), tf.zerosLike(savedIndices)];
      },
    };
  });
  return lookup(table, ids) as tf.Tensor2D;
}
