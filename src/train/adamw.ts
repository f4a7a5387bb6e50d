import * as tf from '@tensorflow/tfjs-core';

/** PyTorch's torch.optim.AdamW defaults, as the reference trainer uses them. */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

/**
 * AdamW with PyTorch's update rule (torch.optim.AdamW, single-tensor path):
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
 * tfjs's own Adam puts ε elsewhere and has no decoupled decay, so it would not match the reference.
 */
export class AdamW {
  private readonly moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  /** Number of optimizer steps taken (PyTorch's `state['step']`). */
  step = 0;

  constructor(readonly config: AdamWConfig = ADAMW_DEFAULTS) {}

  /** Applies one update to each variable with its gradient, at learning rate `lr`. */
  apply(updates: Array<{ variable: tf.Variable; grad: tf.Tensor }>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const bias1 = 1 - beta1 ** this.step;
    const bias2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    tf.tidy(() => {
      const decay = tf.scalar(1 - lr * weightDecay);
      const b1 = tf.scalar(beta1);
      const oneMinusB1 = tf.scalar(1 - beta1);
      const b2 = tf.scalar(beta2);
      const oneMinusB2 = tf.scalar(1 - beta2);
      const stepSize = tf.scalar(lr / bias1);
      const bias2 = tf.scalar(bias2Sqrt);
      const eps = tf.scalar(epsilon);
      for (const { variable, grad } of updates) {
        const { m, v } = this.momentsOf(variable);
        const param = weightDecay === 0 ? variable : tf.mul(variable, decay);
        const nextM = tf.add(tf.mul(m, b1), tf.mul(grad, oneMinusB1));
        const nextV = tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), oneMinusB2));
        const denom = tf.add(tf.div(tf.sqrt(nextV), bias2), eps);
        m.assign(nextM);
        v.assign(nextV);
        variable.assign(tf.sub(param, tf.mul(tf.div(nextM, denom), stepSize)));
      }
    });
  }

  /** The moment estimates, for checkpoints: HF-style names are the caller's business. */
  stateOf(variable: tf.Variable): { m: tf.Variable; v: tf.Variable } | undefined {
    return this.moments.get(variable);
  }

  /** Restores moments and step from a checkpoint. */
  restore(step: number, states: Array<{ variable: tf.Variable; m: Float32Array; v: Float32Array }>): void {
    this.step = step;
    for (const { variable, m, v } of states) {
      const moments = this.momentsOf(variable);
      moments.m.assign(tf.tensor(m, variable.shape));
      moments.v.assign(tf.tensor(v, variable.shape));
    }
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }

  private momentsOf(variable: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let moments = this.moments.get(variable);
    if (!moments) {
      moments = {
        m: tf.variable(tf.zerosLike(variable), false, `${variable.name}/adam_m`),
        v: tf.variable(tf.zerosLike(variable), false, `${variable.name}/adam_v`),
      };
      this.moments.set(variable, moments);
    }
    return moments;
  }
}
