/**
 * Matrix products for the WebGPU engine, one kernel for every layout training needs:
 *   C = alpha · op(A) · op(B) (+ bias) (+ beta · C)
 * 'NN' (A [M,K], B [K,N]: an input's gradient, dX = dY · W), 'NT' (B [N,K]: a Linear layer, X · Wᵀ, and
 * attention's Q · Kᵀ), 'TN' (A [K,M]: a weight's gradient, dW = dYᵀ · X). Each workgroup computes a 64×64 tile
 * of C with 256 threads, 4×4 outputs each, over K in steps of 16 staged in workgroup memory; loads are
 * coalesced along whichever axis the layout keeps contiguous. Leading dimensions and a two-level batch
 * (outer × inner, e.g. sequence × head) let attention read heads in place from [tokens, hidden] matrices.
 */
import { GpuContext, bindings, words, type Dispatch } from './context.ts';

export type GemmLayout = 'NN' | 'NT' | 'TN';

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** Leading dimensions (row strides, in elements); default: packed. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Batches: outer × inner products, each operand offset by outer·stride.outer + inner·stride.inner. */
  outer?: number;
  inner?: number;
  strideA?: { outer: number; inner: number };
  strideB?: { outer: number; inner: number };
  strideC?: { outer: number; inner: number };
  /** Where each operand starts in its buffer, in elements (binding offsets must be 256-byte aligned; these need not). */
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  /** Where the bias starts in its buffer, in elements. */
  offsetBias?: number;
}

export interface GemmOperands {
  a: GPUBufferBinding;
  b: GPUBufferBinding;
  c: GPUBufferBinding;
  /** [N], added to every row of C. */
  bias?: GPUBufferBinding;
}

export interface GemmOptions {
  layout: GemmLayout;
  alpha?: number;
  /** 1 adds the product to what C holds (gradient accumulation); 0 (default) overwrites C. */
  beta?: number;
}

const TILE = 64;
const TILE_K = 16;

export function gemmShader(layout: GemmLayout, bias: boolean, accumulate: boolean): string {
  const aTransposed = layout === 'TN';
  const bTransposed = layout === 'NT';
  // Which (row or col, kk) each of a thread's 4 loads fetches, for element e of the 1024 in a 64×16 tile.
  const loadA = aTransposed
    ? 'let kk = e / 64u; let r = e % 64u; let inside = row0 + r < p.m && k0 + kk < p.k; var v = 0.0; if (inside) { v = A[aBase + (k0 + kk) * p.lda + row0 + r]; } As[kk * 64u + r] = v;'
    : 'let r = e / 16u; let kk = e % 16u; let inside = row0 + r < p.m && k0 + kk < p.k; var v = 0.0; if (inside) { v = A[aBase + (row0 + r) * p.lda + k0 + kk]; } As[kk * 64u + r] = v;';
  const loadB = bTransposed
    ? 'let c = e / 16u; let kk = e % 16u; let inside = col0 + c < p.n && k0 + kk < p.k; var v = 0.0; if (inside) { v = B[bBase + (col0 + c) * p.ldb + k0 + kk]; } Bs[kk * 64u + c] = v;'
    : 'let kk = e / 64u; let c = e % 64u; let inside = col0 + c < p.n && k0 + kk < p.k; var v = 0.0; if (inside) { v = B[bBase + (k0 + kk) * p.ldb + col0 + c]; } Bs[kk * 64u + c] = v;';
  return /* wgsl */ `
struct Params { m: u32, n: u32, k: u32, lda: u32, ldb: u32, ldc: u32, inner: u32, sAo: u32, sAi: u32, sBo: u32, sBi: u32, sCo: u32, sCi: u32, alpha: f32, beta: f32, offA: u32, offB: u32, offC: u32, offBias: u32, pad: u32 }
${bindings('A: read', 'B: read', 'C: read_write', 'p: uniform Params', bias && 'bias: read')}
var<workgroup> As: array<f32, ${TILE * TILE_K}>;
var<workgroup> Bs: array<f32, ${TILE * TILE_K}>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let outer = wg.z / p.inner;
  let inner = wg.z % p.inner;
  let aBase = p.offA + outer * p.sAo + inner * p.sAi;
  let bBase = p.offB + outer * p.sBo + inner * p.sBi;
  let cBase = p.offC + outer * p.sCo + inner * p.sCi;
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.k; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = li + i * 256u;
      { ${loadA} }
      { ${loadB} }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * 64u + lid.y + 16u * i]; b[i] = Bs[kk * 64u + lid.x + 16u * i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 16u * j;
      if (c >= p.n) { continue; }
      let at = cBase + r * p.ldc + c;
      var v = p.alpha * acc[i * 4u + j];
      ${bias ? 'v += bias[p.offBias + c];' : ''}
      ${accumulate ? 'v += p.beta * C[at];' : ''}
      C[at] = v;
    }
  }
}`;
}

/** Records one product (all its batches in one dispatch); its uniforms are written now, once. */
export function recordGemm(gpu: GpuContext, label: string, operands: GemmOperands, shape: GemmShape, options: GemmOptions): Dispatch {
  const { m, n, k } = shape;
  const { layout } = options;
  const lda = shape.lda ?? (layout === 'TN' ? m : k);
  const ldb = shape.ldb ?? (layout === 'NT' ? k : n);
  const ldc = shape.ldc ?? n;
  const outer = shape.outer ?? 1;
  const inner = shape.inner ?? 1;
  const zero = { outer: 0, inner: 0 };
  const [sA, sB, sC] = [shape.strideA ?? zero, shape.strideB ?? zero, shape.strideC ?? zero];
  const beta = options.beta ?? 0;
  const params = gpu.uniform(words([
    [m, 'u32'], [n, 'u32'], [k, 'u32'], [lda, 'u32'], [ldb, 'u32'], [ldc, 'u32'], [inner, 'u32'],
    [sA.outer, 'u32'], [sA.inner, 'u32'], [sB.outer, 'u32'], [sB.inner, 'u32'], [sC.outer, 'u32'], [sC.inner, 'u32'],
    [options.alpha ?? 1, 'f32'], [beta, 'f32'], [shape.offsetA ?? 0, 'u32'], [shape.offsetB ?? 0, 'u32'], [shape.offsetC ?? 0, 'u32'], [shape.offsetBias ?? 0, 'u32'], [0, 'u32'],
  ]), `${label} params`);
  const resources: GPUBindingResource[] = [operands.a, operands.b, operands.c, { buffer: params }];
  if (operands.bias) resources.push(operands.bias);
  const code = gemmShader(layout, !!operands.bias, beta !== 0);
  return gpu.dispatch(label, code, resources, [Math.ceil(n / TILE), Math.ceil(m / TILE), outer * inner]);
}

/** Multiply-adds of a product, counted as 2 FLOPs each. */
export function gemmFlops(shape: Pick<GemmShape, 'm' | 'n' | 'k' | 'outer' | 'inner'>): number {
  return 2 * shape.m * shape.n * shape.k * (shape.outer ?? 1) * (shape.inner ?? 1);
}
