/** Sequence lengths are rounded up to a multiple of this, so that only a bounded number of shapes reach the GPU. */
export const LENGTH_BUCKET = 16;

/** The padded length of a batch whose longest pair has `longest` tokens (never beyond the model's maximum). */
export function bucketedLength(longest: number, maxLength: number, bucket = LENGTH_BUCKET): number {
  return Math.min(maxLength, Math.ceil(longest / bucket) * bucket);
}

export interface EpochPlanOptions {
  /** false: file order, consecutive batches (for exact comparisons with a reference). */
  shuffle: boolean;
  /** The seeded generator that shuffles (the trainer's, whose state a checkpoint keeps). */
  rng: { shuffle<T>(items: T[]): T[] };
  /** Megabatches of this many batches are sorted by length, as transformers' LengthGroupedSampler does. */
  megabatchBatches?: number;
}

/**
 * The batches of one epoch, as lists of example indices. Shuffled, examples are grouped by length the way
 * transformers' `group_by_length` does: a random permutation cut into megabatches of 50 batches, each sorted
 * longest first, so a batch holds pairs of similar length and little padding.
 */
export function planEpoch(lengths: ArrayLike<number>, batchSize: number, options: EpochPlanOptions): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  if (options.shuffle) {
    options.rng.shuffle(order);
    const megabatch = batchSize * (options.megabatchBatches ?? 50);
    for (let start = 0; start < order.length; start += megabatch) {
      const sorted = order.slice(start, start + megabatch).sort((a, b) => lengths[b] - lengths[a]);
      order.splice(start, sorted.length, ...sorted);
    }
  }
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/** Real tokens divided by processed (padded) tokens. */
export function paddingEfficiency(realTokens: number, paddedTokens: number): number {
  return paddedTokens === 0 ? 1 : realTokens / paddedTokens;
}
