import * as tf from '@tensorflow/tfjs-core';
import type { SequenceClassifier } from '../model/classifier.ts';

type BatchInputs = { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D };

/**
 * Feature-extraction's frozen part computed once per training example and kept (rows of [hidden] floats, in
 * memory): later epochs run only the classifier head. Its features come from the encoder in eval mode (no
 * dropout), where the reference's frozen encoder still drops out in training: an opt-in trade of that noise for
 * speed (`--feature-extraction-cache`), recorded in the run's params.
 */
export class FeatureCache {
  private readonly rows = new Map<number, Float32Array>();
  computed = 0;
  reused = 0;

  constructor(private readonly model: SequenceClassifier) {}

  /** Features [indices.length, hidden] for these examples; `inputs` (built only when needed) are the batch's. */
  async batch(indices: number[], inputs: () => BatchInputs): Promise<tf.Tensor2D> {
    const missing = indices.some((i) => !this.rows.has(i));
    if (missing) {
      const features = tf.tidy(() => this.model.features(inputs()));
      const values = (await features.data()) as Float32Array;
      const width = features.shape[1];
      features.dispose();
      indices.forEach((example, row) => this.rows.set(example, values.slice(row * width, (row + 1) * width)));
      this.computed += indices.length;
    } else {
      this.reused += indices.length;
    }
    const width = this.rows.get(indices[0]!)!.length;
    const packed = new Float32Array(indices.length * width);
    indices.forEach((example, row) => packed.set(this.rows.get(example)!, row * width));
    return tf.tensor2d(packed, [indices.length, width]);
  }
}
