// numpy's PCG64 bit generator (numpy/random/src/pcg64/pcg64.{h,c}, numpy 1.24): a 128-bit LCG
// (state = state * MULTIPLIER + inc mod 2^128) with the XSL-RR output, and numpy's next32 that hands out the
// low half of a 64-bit output first and keeps the high half for the next call.
//
// The 128-bit state lives in eight 16-bit limbs (least significant first) so that every partial product
// (< 2^32) and every column sum (< 2^36) stays exact in a double: no BigInt in the hot path.

import { SeedSequence, type Seed } from './seed-sequence.ts';

const LIMBS = 8;
const MASK128 = (1n << 128n) - 1n;
/** PCG_DEFAULT_MULTIPLIER_128 */
export const PCG64_MULTIPLIER = 0x2360ed051fc65da44385df649fccf645n;

function toLimbs(value: bigint): Float64Array {
  const limbs = new Float64Array(LIMBS);
  for (let i = 0; i < LIMBS; i++) limbs[i] = Number((value >> BigInt(16 * i)) & 0xffffn);
  return limbs;
}

function fromLimbs(limbs: Float64Array): bigint {
  let value = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) value = (value << 16n) | BigInt(limbs[i]!);
  return value;
}

const [M0, M1, M2, M3, M4, M5, M6, M7] = Array.from(toLimbs(PCG64_MULTIPLIER));

export class Pcg64 {
  private readonly state = new Float64Array(LIMBS);
  private readonly inc = new Float64Array(LIMBS);
  private hasUint32 = false;
  private uinteger = 0;
  // The last output's two 32-bit halves, written by advance().
  private outLow = 0;
  private outHigh = 0;

  /** `np.random.default_rng(seed)`'s bit generator: PCG64 seeded from SeedSequence(seed).generate_state(4, uint64). */
  static fromSeed(seed: Seed): Pcg64 {
    const [s0, s1, i0, i1] = new SeedSequence(seed).generateState64(4) as [bigint, bigint, bigint, bigint];
    return Pcg64.fromInitState((s0 << 64n) | s1, (i0 << 64n) | i1);
  }

  /** `pcg_setseq_128_srandom_r(initstate, initseq)`: state 0, inc = initseq*2+1, step, add initstate, step. */
  static fromInitState(initState: bigint, initSeq: bigint): Pcg64 {
    const rng = new Pcg64();
    rng.inc.set(toLimbs(((initSeq << 1n) | 1n) & MASK128));
    rng.step();
    rng.state.set(toLimbs((fromLimbs(rng.state) + (initState & MASK128)) & MASK128));
    rng.step();
    return rng;
  }

  private constructor() {}

  /** The 128-bit state and increment, as numpy's `bit_generator.state['state']` reports them. */
  get stateAndInc(): { state: bigint; inc: bigint } {
    return { state: fromLimbs(this.state), inc: fromLimbs(this.inc) };
  }

  /**
   * One LCG step: state = state * MULTIPLIER + inc (mod 2^128), schoolbook on 16-bit limbs, unrolled because it
   * is the hot path (column k sums the products s_i * M_(k-i); terms past limb 7 vanish mod 2^128).
   */
  private step(): void {
    const s = this.state;
    const inc = this.inc;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!, s4 = s[4]!, s5 = s[5]!, s6 = s[6]!, s7 = s[7]!;
    let carry: number;
    let c = inc[0]! + s0 * M0;
    carry = Math.floor(c / 65536);
    s[0] = c - carry * 65536;
    c = carry + inc[1]! + s0 * M1 + s1 * M0;
    carry = Math.floor(c / 65536);
    s[1] = c - carry * 65536;
    c = carry + inc[2]! + s0 * M2 + s1 * M1 + s2 * M0;
    carry = Math.floor(c / 65536);
    s[2] = c - carry * 65536;
    c = carry + inc[3]! + s0 * M3 + s1 * M2 + s2 * M1 + s3 * M0;
    carry = Math.floor(c / 65536);
    s[3] = c - carry * 65536;
    c = carry + inc[4]! + s0 * M4 + s1 * M3 + s2 * M2 + s3 * M1 + s4 * M0;
    carry = Math.floor(c / 65536);
    s[4] = c - carry * 65536;
    c = carry + inc[5]! + s0 * M5 + s1 * M4 + s2 * M3 + s3 * M2 + s4 * M1 + s5 * M0;
    carry = Math.floor(c / 65536);
    s[5] = c - carry * 65536;
    c = carry + inc[6]! + s0 * M6 + s1 * M5 + s2 * M4 + s3 * M3 + s4 * M2 + s5 * M1 + s6 * M0;
    carry = Math.floor(c / 65536);
    s[6] = c - carry * 65536;
    c = carry + inc[7]! + s0 * M7 + s1 * M6 + s2 * M5 + s3 * M4 + s4 * M3 + s5 * M2 + s6 * M1 + s7 * M0;
    s[7] = c - Math.floor(c / 65536) * 65536;
  }

  /** `pcg64_random_r`: step, then XSL-RR of the new state (high 64 XOR low 64, rotated right by the top 6 bits). */
  private advance(): void {
    this.step();
    const s = this.state;
    let low = (((s[1]! ^ s[5]!) << 16) | (s[0]! ^ s[4]!)) >>> 0;
    let high = (((s[3]! ^ s[7]!) << 16) | (s[2]! ^ s[6]!)) >>> 0;
    let rot = s[7]! >>> 10;
    if (rot >= 32) {
      const swap = low;
      low = high;
      high = swap;
      rot -= 32;
    }
    if (rot !== 0) {
      const rotatedLow = ((low >>> rot) | (high << (32 - rot))) >>> 0;
      high = ((high >>> rot) | (low << (32 - rot))) >>> 0;
      low = rotatedLow;
    }
    this.outLow = low;
    this.outHigh = high;
  }

  /** `pcg64_next64`. It neither reads nor clears the buffered 32-bit half, exactly like numpy. */
  next64(): bigint {
    this.advance();
    return (BigInt(this.outHigh) << 32n) | BigInt(this.outLow);
  }

  /** `pcg64_next32`: the low half of a fresh 64-bit output, or the high half kept from the previous call. */
  next32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    this.advance();
    this.hasUint32 = true;
    this.uinteger = this.outHigh;
    return this.outLow;
  }
}
