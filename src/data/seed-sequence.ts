// numpy's SeedSequence (numpy/random/bit_generator.pyx, numpy 1.24), for an integer entropy without a spawn key:
// the integer is split into 32-bit words (lowest first), hashed into a 4-word pool, and the pool is
// stretched into as many state words as a bit generator asks for. All arithmetic is uint32 with wrap-around.

const POOL_SIZE = 4;
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;

/** A seed as numpy's `default_rng` takes it: a non-negative integer (a bigint for values past 2^53). */
export type Seed = number | bigint;

export function seedToBigInt(seed: Seed): bigint {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
    throw new RangeError(`seed ${seed} is not a whole number up to 2^53; pass a non-negative integer (a bigint for larger seeds)`);
  }
  const value = BigInt(seed);
  if (value < 0n) throw new RangeError(`seed ${seed} is negative; numpy only accepts non-negative seeds`);
  return value;
}

/** numpy's `_int_to_uint32_array`: 32-bit words, least significant first; 0 becomes one zero word. */
export function intToUint32Words(value: bigint): Uint32Array {
  const words: number[] = [];
  if (value === 0n) words.push(0);
  for (let rest = value; rest > 0n; rest >>= 32n) words.push(Number(rest & 0xffffffffn));
  return Uint32Array.from(words);
}

/** hashmix: `hashConst` is updated in place (index 0), as numpy threads it through every call. */
function hashmix(value: number, hashConst: Uint32Array): number {
  value = (value ^ hashConst[0]!) >>> 0;
  hashConst[0] = Math.imul(hashConst[0]!, MULT_A);
  value = Math.imul(value, hashConst[0]!) >>> 0;
  return (value ^ (value >>> XSHIFT)) >>> 0;
}

function mix(x: number, y: number): number {
  // The difference of two int32 products is an exact integer below 2^32 in magnitude, so >>> 0 wraps it correctly.
  const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
  return (result ^ (result >>> XSHIFT)) >>> 0;
}

export class SeedSequence {
  readonly pool = new Uint32Array(POOL_SIZE);

  constructor(entropy: Seed) {
    this.mixEntropy(intToUint32Words(seedToBigInt(entropy)));
  }

  private mixEntropy(entropy: Uint32Array): void {
    const pool = this.pool;
    const hashConst = Uint32Array.of(INIT_A);
    for (let i = 0; i < POOL_SIZE; i++) {
      pool[i] = hashmix(i < entropy.length ? entropy[i]! : 0, hashConst);
    }
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) {
        if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!, hashConst));
      }
    }
    for (let src = POOL_SIZE; src < entropy.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst]!, hashmix(entropy[src]!, hashConst));
    }
  }

  /** `generate_state(nWords, np.uint32)`. */
  generateState32(nWords: number): Uint32Array {
    const state = new Uint32Array(nWords);
    let hashConst = INIT_B;
    for (let i = 0; i < nWords; i++) {
      let value = (this.pool[i % POOL_SIZE]! ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      state[i] = (value ^ (value >>> XSHIFT)) >>> 0;
    }
    return state;
  }

  /** `generate_state(nWords, np.uint64)`: twice as many uint32 words, viewed little-endian as uint64. */
  generateState64(nWords: number): bigint[] {
    const words = this.generateState32(2 * nWords);
    const out: bigint[] = [];
    for (let i = 0; i < nWords; i++) out.push((BigInt(words[2 * i + 1]!) << 32n) | BigInt(words[2 * i]!));
    return out;
  }
}
