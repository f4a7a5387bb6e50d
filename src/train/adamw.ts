import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamW, type AdamWScalars } from '../backend/fused-ops.ts';

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

  /**
   * Applies one update to each variable with its gradient, at learning rate `lr`; `gradScale` (a scalar tensor)
   * multiplies every gradient first (gradient clipping's factor: fused backends fold it into their kernel).
   */
  apply(updates: Array<{ variable: tf.Variable; grad: tf.Tensor }>, lr: number, gradScale?: tf.Scalar): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const bias1 = 1 - beta1 ** this.step;
    const bias2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    const plain: AdamWScalars = {
      decays: weightDecay !== 0, decay: 1 - lr * weightDecay, b1: beta1, oneMinusB1: 1 - beta1, b2: beta2, oneMinusB2: 1 - beta2,
      stepSize: lr / bias1, bias2: bias2Sqrt, eps: epsilon,
    };
    const scalars = {
      decay: tf.scalar(1 - lr * weightDecay), b1: tf.scalar(beta1), oneMinusB1: tf.scalar(1 - beta1), b2: tf.scalar(beta2),
      oneMinusB2: tf.scalar(1 - beta2), stepSize: tf.scalar(lr / bias1), bias2: tf.scalar(bias2Sqrt), eps: tf.scalar(epsilon),
    };
    try {
      for (const { variable, grad } of updates) {
        if (this.fusedUpdate(variable, grad, plain, gradScale ?? null)) continue;
        const scaled = gradScale ? tf.mul(grad, gradScale) : grad;
        this.update(variable, scaled, scalars, weightDecay !== 0);
        if (scaled !== grad) scaled.dispose();
      }
    } finally {
      tf.dispose(Object.values(scalars));
    }
  }

  /** The same update in one kernel where the backend has one (wasm); false where it has not. */
  private fusedUpdate(variable: tf.Variable, grad: tf.Tensor, scalars: AdamWScalars, gradScale: tf.Tensor | null): boolean {
    const { m, v } = this.momentsOf(variable);
    const result = fusedAdamW(variable, grad, m, v, scalars, gradScale);
    if (!result) return false;
    const [nextParam, nextM, nextV] = result;
    m.assign(nextM);
    v.assign(nextV);
    variable.assign(nextParam);
    tf.dispose(result);
    return true;
  }

  /**
   * One parameter's update, freeing each intermediate as soon as it is used: at most two parameter-sized
   * temporaries live at once (three with weight decay), where a tidy around the whole step would hold about six
   * per parameter until the end (gigabytes for XLM-R's 768 MB embedding matrix).
   */
  private update(variable: tf.Variable, grad: tf.Tensor, s: Record<'decay' | 'b1' | 'oneMinusB1' | 'b2' | 'oneMinusB2' | 'stepSize' | 'bias2' | 'eps', tf.Scalar>, decays: boolean): void {
    const { m, v } = this.momentsOf(variable);
    /** `op`'s result, after freeing the inputs it no longer needs. */
    const consume = <T extends tf.Tensor>(result: T, ...used: tf.Tensor[]): T => (tf.dispose(used), result);
    const param = decays ? tf.mul(variable, s.decay) : variable;
    /** moment ← decay · moment + rest · value (rest = 1 − decay); `value` is freed first when it is a temporary. */
    const blend = (moment: tf.Variable, decay: tf.Scalar, rest: tf.Scalar, value: tf.Tensor) => {
      const added = value === grad ? tf.mul(value, rest) : consume(tf.mul(value, rest), value);
      const kept = tf.mul(moment, decay);
      const next = consume(tf.add(kept, added), kept, added);
      moment.assign(next);
      next.dispose();
    };
    blend(m, s.b1, s.oneMinusB1, grad);
    blend(v, s.b2, s.oneMinusB2, tf.square(grad));
    const root = tf.sqrt(v);
    const scaledRoot = consume(tf.div(root, s.bias2), root);
    const denom = consume(tf.add(scaledRoot, s.eps), scaledRoot);
    const ratio = consume(tf.div(m, denom), denom);
    const step = consume(tf.mul(ratio, s.stepSize), ratio);
    const next = consume(tf.sub(param, step), step);
    variable.assign(next);
    next.dispose();
    if (param !== variable) param.dispose();
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
      // assign() takes its own reference: the tensors made here must be freed, or each restore leaks two.
      tf.tidy(() => {
        moments.m.assign(tf.tensor(m, variable.shape));
        moments.v.assign(tf.tensor(v, variable.shape));
      });
    }
  }

  /** Frees the moments but keeps the step (the WebGPU engine holds the moments between checkpoints). */
  releaseMoments(): void {
    this.dispose();
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
      // A variable takes its own reference to its initial value: tidy frees the zeros (variables outlive it).
      moments = tf.tidy(() => ({
        m: tf.variable(tf.zerosLike(variable), false, `${variable.name}/adam_m`),
        v: tf.variable(tf.zerosLike(variable), false, `${variable.name}/adam_v`),
      }));
      this.moments.set(variable, moments);
    }
    return moments;
  }
}
