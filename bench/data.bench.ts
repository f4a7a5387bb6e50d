/** The data pipeline's figures in Node, through the app's own code: tokenising pairs, and padding efficiency. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readNliParquet } from '../src/data/nli-files.ts';
import { planEpoch, bucketedLength, paddingEfficiency } from '../src/data/batching.ts';
import { PairTokenizer } from '../src/tokenize/pair-tokenizer.ts';
import { SeededRandom } from '../src/train/rng.ts';

const demo = (file: string) => fileURLToPath(new URL(`../public/demo/${file}`, import.meta.url));

/** Pairs per second through PairTokenizer (the demo model's WordPiece tokenizer) on the demo's English pairs. */
export async function tokenizeBench(): Promise<{ pairsPerSecond: number; pairs: number }> {
  const tokenizer = PairTokenizer.fromJson(JSON.parse(await readFile(demo('model/tokenizer.json'), 'utf8')), JSON.parse(await readFile(demo('model/tokenizer_config.json'), 'utf8')));
  const bytes = await readFile(demo('xnli/en/train.parquet'));
  const rows = await readNliParquet(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, 'train.parquet');
  for (const row of rows.slice(0, 100)) tokenizer.encodePair(row.premise, row.hypothesis);
  let pairs = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    for (const row of rows) tokenizer.encodePair(row.premise, row.hypothesis);
    pairs += rows.length;
  }
  return { pairsPerSecond: pairs / ((performance.now() - started) / 1000), pairs: rows.length };
}

/**
 * An XNLI-like distribution of pair lengths in tokens (an assumption, stated in the README: log-normal with
 * median 40 and 95th percentile about 90, capped at 512), 15,000 pairs as in the reference sample.
 */
export function xnliLikeLengths(count = 15_000, seed = 73): number[] {
  const random = new SeededRandom(seed);
  const sigma = Math.log(90 / 40) / 1.645;
  return Array.from({ length: count }, () => {
    const u1 = Math.max(random.next(), 1e-12);
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.next());
    return Math.min(512, Math.max(8, Math.round(40 * Math.exp(sigma * normal))));
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Real tokens over processed tokens, for the reference's padding to 512, padding per batch, and length grouping. */
export function paddingBench(lengths: number[], batchSize = 8): Record<string, number> {
  const efficiency = (batches: number[][], padTo?: number) => {
    let real = 0;
    let padded = 0;
    for (const batch of batches) {
      const longest = Math.max(...batch.map((i) => lengths[i]));
      real += batch.reduce((sum, i) => sum + lengths[i], 0);
      padded += batch.length * (padTo ?? bucketedLength(longest, 512));
    }
    return paddingEfficiency(real, padded);
  };
  const random = () => new SeededRandom(1);
  const shuffledOnly = planEpoch(lengths, batchSize, { shuffle: true, rng: random(), megabatchBatches: 1 });
  const grouped = planEpoch(lengths, batchSize, { shuffle: true, rng: random() });
  return { pad_to_512: efficiency(shuffledOnly, 512), pad_per_batch: efficiency(shuffledOnly), length_grouped: efficiency(grouped) };
}
