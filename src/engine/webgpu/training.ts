/**
 * The trainer's side of the WebGPU engine: a SequenceClassifier and its AdamW handed to an EngineNetwork for the
 * run, and handed back (parameters into the tfjs variables, moments and step into the AdamW) whenever the rest of
 * the app needs them: checkpoints, the end of the run. Evaluation runs on the engine too.
 */
import { formatBytes } from '../../format.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { SequenceClassifier, TrainingTechnique } from '../../model/classifier.ts';
import type { PaddedBatch } from '../../tokenize/batch.ts';
import type { AdamW } from '../../train/adamw.ts';
import { MAX_ROW_WIDTH } from './kernels.ts';
import { EngineNetwork, type EngineStats } from './network.ts';
import { parameterLayout } from './parameters.ts';

/**
 * Why the engine cannot train this model here, or null when it can. Its flat buffers bind every parameter at once,
 * so they must fit the device's largest storage binding (tfjs, which binds tensor by tensor, trains otherwise).
 */
export function engineUnsupported(model: SequenceClassifier): string | null {
  if (tf.getBackend() !== 'webgpu') return `the backend is ${tf.getBackend()}`;
  if (model.config.hiddenSize > MAX_ROW_WIDTH) return `hidden size ${model.config.hiddenSize} is over ${MAX_ROW_WIDTH}`;
  const limits = (tf.backend() as unknown as WebGPUBackend).device.limits;
  const bytes = 4 * parameterLayout(model.config).size;
  const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (bytes > binding) return `its ${formatBytes(bytes)} of parameters exceed this GPU's largest storage binding (${formatBytes(binding)})`;
  return null;
}

/** An engine network holding a copy of the model's current parameters, on tfjs's WebGPU device. */
async function engineNetworkOf(model: SequenceClassifier): Promise<EngineNetwork> {
  const device = (tf.backend() as unknown as WebGPUBackend).device;
  const values = new Map<string, Float32Array>();
  for (const p of model.parameters) values.set(p.hfName, (await p.variable.data()) as Float32Array);
  return new EngineNetwork(device, model.config, (name) => values.get(name)!);
}

/**
 * Prediction on the engine: one submit per batch instead of tfjs's few hundred dispatches, after copying the
 * parameters once (worth it for many batches, not for one pair).
 */
export class EnginePrediction {
  private constructor(private readonly network: EngineNetwork) {}

  static async create(model: SequenceClassifier): Promise<EnginePrediction> {
    return new EnginePrediction(await engineNetworkOf(model));
  }

  logits(batch: PaddedBatch): Promise<Float32Array> {
    return this.network.logits(batch);
  }

  dispose(): void {
    this.network.dispose();
  }
}

export class EngineTraining {
  private constructor(
    private readonly model: SequenceClassifier,
    private readonly optimizer: AdamW,
    private readonly network: EngineNetwork,
  ) {}

  /** Copies the model's parameters (and the optimizer's moments, when resuming) into a new engine network. */
  static async create(model: SequenceClassifier, optimizer: AdamW, settings: { technique: TrainingTechnique; maxGradNorm: number }): Promise<EngineTraining> {
    const network = await engineNetworkOf(model);
    network.configureTraining({ technique: settings.technique, adam: optimizer.config, maxGradNorm: settings.maxGradNorm });
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const p of model.parameters) {
      const state = optimizer.stateOf(p.variable);
      if (!state) continue;
      m.set(p.hfName, (await state.m.data()) as Float32Array);
      v.set(p.hfName, (await state.v.data()) as Float32Array);
    }
    network.loadMoments((name) => m.get(name), (name) => v.get(name));
    return new EngineTraining(model, optimizer, network);
  }

  /** One optimizer step on the GPU; the AdamW's step count moves with it. */
  step(batch: PaddedBatch, labels: number[], lr: number, dropoutSeed: number): void {
    this.optimizer.step += 1;
    this.network.trainStep(batch, labels, lr, this.optimizer.step, dropoutSeed);
  }

  stats(): Promise<EngineStats> {
    return this.network.readStats();
  }

  resetLossSum(value = 0): void {
    this.network.resetLossSum(value);
  }

  logits(batch: PaddedBatch): Promise<Float32Array> {
    return this.network.logits(batch);
  }

  /**
   * Puts the trained parameters into the model's variables and their moments into the AdamW (frozen ones never
   * change on the engine: feature-extraction reads back only the head).
   */
  async syncToModel(): Promise<void> {
    const values = await this.network.parameterValues('trained');
    const { m, v } = await this.network.momentValues();
    const trainable = this.model.parameters.filter((p) => p.trainable);
    for (const p of trainable) {
      const next = tf.tensor(values.get(p.hfName)!, p.variable.shape, 'float32');
      p.variable.assign(next);
      next.dispose();
    }
    this.optimizer.restore(this.optimizer.step, trainable.map((p) => ({ variable: p.variable, m: m.get(p.hfName)!, v: v.get(p.hfName)! })));
  }

  dispose(): void {
    this.network.dispose();
  }
}
