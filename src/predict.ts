import type { SequenceClassifier } from './model/classifier.ts';
import type { PairTokenizer, EncodedPair } from './tokenize/pair-tokenizer.ts';
import { padBatch } from './tokenize/batch.ts';

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

/** Classifies sentence pairs with the same tokenisation and dynamic padding as training and evaluation. */
export async function predictPairs(
  classifier: SequenceClassifier,
  tokenizer: PairTokenizer,
  pairs: readonly SentencePair[],
  options: { batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
): Promise<Prediction[]> {
  const batchSize = options.batchSize ?? PREDICT_BATCH_SIZE;
  const encoded = pairs.map((pair, index) => {
    if (typeof pair?.premise !== 'string' || typeof pair?.hypothesis !== 'string') {
      throw new Error(`pair ${index + 1} needs string "premise" and "hypothesis" fields`);
    }
    return tokenizer.encodePair(pair.premise, pair.hypothesis);
  });
  const predictions: Prediction[] = [];
  for (let start = 0; start < encoded.length; start += batchSize) {
    const logits = await logitsForPairs(classifier, tokenizer, encoded.slice(start, start + batchSize));
    predictions.push(...logits.map((row) => toPrediction(row, classifier.config.id2label)));
    options.onBatch?.(predictions.length, pairs.length);
  }
  return predictions;
}

/** Logits of one batch of encoded pairs, one row per pair. */
export async function logitsForPairs(classifier: SequenceClassifier, tokenizer: PairTokenizer, encoded: EncodedPair[]): Promise<number[][]> {
  const batch = padBatch(encoded, tokenizer.padTokenId);
  const flat = await classifier.predictLogits(batch);
  const numLabels = flat.length / batch.batchSize;
  return Array.from({ length: batch.batchSize }, (_, i) => Array.from(flat.subarray(i * numLabels, (i + 1) * numLabels)));
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
