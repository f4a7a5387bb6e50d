import type { EncodedPair } from './pair-tokenizer.ts';

export type { EncodedPair };

/** Row-major [batchSize, seqLen] int32 tensors' data; structurally the model's EncodedBatch. */
export interface PaddedBatch { inputIds: Int32Array; attentionMask: Int32Array; tokenTypeIds: Int32Array; batchSize: number; seqLen: number }

/**
 * Pads every pair on the right to the longest pair of the batch (or to `padTo` when that is longer, for
 * length buckets): pad id, attention mask 0, token type 0.
 */
export function padBatch(pairs: EncodedPair[], padTokenId: number, padTo = 0): PaddedBatch {
  if (pairs.length === 0) throw new Error('padBatch needs at least one pair');
  const seqLen = pairs.reduce((longest, p) => Math.max(longest, p.inputIds.length), padTo);
  const batchSize = pairs.length;
  const inputIds = new Int32Array(batchSize * seqLen).fill(padTokenId);
  const attentionMask = new Int32Array(batchSize * seqLen);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  pairs.forEach((pair, row) => {
    if (pair.tokenTypeIds.length !== pair.inputIds.length) {
      throw new Error(`pair ${row} has ${pair.inputIds.length} input ids but ${pair.tokenTypeIds.length} token types`);
    }
    const offset = row * seqLen;
    inputIds.set(pair.inputIds, offset);
    tokenTypeIds.set(pair.tokenTypeIds, offset);
    attentionMask.fill(1, offset, offset + pair.inputIds.length);
  });
  return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
}
