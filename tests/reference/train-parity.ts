/**
 * The optimizer-parity case shared by the Node and browser tests and by train_reference.py: a tiny
 * checkpoint with dropout set to 0, a fixed list of labelled examples trained in file order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '../../src/random.ts';
import type { Technique, TrainOptions } from '../../src/train/trainer.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const TRAIN_GOLDENS_PATH = join(here, 'goldens', 'training.json');
export const GENERATED_TRAIN_DIR = join(here, '..', 'fixtures', 'generated', 'train');
export const TRAIN_REGENERATE_COMMAND = 'node --import tsx tests/reference/write-train-fixtures.ts && /usr/bin/python3 tests/reference/train_reference.py';

export const TRAIN_PARITY_FIXTURES = ['fixtures/tiny-bert', 'fixtures/tiny-distilbert', 'fixtures/tiny-xlm-roberta', 'fixtures/tiny-bert-pretraining'];
export const TRAIN_PARITY_TECHNIQUES: Technique[] = ['fine-tune', 'feature-extraction'];
export const TRAIN_PARITY = { examples: 12, batchSize: 4, steps: 6, learningRate: 1e-4, maxGradNorm: 1, initSeed: 42 } as const;

export interface TrainExample {
  inputIds: number[];
  tokenTypeIds: number[];
  label: number;
}

/** The train options of a parity case, as train_reference.py runs it: file order, nothing logged, evaluated or saved on the way. */
export function parityTrainOptions(technique: Technique): Pick<TrainOptions, 'technique' | 'batchSize' | 'maxSteps' | 'learningRate' | 'maxGradNorm' | 'shuffle' | 'loggingSteps' | 'evalSteps' | 'saveSteps'> {
  return {
    technique, batchSize: TRAIN_PARITY.batchSize, maxSteps: TRAIN_PARITY.steps, learningRate: TRAIN_PARITY.learningRate,
    maxGradNorm: TRAIN_PARITY.maxGradNorm, shuffle: false, loggingSteps: 1000, evalSteps: 1000, saveSteps: 1000,
  };
}

/** Config with every dropout set to 0, so the reference and we compute the same function. */
export function withoutDropout(config: Record<string, unknown>): Record<string, unknown> {
  const zeroed = { ...config };
  for (const key of ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout', 'dropout', 'attention_dropout', 'seq_classif_dropout', 'qa_dropout']) {
    if (key in zeroed || key === 'classifier_dropout') zeroed[key] = 0;
  }
  return zeroed;
}

/** Pairs of varied lengths: [CLS]-like first id, random ids after, token type 1 for the second half (BERT). */
export function trainExamples(modelType: string, vocabSize: number, count: number = TRAIN_PARITY.examples): TrainExample[] {
  const rng = new SeededRandom('train-parity-examples');
  const roberta = modelType === 'xlm-roberta' || modelType === 'roberta';
  const firstFree = roberta ? 4 : 5;
  return Array.from({ length: count }, (_, i) => {
    const length = 6 + (rng.nextUint32() % 20);
    const split = 2 + (rng.nextUint32() % (length - 3));
    const inputIds = Array.from({ length }, (_, t) => (t === 0 ? (roberta ? 0 : 2) : firstFree + (rng.nextUint32() % (vocabSize - firstFree))));
    const tokenTypeIds = Array.from({ length }, (_, t) => (modelType === 'bert' && t >= split ? 1 : 0));
    return { inputIds, tokenTypeIds, label: i % 3 };
  });
}

export interface TrainGoldenCase {
  fixture: string;
  technique: Technique;
  losses: number[];
  gradNorms: number[];
  learningRates: number[];
  /** The trained parameters after the last step: name → base64 of little-endian float32 values. */
  finalWeights: Record<string, string>;
}

export interface TrainGoldens {
  generator: string;
  settings: typeof TRAIN_PARITY;
  /** SHA-256 of each fixture's model.safetensors (as our loader wrote it, head included) the goldens came from. */
  sources: Record<string, string>;
  cases: TrainGoldenCase[];
}

export function loadTrainGoldens(): TrainGoldens {
  try {
    return JSON.parse(readFileSync(TRAIN_GOLDENS_PATH, 'utf8')) as TrainGoldens;
  } catch {
    throw new Error(`${TRAIN_GOLDENS_PATH} is missing or unreadable: run ${TRAIN_REGENERATE_COMMAND}`);
  }
}

export function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** ‖actual − expected‖ / ‖expected‖ over a whole tensor. */
export function relativeNormError(actual: ArrayLike<number>, expected: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
}

/**
 * Attention key biases: softmax ignores a constant added to every key's score, so their gradient is exactly 0 and
 * both implementations feed Adam only float rounding noise (|g| ≪ ε). Their steps are bounded, their sign is not.
 */
export const isKeyBias = (name: string) => /attention\.(self\.key|k_lin)\.bias$/.test(name);

/** What a trainer run of a parity case reports: every step's loss and gradient norm, the trained weights by name. */
export interface TrainCaseResult {
  losses: number[];
  gradNorms: number[];
  /** The trained parameters (and only those) by Hugging Face name. */
  weights: Record<string, ArrayLike<number>>;
}

/**
 * Asserts a run of `golden`'s case against PyTorch: losses and gradient norms step by step, the same parameters
 * trained, every trained weight (key biases aside) within 1e-4 relative. Returns the worst weight error.
 */
export function assertMatchesGolden(where: string, result: TrainCaseResult, golden: TrainGoldenCase): number {
  for (let k = 0; k < TRAIN_PARITY.steps; k++) {
    assert.ok(Math.abs(result.losses[k] - golden.losses[k]) / golden.losses[k] < 1e-4, `${where}: loss at step ${k + 1}: ${result.losses[k]} vs ${golden.losses[k]}`);
    assert.ok(Math.abs(result.gradNorms[k] - golden.gradNorms[k]) / golden.gradNorms[k] < 1e-4, `${where}: grad norm at step ${k + 1}: ${result.gradNorms[k]} vs ${golden.gradNorms[k]}`);
  }
  assert.deepEqual(Object.keys(result.weights).sort(), Object.keys(golden.finalWeights).sort(), `${where}: the same parameters train`);
  let worst = 0;
  for (const name of Object.keys(result.weights).filter((n) => !isKeyBias(n))) {
    const error = relativeNormError(result.weights[name], decodeFloat32(golden.finalWeights[name]));
    worst = Math.max(worst, error);
    assert.ok(error < 1e-4, `${where}: ${name} relative error ${error}`);
  }
  return worst;
}
