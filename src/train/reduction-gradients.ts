import * as tf from '@tensorflow/tfjs-core';
// The stock gradients, registered first, so that ours replace them (the last registration wins).
import '@tensorflow/tfjs-core/dist/register_all_gradients';

/**
 * The gradients of Sum and Mean as tfjs computes them (dy reshaped to x's rank, times ones of x's shape), except
 * where the ones come from on a GPU backend: tfjs's `ones(x.shape)` fills an array in JavaScript and uploads it,
 * on every LayerNorm of every step (150 MB per bert-base step on WebGPU); the backend's Fill kernel makes them on
 * the GPU. The values are the same. On wasm and cpu the stock path stays (tf.fill measured slower on wasm).
 */
export function registerReductionGradients(): void {
  tf.registerGradient({
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const expanded = expandedDy(dy as tf.Tensor, x, (attrs as { axis: number | number[] }).axis);
      return { x: () => tf.mul(expanded, ones(x.shape)) };
    },
  });
  tf.registerGradient({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const axis = (attrs as { axis: number | number[] }).axis;
      const reduceSize = tf.util.parseAxisParam(axis, x.shape).reduce((size, a) => size * x.shape[a]!, 1);
      return { x: () => tf.div(tf.mul(expandedDy(dy as tf.Tensor, x, axis), ones(x.shape)), reduceSize) };
    },
  });
}

function ones(shape: number[]): tf.Tensor {
  const backend = tf.getBackend();
  return backend === 'webgpu' || backend === 'webgl' ? tf.fill(shape, 1) : tf.ones(shape);
}

/** dy reshaped to x's rank, with 1 on every reduced axis. */
function expandedDy(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return tf.reshape(dy, shape);
}
