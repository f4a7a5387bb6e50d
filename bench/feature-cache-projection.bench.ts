// `npm run bench -- --feature-cache-mbert`: how long the reference run (bench/reference-run.ts: 15,000 pairs,
// 3 epochs of batch 8, six languages of 2,490 pairs evaluated every 500 steps and at the end) takes as mBERT
// feature-extraction with the feature cache, through the CLI on WASM on this machine, projected from measured
// parts: a short run of the real shape (generated checkpoint, XNLI-like lengths) times the first epoch's steps
// (the frozen encoder runs once per pair and its output is kept), the later epochs' steps (the head alone) and
// the evaluation's pairs per second; the projection multiplies each by the reference run's counts.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReferenceShapedModel } from '../tests/support/reference-shape.ts';
import { jsonlPairsOfLengths, runCli } from './cli-run.ts';
import { xnliLikeLengths } from './data.bench.ts';
import { REFERENCE_EVAL_PAIRS, REFERENCE_EXAMPLES, REFERENCE_LANGUAGES, referenceEvaluations } from './reference-run.ts';
import { TRAIN_DEFAULTS, totalTrainSteps } from '../src/train/trainer.ts';

const BATCH = 8;
/** Steps per epoch of the measured run: the first is warm-up, the other three are timed. */
const STEPS_PER_EPOCH = 4;
const EVAL_PAIRS = 48;

export interface FeatureCacheProjection {
  firstEpochSecondsPerStep: number;
  laterEpochSecondsPerStep: number;
  evalPairsPerSecond: number;
  projected: { firstEpochSeconds: number; laterEpochsSeconds: number; evalSeconds: number; totalSeconds: number };
}

export async function featureCacheProjection(log: (line: string) => void): Promise<FeatureCacheProjection> {
  const work = await mkdtemp(join(tmpdir(), 'xnli-feature-cache-bench-'));
  try {
    log('  generating an mBERT-shaped checkpoint (711 MB) and a short XNLI-like sample');
    await writeReferenceShapedModel(join(work, 'model'), 'bert-base-multilingual-cased');
    await writeFile(join(work, 'train.jsonl'), jsonlPairsOfLengths(xnliLikeLengths(BATCH * STEPS_PER_EPOCH, 7), 'cache-train'));
    await writeFile(join(work, 'en.jsonl'), jsonlPairsOfLengths(xnliLikeLengths(EVAL_PAIRS, 8), 'cache-eval'));
    const result = await runCli([
      'feature-extraction', '--feature-extraction-cache', '--model-names', join(work, 'model'), '--train-file', join(work, 'train.jsonl'),
      '--eval-file', `en=${join(work, 'en.jsonl')}`, '--num-train-epochs', '2', '--no-shuffle', '--logging-steps', '1', '--save-steps', '100000',
      '--eval-steps', '100000', '--backend', 'wasm', '--output-dir', join(work, 'out'),
    ], { XNLI_TRAIN_CACHE: join(work, 'cache') });
    const at = (step: number) => result.stepTimes.get(step);
    const times = [1, STEPS_PER_EPOCH, 2 * STEPS_PER_EPOCH].map(at);
    if (result.code !== 0 || times.some((t) => t === undefined)) throw new Error(`the CLI run failed (exit ${result.code}): ${result.stderr.trim().split('\n').at(-1)}`);
    const [first, endOfFirstEpoch, end] = times as number[];
    const firstEpochSecondsPerStep = (endOfFirstEpoch - first) / 1000 / (STEPS_PER_EPOCH - 1);
    const laterEpochSecondsPerStep = (end - endOfFirstEpoch) / 1000 / STEPS_PER_EPOCH;
    const evalPairsPerSecond = await loggedMetric(join(work, 'out', 'runs'), 'eval_en_samples_per_second');

    const stepsPerEpoch = Math.ceil(REFERENCE_EXAMPLES / BATCH);
    const steps = totalTrainSteps(REFERENCE_EXAMPLES, { ...TRAIN_DEFAULTS, batchSize: BATCH });
    const evaluations = referenceEvaluations(steps);
    const projected = {
      firstEpochSeconds: stepsPerEpoch * firstEpochSecondsPerStep,
      laterEpochsSeconds: (steps - stepsPerEpoch) * laterEpochSecondsPerStep,
      evalSeconds: (evaluations * REFERENCE_LANGUAGES.length * REFERENCE_EVAL_PAIRS) / evalPairsPerSecond,
      totalSeconds: 0,
    };
    projected.totalSeconds = projected.firstEpochSeconds + projected.laterEpochsSeconds + projected.evalSeconds;
    const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;
    log(`  measured: first epoch ${firstEpochSecondsPerStep.toFixed(2)} s/step (encoder once per pair), later epochs ${laterEpochSecondsPerStep.toFixed(3)} s/step (head only), evaluation ${evalPairsPerSecond.toFixed(2)} pairs/s`);
    log(`  projected reference run (${steps} steps, ${evaluations} evaluations of ${REFERENCE_LANGUAGES.length} x ${REFERENCE_EVAL_PAIRS} pairs): ${hours(projected.totalSeconds)} = first epoch ${hours(projected.firstEpochSeconds)} + later epochs ${hours(projected.laterEpochsSeconds)} + evaluation ${hours(projected.evalSeconds)}`);
    return { firstEpochSecondsPerStep, laterEpochSecondsPerStep, evalPairsPerSecond, projected };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The last value of `key` in the one run JSON the CLI wrote under `dir`. */
async function loggedMetric(dir: string, key: string): Promise<number> {
  const [file] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  if (!file) throw new Error(`no run JSON in ${dir}`);
  const json = JSON.parse(await readFile(join(dir, file), 'utf8')) as { run: { data: { metrics: Array<{ key: string; value: number }> } } };
  const found = json.run.data.metrics.filter((m) => m.key === key).at(-1);
  if (!found) throw new Error(`the run logged no ${key}`);
  return found.value;
}
