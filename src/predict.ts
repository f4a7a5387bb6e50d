import type { SequenceClassifier } from './model/classifier.ts';
import type { PairTokenizer, EncodedPair } from './tokenize/pair-tokenizer.ts';
import { padBatch } from './tokenize/batch.ts';
import { bucketedLength } from './data/batching.ts';
import { EnginePrediction, engineUnsupported } from './engine/webgpu/training.ts';

export interface SentencePair {
  premise: string;
  hypothesis: string;
}

export interface Prediction {
  /** One raw score per label, in label-id order. */
  logits: number[];
  /** softmax(logits): sums to 1. */
  probabilities: number[];
  /** Name of the most probable label, from the config's id2label. */
  label: string;
}

export const PREDICT_BATCH_SIZE = 8;
/** From this many pairs on, WebGPU predicts on the engine (its set-up copies the parameters once). */
export const ENGINE_PREDICT_MIN_PAIRS = 32;

/** Classifies sentence pairs with the same tokenisation and dynamic padding as training and evaluation. */
export async function predictPairs(
  classifier: SequenceClassifier,
  tokenizer: PairTokenizer,
  pairs: readonly SentencePair[],
  options: { batchSize?: number; onBatch?: (done: number, total: number) => void; webgpuEngine?: boolean } = {},
): Promise<Prediction[]> {
  const batchSize = options.batchSize ?? PREDICT_BATCH_SIZE;
  const encoded = pairs.map((pair, index) => {
    if (typeof pair?.premise !== 'string' || typeof pair?.hypothesis !== 'string') {
      throw new Error(`pair ${index + 1} needs string "premise" and "hypothesis" fields`);
    }
    return tokenizer.encodePair(pair.premise, pair.hypothesis);
  });
  const engine = options.webgpuEngine !== false && encoded.length >= ENGINE_PREDICT_MIN_PAIRS && engineUnsupported(classifier) === null
    ? await EnginePrediction.create(classifier)
    : null;
  try {
    const predictions: Prediction[] = [];
    for (let start = 0; start < encoded.length; start += batchSize) {
      const slice = encoded.slice(start, start + batchSize);
      const logits = engine ? await engineLogitsForPairs(engine, tokenizer, slice) : await logitsForPairs(classifier, tokenizer, slice);
      predictions.push(...logits.map((row) => toPrediction(row, classifier.config.id2label)));
      options.onBatch?.(predictions.length, pairs.length);
    }
    return predictions;
  } finally {
    engine?.dispose();
  }
}

/** The engine records a plan per shape: lengths are bucketed as in training, so a file of pairs needs few. */
async function engineLogitsForPairs(engine: EnginePrediction, tokenizer: PairTokenizer, encoded: EncodedPair[]): Promise<number[][]> {
  const longest = Math.max(...encoded.map((pair) => pair.inputIds.length));
  const batch = padBatch(encoded, tokenizer.padTokenId, bucketedLength(longest, tokenizer.maxLength));
  return rows(await engine.logits(batch), batch.batchSize);
}

/** Logits of one batch of encoded pairs, one row per pair. */
export async function logitsForPairs(classifier: SequenceClassifier, tokenizer: PairTokenizer, encoded: EncodedPair[]): Promise<number[][]> {
  const batch = padBatch(encoded, tokenizer.padTokenId);
  return rows(await classifier.predictLogits(batch), batch.batchSize);
}

function rows(flat: Float32Array, batchSize: number): number[][] {
  const numLabels = flat.length / batchSize;
  return Array.from({ length: batchSize }, (_, i) => Array.from(flat.subarray(i * numLabels, (i + 1) * numLabels)));
}

export function toPrediction(logits: number[], id2label: readonly string[]): Prediction {
  const probabilities = softmax(logits);
  const best = argmax(probabilities);
  return { logits, probabilities, label: id2label[best] ?? `LABEL_${best}` };
}

/** Numerically stable softmax in float64. */
export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
