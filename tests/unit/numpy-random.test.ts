import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SeedSequence, intToUint32Words } from '../../src/data/seed-sequence.ts';
import { Pcg64 } from '../../src/data/pcg64.ts';
import { indicesHash, permutation, randomInterval, sampleIndices } from '../../src/data/numpy-random.ts';

interface Goldens {
  numpyVersion: string;
  seedSequences: { seed: string; pool: number[]; state32: number[]; state64: string[] }[];
  pcg64: { seed: string; state: string; inc: string; raw: string[] }[];
  permutations: {
    seed: string; n: number; sha256: string;
    full?: number[]; head?: number[]; tail?: number[]; first15000Sha256?: string;
  }[];
}

const goldens = JSON.parse(
  readFileSync(new URL('../reference/goldens/numpy-permutation.json', import.meta.url), 'utf8'),
) as Goldens;

test('REFERENCE.md: seed 73, 392,702 rows, first 15,000 kept', async (t) => {
  const started = performance.now();
  const sample = sampleIndices(73, 392702, 15000);
  t.diagnostic(`sampleIndices(73, 392702, 15000) took ${(performance.now() - started).toFixed(1)} ms`);
  assert.equal(sample.length, 15000);
  assert.deepEqual(Array.from(sample.subarray(0, 8)), [94221, 282566, 348364, 66497, 230996, 43336, 269325, 157652]);
  assert.deepEqual(
    Array.from(sample.subarray(14992, 15000)),
    [225055, 134169, 141951, 99344, 153603, 241809, 326740, 120298],
  );
  assert.equal(await indicesHash(sample), '3405059801bda07c7121f80e2c0f88efbe946192f3855fa30ef9858e151dd9c7');
});

test(`SeedSequence matches numpy ${goldens.numpyVersion}`, () => {
  for (const golden of goldens.seedSequences) {
    const sequence = new SeedSequence(BigInt(golden.seed));
    assert.deepEqual(Array.from(sequence.pool), golden.pool, `pool for seed ${golden.seed}`);
    assert.deepEqual(Array.from(sequence.generateState32(8)), golden.state32, `uint32 state for seed ${golden.seed}`);
    assert.deepEqual(sequence.generateState64(4), golden.state64.map(BigInt), `uint64 state for seed ${golden.seed}`);
  }
});

test(`PCG64 seeding and raw 64-bit outputs match numpy ${goldens.numpyVersion}`, () => {
  for (const golden of goldens.pcg64) {
    const rng = Pcg64.fromSeed(BigInt(golden.seed));
    assert.deepEqual(rng.stateAndInc, { state: BigInt(golden.state), inc: BigInt(golden.inc) }, `seed ${golden.seed}`);
    const raw = golden.raw.map(() => rng.next64());
    assert.deepEqual(raw, golden.raw.map(BigInt), `raw outputs for seed ${golden.seed}`);
  }
});

test('next32 hands out the low half of a 64-bit output, then the kept high half', () => {
  const [first, second] = [Pcg64.fromSeed(42), Pcg64.fromSeed(42)];
  const wide = first.next64();
  assert.equal(second.next32(), Number(wide & 0xffffffffn));
  assert.equal(second.next32(), Number(wide >> 32n));
  assert.equal(second.next64(), first.next64(), 'after both halves, the next draw is a fresh 64-bit output');
});

test(`permutation(seed, n) matches numpy ${goldens.numpyVersion} for every golden seed and length`, async () => {
  assert.ok(goldens.permutations.some((g) => g.n >= 392702), 'goldens include the full XNLI length');
  for (const golden of goldens.permutations) {
    const label = `seed ${golden.seed}, n ${golden.n}`;
    const perm = permutation(BigInt(golden.seed), golden.n);
    assert.equal(perm.length, golden.n, label);
    if (golden.full) assert.deepEqual(Array.from(perm), golden.full, label);
    if (golden.head) assert.deepEqual(Array.from(perm.subarray(0, golden.head.length)), golden.head, label);
    if (golden.tail) assert.deepEqual(Array.from(perm.subarray(perm.length - golden.tail.length)), golden.tail, label);
    if (golden.first15000Sha256) assert.equal(await indicesHash(perm.subarray(0, 15000)), golden.first15000Sha256, label);
    assert.equal(await indicesHash(perm), golden.sha256, label);
  }
});

test('a permutation holds every index exactly once', () => {
  const perm = permutation(7, 100000);
  const seen = new Uint8Array(perm.length);
  for (const index of perm) seen[index]! += 1;
  assert.ok(seen.every((count) => count === 1));
});

test('randomInterval stays within [0, max] and never draws for max 0', () => {
  const rng = Pcg64.fromSeed(1);
  const untouched = Pcg64.fromSeed(1);
  assert.equal(randomInterval(rng, 0), 0);
  assert.equal(rng.next64(), untouched.next64(), 'max 0 consumed no random bits');
  for (const max of [1, 2, 3, 5, 1000, 0x7fffffff, 0x80000000, 0xfffffffe]) {
    for (let k = 0; k < 200; k++) {
      const value = randomInterval(rng, max);
      assert.ok(Number.isInteger(value) && value >= 0 && value <= max, `${value} outside [0, ${max}]`);
    }
  }
});

test('numpy seed words: 32-bit words, least significant first', () => {
  assert.deepEqual(Array.from(intToUint32Words(0n)), [0]);
  assert.deepEqual(Array.from(intToUint32Words(2n ** 32n + 5n)), [5, 1]);
});

test('seeds and sizes numpy would refuse are refused with a clear message', () => {
  assert.throws(() => permutation(-1, 10), /negative/);
  assert.throws(() => permutation(1.5, 10), /whole number/);
  assert.throws(() => permutation(1, -3), /permutation length/);
  assert.throws(() => sampleIndices(1, 10, 11), /at most 10/);
});

test('indicesHash writes indices as little-endian int64', async () => {
  // sha256 of the 16 bytes 01 00 .. 00 | ff ff ff ff 00 00 00 00, as numpy's int64 tobytes() gives for [1, 2**32-1].
  const expected = await crypto.subtle.digest('SHA-256', Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0));
  const hex = Array.from(new Uint8Array(expected), (b) => b.toString(16).padStart(2, '0')).join('');
  assert.equal(await indicesHash(Uint32Array.of(1, 0xffffffff)), hex);
});
