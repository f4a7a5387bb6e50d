/**
 * The reference run, whole: the reference's config (15,000 English pairs, 3 epochs of batch 8 = 5,625 steps,
 * evaluation on six languages of 2,490 pairs every 500 steps) at a model's real shape, through the app's own
 * trainer (`train`, length-grouped batches padded to the longest pair, the WebGPU engine where WebGPU trains),
 * and the wall time of the whole run projected from a measured part of it.
 *
 * What is measured: one megabatch of warm-up (50 steps: most shapes' plans and pipelines are made there), then
 * `windowSteps` steps timed between two logged steps (each reads the loss back, so the GPU has finished), then one
 * evaluation of every language. A megabatch is a random sample of the data sorted by length, so a window of
 * whole megabatches has the run's mix of lengths; the window's padded tokens per step are printed beside the
 * run's as the check. Projected: train = window time per step x 5,625; evaluation = 12 evaluations (every 500
 * steps, and the trainer's own at the end) x six languages x 2,490 pairs, at the warm languages' rate (the
 * first language also builds the evaluation plans). Checkpoints are left out (storage, not GPU:
 * bench/checkpoint-storage.bench.ts).
 *
 * The lengths are the bench's XNLI-like distribution (bench/data.bench.ts: an assumption, log-normal with median
 * 40 tokens and 95th percentile 90, capped at 512), the token ids random: the Hub's XNLI cannot be read here.
 */
import { bucketedLength } from '../src/data/batching.ts';
import { TRAIN_DEFAULTS, epochBatches, totalTrainSteps, train } from '../src/train/trainer.ts';
import type { MetricPoint } from '../src/train/run-record.ts';
import { pairsOfLengths, randomClassifier } from './browser/train-core.ts';
import { xnliLikeLengths } from './data.bench.ts';
import type { BenchModel } from './models.ts';

/** The seed's command: `--eval-datasets-names en de fr es ar zh`. */
export const REFERENCE_LANGUAGES = ['en', 'de', 'fr', 'es', 'ar', 'zh'];
export const REFERENCE_EXAMPLES = 15_000;
export const REFERENCE_EVAL_PAIRS = 2_490;
const MEGABATCH_STEPS = 50;

/** The reference run's evaluations over `steps`: every 500 steps, and the trainer's own at the end. */
export function referenceEvaluations(steps: number): number {
  return Math.floor(steps / TRAIN_DEFAULTS.evalSteps) + (steps % TRAIN_DEFAULTS.evalSteps === 0 ? 0 : 1);
}

export interface ReferenceRunOptions {
  /** Timed steps after the warm-up megabatch; rounded up to whole megabatches (50 steps). */
  windowSteps: number;
  /** Pairs per evaluation language actually run (the projection scales to 2,490). */
  evalPairs: number;
}

export interface ReferenceRunFigure {
  model: string;
  steps: number;
  timedSteps: number;
  trainSecondsPerStep: number;
  /** Padded tokens per step in the timed window, and over the whole run: the window is representative when close. */
  windowTokensPerStep: number;
  runTokensPerStep: number;
  evalSecondsPerLanguage: Record<string, number>;
  evaluations: number;
  projectedTrainSeconds: number;
  projectedEvalSeconds: number;
  projectedTotalSeconds: number;
}

export async function referenceRun(model: BenchModel, options: ReferenceRunOptions): Promise<ReferenceRunFigure> {
  const lengths = xnliLikeLengths(REFERENCE_EXAMPLES);
  const trainSet = pairsOfLengths(model.vocab, lengths);
  const evalSets = Object.fromEntries(REFERENCE_LANGUAGES.map((language, i) =>
    [language, pairsOfLengths(model.vocab, xnliLikeLengths(options.evalPairs, 1000 + i), `eval-${language}`)]));
  const config = { ...TRAIN_DEFAULTS, batchSize: model.batch };
  const steps = totalTrainSteps(REFERENCE_EXAMPLES, config);
  const window = Math.ceil(options.windowSteps / MEGABATCH_STEPS) * MEGABATCH_STEPS;
  const maxSteps = MEGABATCH_STEPS + window;

  const paddedTokens = (batches: number[][]) => batches.reduce((sum, batch) => sum + batch.length * bucketedLength(Math.max(...batch.map((i) => lengths[i]!)), 512), 0);
  const epochs = Array.from({ length: Math.ceil(steps / (REFERENCE_EXAMPLES / model.batch)) }, (_, epoch) => epochBatches(lengths, config, epoch));
  const runTokensPerStep = paddedTokens(epochs.flat().slice(0, steps)) / steps;
  const windowTokensPerStep = paddedTokens(epochs[0]!.slice(MEGABATCH_STEPS, maxSteps)) / window;

  const classifier = randomClassifier(model);
  try {
    let started = 0;
    let trainSeconds = 0;
    const evalSecondsPerLanguage: Record<string, number> = {};
    await train(classifier, { trainSet, evalSets, options: { ...config, maxSteps, loggingSteps: MEGABATCH_STEPS, evalSteps: 0, saveSteps: 0 }, hooks: {
      onProgress(progress) {
        if (progress.phase !== 'train' || progress.loss === undefined) return;
        if (progress.step === MEGABATCH_STEPS) started = performance.now();
        if (progress.step === maxSteps) trainSeconds = (performance.now() - started) / 1000;
      },
      onMetrics(points: MetricPoint[]) {
        for (const { key, value } of points) {
          const language = /^eval_(.+)_runtime$/.exec(key)?.[1];
          if (language) evalSecondsPerLanguage[language] = value * (REFERENCE_EVAL_PAIRS / options.evalPairs);
        }
      },
    }, padTokenId: 0, maxLength: 512 });
    const trainSecondsPerStep = trainSeconds / window;
    const warm = REFERENCE_LANGUAGES.slice(1).map((language) => evalSecondsPerLanguage[language]!);
    const evaluations = referenceEvaluations(steps);
    const projectedTrainSeconds = trainSecondsPerStep * steps;
    const projectedEvalSeconds = evaluations * REFERENCE_LANGUAGES.length * (warm.reduce((a, b) => a + b, 0) / warm.length);
    return {
      model: model.name, steps, timedSteps: window, trainSecondsPerStep, windowTokensPerStep, runTokensPerStep, evalSecondsPerLanguage,
      evaluations, projectedTrainSeconds, projectedEvalSeconds, projectedTotalSeconds: projectedTrainSeconds + projectedEvalSeconds,
    };
  } finally {
    classifier.dispose();
  }
}
