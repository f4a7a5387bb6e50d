// The training sample of the Python reference: the `datasets` library shuffles with
// `numpy.random.default_rng(seed).permutation(n)` and keeps the first N rows. This reproduces numpy 1.24's
// Generator.permutation(int) bit for bit: `shuffle(arange(n))`, whose 1-d path (`_shuffle_raw` in
// numpy/random/_generator.pyx) is a Fisher–Yates from the end with j = `random_interval(bitgen, i)`:
// masked rejection sampling on PCG64's 32-bit draws (numpy/random/src/distributions/distributions.c).
// Not Lemire's method: numpy's `_shuffle_int` with `random_bounded_uint64` serves other callers.

import { Pcg64 } from './pcg64.ts';
import type { Seed } from './seed-sequence.ts';

/** Uint32Array holds indices up to 2^32 - 1, and every bound i <= n - 1 stays on the 32-bit branch. */
const MAX_LENGTH = 0xffffffff;

/**
 * numpy's `random_interval(bitgen, max)` for max < 2^32: draw 32 bits, keep those under the smallest
 * all-ones mask covering `max`, and redraw until the value is at most `max`.
 */
export function randomInterval(rng: Pcg64, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  let value: number;
  do value = (rng.next32() & mask) >>> 0;
  while (value > max);
  return value;
}

/** numpy's Generator.shuffle on a 1-d array: for i = n-1 down to 1, swap data[i] with data[j], j uniform in [0, i]. */
export function shuffleInPlace(rng: Pcg64, data: Uint32Array): void {
  for (let i = data.length - 1; i >= 1; i--) {
    const j = randomInterval(rng, i);
    const held = data[i]!;
    data[i] = data[j]!;
    data[j] = held;
  }
}

function checkLength(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_LENGTH) {
    throw new RangeError(`${name} must be a whole number from 0 to ${MAX_LENGTH}, got ${value}`);
  }
}

/** `numpy.random.default_rng(seed).permutation(n)`, as uint32 indices. */
export function permutation(seed: Seed, n: number): Uint32Array {
  checkLength('permutation length n', n);
  const rng = Pcg64.fromSeed(seed);
  const data = new Uint32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  shuffleInPlace(rng, data);
  return data;
}

/**
 * The row indices the reference trains on: the first `count` of `default_rng(seed).permutation(populationSize)`.
 * Fisher–Yates from the end settles the first positions last, so the whole permutation is drawn.
 */
export function sampleIndices(seed: Seed, populationSize: number, count: number): Uint32Array {
  checkLength('population size', populationSize);
  checkLength('sample count', count);
  if (count > populationSize) {
    throw new RangeError(`cannot sample ${count} rows from a population of ${populationSize}; ask for at most ${populationSize}`);
  }
  return permutation(seed, populationSize).slice(0, count);
}

/** SHA-256 (lowercase hex) of the indices written as little-endian int64, as `np.int64` arrays' `tobytes()` give. */
export async function indicesHash(indices: Uint32Array): Promise<string> {
  if (!globalThis.crypto?.subtle) {
    throw new Error('hashing the sample needs WebCrypto (crypto.subtle), which browsers offer only on https:// or localhost pages; open the app from one');
  }
  const bytes = new DataView(new ArrayBuffer(indices.length * 8));
  for (let i = 0; i < indices.length; i++) bytes.setUint32(8 * i, indices[i]!, true); // high word stays 0
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
