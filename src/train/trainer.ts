import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from the kernels in tfjs-core; training needs them (this module imports
// tfjs's, then replaces those of Sum and Mean).
import { registerReductionGradients } from './reduction-gradients.ts';
import { batchTensors, type SequenceClassifier } from '../model/classifier.ts';
import { padBatch, type EncodedPair, type PaddedBatch } from '../tokenize/batch.ts';
import { bucketedLength, planEpoch, paddingEfficiency } from '../data/batching.ts';
import { AdamW, ADAMW_DEFAULTS, type AdamWConfig } from './adamw.ts';
import { globalNormScale } from './clip.ts';
import { crossEntropy } from './loss.ts';
import { linearScheduleRate } from './schedule.ts';
import { SeededRandom } from './rng.ts';
import { FeatureCache } from './feature-cache.ts';
import { EngineTraining, engineUnsupported } from '../engine/webgpu/training.ts';
import type { MetricPoint } from './run-record.ts';
import { REFERENCE_DEFAULTS, type RunConfig } from '../config/run-config.ts';
import { TRAINER_SETTINGS } from '../config/settings.ts';

import type { TrainingTechnique } from '../model/classifier.ts';

registerReductionGradients();

export type Technique = TrainingTechnique;

export interface TrainOptions {
  technique: Technique;
  batchSize: number;
  evalBatchSize: number;
  numTrainEpochs: number;
  /** > 0 overrides the epochs, as transformers' max_steps does. */
  maxSteps: number;
  learningRate: number;
  warmupSteps: number;
  loggingSteps: number;
  evalSteps: number;
  saveSteps: number;
  maxGradNorm: number;
  seed: number;
  /** false: file order and consecutive batches, no length grouping. */
  shuffle: boolean;
  adam: AdamWConfig;
  /** Read every step's loss and gradient norm back (slow on a GPU; for parity tests). */
  recordSteps?: boolean;
  /** feature-extraction only: compute the frozen part once per example and train the head on it (FeatureCache). */
  featureCache?: boolean;
  /**
   * On WebGPU, train and evaluate with the WebGPU engine (src/engine/webgpu/: recorded plans, one submit per
   * step) rather than tfjs's op-by-op kernels. Default true; false keeps tfjs (the parity tests check both).
   */
  webgpuEngine?: boolean;
}

/** What the reference's Trainer fixes and no setting changes (shared/REFERENCE.md). */
const TRAINER_CONSTANTS = { evalBatchSize: 8, warmupSteps: 0, maxGradNorm: 1, adam: ADAMW_DEFAULTS };

/** A run's configuration as the trainer's options: the technique, and the settings the table marks `trains`. */
export function trainOptionsOf(config: RunConfig): TrainOptions {
  const options: Record<string, unknown> = {
    ...TRAINER_CONSTANTS,
    technique: config.technique,
    featureCache: config.technique === 'feature-extraction' && Boolean(config.featureExtractionCache),
  };
  for (const key of TRAINER_SETTINGS) options[key] = config[key];
  return options as unknown as TrainOptions;
}

/** The reference's defaults, as the trainer's options. */
export const TRAIN_DEFAULTS: TrainOptions = trainOptionsOf(REFERENCE_DEFAULTS);

export interface LabelledPair {
  pair: EncodedPair;
  label: number;
}

export interface TrainProgress {
  phase: 'train' | 'eval';
  step: number;
  totalSteps: number;
  epoch: number;
  lr?: number;
  loss?: number;
  tokensPerSecond?: number;
  etaSeconds?: number;
  language?: string;
  done?: number;
  total?: number;
}

export interface TrainHooks {
  onProgress?(progress: TrainProgress): void;
  /** Points as they are logged: a caller persists them at once. */
  onMetrics?(points: MetricPoint[]): void | Promise<void>;
  /** Called every `saveSteps` steps and at the end, with the optimizer and the loop's running sums, for resuming. */
  onCheckpoint?(step: number, optimizer: AdamW, state: LoopState): void | Promise<void>;
  /** Polled between steps: true stops the run cleanly after the current step. */
  shouldStop?(): boolean;
}

export interface TrainResult {
  globalStep: number;
  totalSteps: number;
  stopped: boolean;
  trainLoss: number;
  /** Per-step loss and gradient norm before clipping, when `recordSteps` is on. */
  stepLosses: number[];
  stepGradNorms: number[];
  paddingEfficiency: number;
  evalAccuracy: Record<string, number>;
}

/**
 * The loop's running sums at a step: with the step itself (which fixes the data order and the dropout seeds) and
 * the optimizer's state, all a resumed run needs to go on exactly as an uninterrupted one.
 */
export interface LoopState {
  /** Sum of the float32 losses since the last logged loss, and how many steps that is. */
  lossSinceLog: number;
  stepsSinceLog: number;
  /** Sum of every logged loss sum, for train_loss at the end. */
  totalLoss: number;
  realTokens: number;
  paddedTokens: number;
}

/** What `train` trains on and how. */
export interface TrainRequest {
  trainSet: LabelledPair[];
  /** Evaluation pairs by language, evaluated every `evalSteps` and at the end. */
  evalSets?: Record<string, LabelledPair[]>;
  options: TrainOptions;
  hooks?: TrainHooks;
  /** The tokenizer's padding id (default 0) and the longest sequence the model embeds (default 512). */
  padTokenId?: number;
  maxLength?: number;
  /** Where to start from: a checkpoint's step, optimizer and loop state; step 0 when absent. */
  resume?: ResumePoint;
}

/** Where `train` starts: step 0, or a checkpoint's step with its optimizer and loop state. */
export interface ResumePoint {
  globalStep: number;
  optimizer?: AdamW;
  state?: LoopState;
}

export class NonFiniteLossError extends Error {
  constructor(step: number, value: number) {
    super(`training stopped at step ${step}: the loss became ${value}. Lower the learning rate or check the data; everything logged and saved before this step is kept.`);
    this.name = 'NonFiniteLossError';
  }
}

export function stepsPerEpoch(examples: number, batchSize: number): number {
  return Math.ceil(examples / batchSize);
}

/** transformers: max_steps if set, else ceil(epochs × steps per epoch). */
export function totalTrainSteps(examples: number, options: Pick<TrainOptions, 'batchSize' | 'numTrainEpochs' | 'maxSteps'>): number {
  if (options.maxSteps > 0) return options.maxSteps;
  return Math.ceil(options.numTrainEpochs * stepsPerEpoch(examples, options.batchSize));
}

function makeBatch(examples: LabelledPair[], indices: number[], padTokenId: number, maxLength: number) {
  const pairs = indices.map((i) => examples[i].pair);
  const longest = Math.max(...pairs.map((p) => p.inputIds.length));
  const padded = padBatch(pairs, padTokenId, bucketedLength(longest, maxLength));
  const realTokens = pairs.reduce((sum, p) => sum + p.inputIds.length, 0);
  return { padded, labels: indices.map((i) => examples[i].label), realTokens };
}

/** Logits of a padded batch, [batchSize × labels] row-major, computed elsewhere than tfjs (the WebGPU engine). */
export type BatchLogits = (batch: PaddedBatch) => Promise<Float32Array>;

/** Loss and accuracy of the model on one language's pairs, in evaluation mode (no dropout). */
export async function evaluate(
  model: SequenceClassifier,
  examples: LabelledPair[],
  batchSize: number,
  padTokenId: number,
  maxLength: number,
  onBatch?: (done: number, total: number) => void,
  batchLogits?: BatchLogits,
): Promise<{ loss: number; accuracy: number; runtime: number; steps: number }> {
  const started = performance.now();
  // Sorted by length: the order does not change the mean, and batches of similar length waste little padding.
  const order = Array.from(examples.keys()).sort((a, b) => examples[a].pair.inputIds.length - examples[b].pair.inputIds.length);
  let lossSum = 0;
  let correct = 0;
  let steps = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const { padded, labels } = makeBatch(examples, indices, padTokenId, maxLength);
    const { loss, predictions } = batchLogits ? lossAndPredictions(await batchLogits(padded), labels, model.config.numLabels) : await tfjsLossAndPredictions(model, padded, labels);
    lossSum += loss;
    labels.forEach((label, i) => (correct += predictions[i] === label ? 1 : 0));
    steps += 1;
    onBatch?.(Math.min(start + batchSize, order.length), order.length);
  }
  return { loss: lossSum / Math.max(1, examples.length), accuracy: correct / Math.max(1, examples.length), runtime: (performance.now() - started) / 1000, steps };
}

/** The batch's summed cross-entropy and each row's argmax, from the tfjs forward pass. */
async function tfjsLossAndPredictions(model: SequenceClassifier, padded: PaddedBatch, labels: number[]): Promise<{ loss: number; predictions: ArrayLike<number> }> {
  const [loss, predicted] = tf.tidy(() => {
    const logits = model.forward(batchTensors(padded), { training: false });
    return [tf.mul(crossEntropy(logits, tf.tensor1d(labels, 'int32')), labels.length), tf.argMax(logits, 1)];
  });
  const [lossValue, predictions] = await Promise.all([loss.data(), predicted.data()]);
  tf.dispose([loss, predicted]);
  return { loss: lossValue[0]!, predictions };
}

/** Summed cross-entropy (float32, as the tfjs path computes it) and the argmax of each row of logits. */
function lossAndPredictions(logits: Float32Array, labels: number[], numLabels: number): { loss: number; predictions: number[] } {
  let loss = 0;
  const predictions = labels.map((label, row) => {
    const values = logits.subarray(row * numLabels, (row + 1) * numLabels);
    const largest = Math.max(...values);
    const logSum = Math.fround(Math.log(values.reduce((sum, v) => sum + Math.exp(v - largest), 0)) + largest);
    loss += Math.fround(logSum - values[label]!);
    return values.indexOf(largest);
  });
  return { loss, predictions };
}

/**
 * The reference trainer's loop: AdamW, linear decay without warm-up, clipping at a global norm, dropout on,
 * the mean loss logged every `loggingSteps`, evaluation on every language every `evalSteps`, checkpoints every
 * `saveSteps`. Metric names are those of transformers' MLflow callback.
 */
export async function train(model: SequenceClassifier, request: TrainRequest): Promise<TrainResult> {
  const { trainSet, evalSets = {}, options, hooks = {}, padTokenId = 0, maxLength = 512, resume } = request;
  const perEpoch = stepsPerEpoch(trainSet.length, options.batchSize);
  const totalSteps = totalTrainSteps(trainSet.length, options);
  if (options.featureCache && options.technique !== 'feature-extraction') {
    throw new Error('the feature-extraction cache needs technique feature-extraction: fine-tuning changes the features every step');
  }
  const cache = options.featureCache ? new FeatureCache(model) : null;
  model.setTrainable(options.technique);
  const variables = model.parameters.filter((p) => p.trainable).map((p) => p.variable);
  const optimizer = resume?.optimizer ?? new AdamW(options.adam);
  const lengths = trainSet.map((e) => e.pair.inputIds.length);
  const engine = options.webgpuEngine !== false && !cache && engineUnsupported(model) === null
    ? await EngineTraining.create(model, optimizer, { technique: options.technique, maxGradNorm: options.maxGradNorm })
    : null;
  engine?.resetLossSum(resume?.state?.lossSinceLog ?? 0);

  let globalStep = resume?.globalStep ?? 0;
  let lossSinceLog = tf.scalar(resume?.state?.lossSinceLog ?? 0);
  let stepsSinceLog = resume?.state?.stepsSinceLog ?? 0;
  let totalLoss = resume?.state?.totalLoss ?? 0;
  let lastGradNorm: tf.Scalar | undefined;
  const stepLosses: number[] = [];
  const stepGradNorms: number[] = [];
  let realTokens = resume?.state?.realTokens ?? 0;
  let paddedTokens = resume?.state?.paddedTokens ?? 0;
  let tokensSinceRate = 0;
  let rateStarted = performance.now();
  const started = performance.now();
  const evalAccuracy: Record<string, number> = {};
  let stopped = false;

  const emit = async (values: Record<string, number>, step: number) => {
    const timestamp = Date.now();
    await hooks.onMetrics?.(Object.entries(values).map(([key, value]) => ({ key, value, step, timestamp })));
  };

  /** The sum of the losses since the last log and the last step's gradient norm, from wherever the steps ran. */
  const readSums = async (): Promise<{ lossSum: number; gradNorm: number }> => {
    const { lossSum, gradNorm } = engine
      ? await engine.stats()
      : { lossSum: (await lossSinceLog.data())[0], gradNorm: lastGradNorm ? (await lastGradNorm.data())[0] : NaN };
    if (!Number.isFinite(lossSum)) throw new NonFiniteLossError(globalStep, lossSum);
    return { lossSum, gradNorm };
  };

  const runEvaluation = async () => {
    for (const [language, examples] of Object.entries(evalSets)) {
      const result = await evaluate(model, examples, options.evalBatchSize, padTokenId, maxLength, (done, total) =>
        hooks.onProgress?.({ phase: 'eval', step: globalStep, totalSteps, epoch: globalStep / perEpoch, language, done, total }),
      engine ? (batch) => engine.logits(batch) : undefined);
      evalAccuracy[language] = result.accuracy;
      await emit(
        {
          [`eval_${language}_loss`]: result.loss,
          [`eval_${language}_accuracy`]: result.accuracy,
          [`eval_${language}_runtime`]: result.runtime,
          [`eval_${language}_samples_per_second`]: examples.length / result.runtime,
          [`eval_${language}_steps_per_second`]: result.steps / result.runtime,
          epoch: globalStep / perEpoch,
        },
        globalStep,
      );
    }
  };

  // Replays the data order of the epochs already done, so a resumed run sees what an uninterrupted one would.
  const startEpoch = Math.floor(globalStep / perEpoch);
  const epochPlans = (epoch: number) => epochBatches(lengths, options, epoch);

  try {
    for (let epoch = startEpoch; globalStep < totalSteps && !stopped; epoch++) {
      const batches = epochPlans(epoch);
      for (let b = globalStep - epoch * perEpoch; b < batches.length && globalStep < totalSteps; b++) {
        const { padded, labels, realTokens: real } = makeBatch(trainSet, batches[b], padTokenId, maxLength);
        realTokens += real;
        paddedTokens += padded.batchSize * padded.seqLen;
        tokensSinceRate += padded.batchSize * padded.seqLen;
        const lr = linearScheduleRate(options.learningRate, globalStep, totalSteps, options.warmupSteps);
        const dropoutSeed = (options.seed * 1_000_003 + globalStep) >>> 0;
        let stepLoss: tf.Scalar | null = null;
        if (engine) {
          engine.step(padded, labels, lr, dropoutSeed);
        } else {
          const features = cache ? await cache.batch(batches[b]!, () => batchTensors(padded)) : null;
          const { loss, norm } = tf.tidy(() => {
            const labelTensor = tf.tensor1d(labels, 'int32');
            const logits = features
              ? () => model.forwardFromFeatures(features, { training: true, seed: dropoutSeed })
              : () => model.forward(batchTensors(padded), { training: true, seed: dropoutSeed });
            const { value, grads } = tf.variableGrads(() => crossEntropy(logits(), labelTensor), variables);
            const ordered = variables.map((v) => grads[v.name]);
            const { scale, norm } = globalNormScale(ordered, options.maxGradNorm);
            optimizer.apply(variables.map((variable, i) => ({ variable, grad: ordered[i]! })), lr, scale);
            return { loss: value as tf.Scalar, norm };
          });
          features?.dispose();
          const nextLossSum = tf.add(lossSinceLog, loss);
          lossSinceLog.dispose();
          lossSinceLog = nextLossSum as tf.Scalar;
          lastGradNorm?.dispose();
          lastGradNorm = norm;
          stepLoss = loss;
        }
        globalStep += 1;
        stepsSinceLog += 1;
        if (options.recordSteps) {
          const { loss, gradNorm } = engine ? await engine.stats() : { loss: (await stepLoss!.data())[0], gradNorm: (await lastGradNorm!.data())[0] };
          if (!Number.isFinite(loss)) throw new NonFiniteLossError(globalStep, loss);
          stepLosses.push(loss);
          stepGradNorms.push(gradNorm);
        }
        stepLoss?.dispose();

        const isLast = globalStep === totalSteps;
        const stopRequested = hooks.shouldStop?.() ?? false;
        // Logged on the grid only, as the reference's Trainer does: a last point off the grid would average the
        // few steps after the previous one (2 of them at the demo's step 752) and read as a jump. Those steps count
        // in train_loss. A stop logs nothing either: the partial sums go into the checkpoint, so a resumed run logs
        // the same points as an uninterrupted one.
        if (globalStep % options.loggingSteps === 0) {
          const { lossSum: sum, gradNorm } = await readSums();
          totalLoss += sum;
          const elapsed = (performance.now() - rateStarted) / 1000;
          const tokensPerSecond = tokensSinceRate / Math.max(elapsed, 1e-9);
          const stepsPerSecond = stepsSinceLog / Math.max(elapsed, 1e-9);
          const logged: Record<string, number> = {
            loss: Math.round((sum / stepsSinceLog) * 1e4) / 1e4,
            grad_norm: gradNorm,
            learning_rate: linearScheduleRate(options.learningRate, globalStep, totalSteps, options.warmupSteps),
            epoch: globalStep / perEpoch,
            padding_efficiency: paddingEfficiency(realTokens, paddedTokens),
          };
          await emit(logged, globalStep);
          hooks.onProgress?.({
            phase: 'train', step: globalStep, totalSteps, epoch: globalStep / perEpoch, loss: logged.loss, lr: logged.learning_rate,
            tokensPerSecond, etaSeconds: (totalSteps - globalStep) / Math.max(stepsPerSecond, 1e-9),
          });
          lossSinceLog.dispose();
          lossSinceLog = tf.scalar(0);
          engine?.resetLossSum(0);
          stepsSinceLog = 0;
          tokensSinceRate = 0;
          rateStarted = performance.now();
        } else if (globalStep % 10 === 0 || isLast) {
          hooks.onProgress?.({ phase: 'train', step: globalStep, totalSteps, epoch: globalStep / perEpoch });
        }
        // Also at the end, so every run finishes with a result per language (the reference evaluates only on multiples).
        if ((options.evalSteps > 0 && globalStep % options.evalSteps === 0) || isLast) await runEvaluation();
        if ((options.saveSteps > 0 && globalStep % options.saveSteps === 0) || isLast || stopRequested) {
          if (hooks.onCheckpoint) {
            const lossSum = stepsSinceLog > 0 ? (await readSums()).lossSum : 0;
            await engine?.syncToModel();
            await hooks.onCheckpoint(globalStep, optimizer, { lossSinceLog: lossSum, stepsSinceLog, totalLoss, realTokens, paddedTokens });
            // The engine holds the moments; the copies made for the checkpoint would only double them on the GPU.
            if (engine) optimizer.releaseMoments();
          }
        }
        if (stopRequested) {
          stopped = true;
          break;
        }
      }
    }
    await engine?.syncToModel();
    const runtime = (performance.now() - started) / 1000;
    const stepsRun = globalStep - (resume?.globalStep ?? 0);
    // The mean over every step since step 0, as the reference's train_loss (a resumed run restores the sum of the
    // earlier ones); a stopped run's unlogged tail is left out, as it was never finished.
    const tailSum = !stopped && stepsSinceLog > 0 ? (await readSums()).lossSum : 0;
    const trainLoss = (totalLoss + tailSum) / Math.max(1, globalStep - (stopped ? stepsSinceLog : 0));
    await emit(
      {
        train_runtime: runtime,
        train_samples_per_second: (trainSet.length * (totalSteps / perEpoch)) / runtime,
        train_steps_per_second: stepsRun / runtime,
        train_loss: trainLoss,
        total_flos: totalFlos(model, paddedTokens),
      },
      globalStep,
    );
    return { globalStep, totalSteps, stopped, trainLoss, stepLosses, stepGradNorms, paddingEfficiency: paddingEfficiency(realTokens, paddedTokens), evalAccuracy };
  } finally {
    engine?.dispose();
    lossSinceLog.dispose();
    lastGradNorm?.dispose();
    if (!resume?.optimizer) optimizer.dispose();
  }
}

/**
 * The batches (example indices) of one epoch, as the trainer runs them. Each epoch's order comes from its own
 * generator, so any epoch's plan can be rebuilt when a run resumes.
 */
export function epochBatches(lengths: ArrayLike<number>, options: Pick<TrainOptions, 'batchSize' | 'shuffle' | 'seed'>, epoch: number): number[][] {
  const rng = new SeededRandom((Math.imul(options.seed >>> 0, 0x9e3779b1) ^ (epoch + 1)) >>> 0);
  return planEpoch(lengths, options.batchSize, { shuffle: options.shuffle, rng });
}

/** transformers' estimate: 6 × (non-embedding parameters) × tokens processed. */
export function totalFlos(model: SequenceClassifier, tokens: number): number {
  const nonEmbedding = model.parameters
    .filter((p) => !p.hfName.includes('embeddings'))
    .reduce((sum, p) => sum + p.variable.size, 0);
  return 6 * nonEmbedding * tokens;
}
