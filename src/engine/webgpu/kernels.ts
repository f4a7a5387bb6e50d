/**
 * The engine's element-wise and row-wise forward kernels (matrix products are in gemm.ts, gradients in
 * backward.ts): embeddings, LayerNorm (optionally of a residual sum, optionally keeping what its gradient needs),
 * the attention softmax with its key mask, activations and dropout. Parameters are read from the flat parameter
 * buffer at element offsets. Each function records one dispatch whose uniforms are written once.
 */
import { GpuContext, bindings, entry, words, type Dispatch } from './context.ts';

/** Rows beyond this go to the dispatch's second dimension (WebGPU allows 65,535 workgroups per dimension). */
const ROWS_PER_DIMENSION = 32768;
export const rowGrid = (rows: number): [number, number, number] => [Math.min(rows, ROWS_PER_DIMENSION), Math.ceil(rows / ROWS_PER_DIMENSION), 1];
export const ROW_INDEX = `let row = wg.x + wg.y * ${ROWS_PER_DIMENSION}u;`;
/** Workgroups of 256 threads for `count` elements, and the element index in the shader. */
export const flatGrid = (count: number): [number, number, number] => rowGrid(Math.ceil(count / 256));
export const FLAT_INDEX = `let i = (wg.x + wg.y * ${ROWS_PER_DIMENSION}u) * 256u + lid.x;`;

/**
 * Row kernels (LayerNorm and its gradient) give a row 64 threads, each holding up to 32 of its values in
 * registers: hidden sizes up to 2,048. 64 rather than 256 threads: fewer barriers per reduction, which a GPU
 * barely notices and a software adapter (SwiftShader) pays for per thread.
 */
export const ROW_THREADS = 64;
export const ROW_SLOTS = 32;
export const MAX_ROW_WIDTH = ROW_THREADS * ROW_SLOTS;

/** A 256-thread workgroup sum (call from uniform control flow). */
export const WORKGROUP_SUM = /* wgsl */ `
var<workgroup> partial: array<f32, 256>;
fn total(value: f32, lane: u32) -> f32 {
  workgroupBarrier();
  partial[lane] = value;
  workgroupBarrier();
  for (var step = 128u; step > 0u; step >>= 1u) {
    if (lane < step) { partial[lane] += partial[lane + step]; }
    workgroupBarrier();
  }
  return partial[0];
}`;

/** A ROW_THREADS (64) workgroup sum or maximum, for the row kernels. */
const ROW64_REDUCE = /* wgsl */ `
var<workgroup> partial: array<f32, 64>;
fn reduce(value: f32, lane: u32, isMax: bool) -> f32 {
  workgroupBarrier();
  partial[lane] = value;
  workgroupBarrier();
  for (var step = 32u; step > 0u; step >>= 1u) {
    if (lane < step) { partial[lane] = select(partial[lane] + partial[lane + step], max(partial[lane], partial[lane + step]), isMax); }
    workgroupBarrier();
  }
  return partial[0];
}`;

/**
 * The opening of a row kernel's main, for `p.rows` rows of `p.width` values with ROW_THREADS threads each: `row`,
 * `inside` (false in the grid's spare workgroups, which still take part in the reductions' barriers) and `base`,
 * the row's first element.
 */
export const ROW_KERNEL = /* wgsl */ `${ROW64_REDUCE}
${entry(ROW_THREADS)} {
  ${ROW_INDEX}
  let inside = row < p.rows;
  let base = row * p.width;`;

const EMBED = /* wgsl */ `
struct Params { tokens: u32, hidden: u32, withTypes: u32, word: u32, position: u32, tokenType: u32, pad0: u32, pad1: u32 }
${bindings('ids: read u32', 'positions: read u32', 'types: read u32', 'weights: read', 'out: read_write', 'p: uniform Params')}
${entry(256)} {
  ${ROW_INDEX}
  if (row >= p.tokens) { return; }
  let w = p.word + ids[row] * p.hidden;
  let q = p.position + positions[row] * p.hidden;
  let t = p.tokenType + types[row] * p.hidden;
  for (var c = lid.x; c < p.hidden; c += 256u) {
    var v = weights[w + c] + weights[q + c];
    if (p.withTypes != 0u) { v += weights[t + c]; }
    out[row * p.hidden + c] = v;
  }
}`;

export interface EmbedBindings {
  ids: GPUBufferBinding;
  positions: GPUBufferBinding;
  types: GPUBufferBinding;
  weights: GPUBufferBinding;
  out: GPUBufferBinding;
}

/** Offsets (elements) of the three tables in the weights; tokenType null for DistilBERT. */
export function recordEmbed(gpu: GpuContext, b: EmbedBindings, tables: { word: number; position: number; tokenType: number | null }, tokens: number, hidden: number): Dispatch {
  const params = gpu.uniform(words([[tokens, 'u32'], [hidden, 'u32'], [tables.tokenType === null ? 0 : 1, 'u32'], [tables.word, 'u32'], [tables.position, 'u32'], [tables.tokenType ?? 0, 'u32'], [0, 'u32'], [0, 'u32']]), 'embed params');
  return gpu.dispatch('embed', EMBED, [b.ids, b.positions, b.types, b.weights, b.out, { buffer: params }], rowGrid(tokens));
}

const layerNormShader = (residual: boolean, keep: boolean) => /* wgsl */ `
struct Params { rows: u32, width: u32, eps: f32, gamma: u32, beta: u32, pad0: u32, pad1: u32, pad2: u32 }
${bindings('x: read', 'weights: read', 'out: read_write', 'p: uniform Params', residual && 'r: read', keep && 'xhat: read_write', keep && 'rstd: read_write')}
${ROW_KERNEL}
  var v: array<f32, ${ROW_SLOTS}>;
  var sum = 0.0;
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * ${ROW_THREADS}u;
    if (inside && c < p.width) { v[s] = x[base + c]${residual ? ' + r[base + c]' : ''}; sum += v[s]; }
  }
  let mean = reduce(sum, lid.x, false) / f32(p.width);
  var squares = 0.0;
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * ${ROW_THREADS}u;
    if (inside && c < p.width) { let d = v[s] - mean; squares += d * d; }
  }
  let inverse = inverseSqrt(reduce(squares, lid.x, false) / f32(p.width) + p.eps);
  if (!inside) { return; }
  ${keep ? 'if (lid.x == 0u) { rstd[row] = inverse; }' : ''}
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * ${ROW_THREADS}u;
    if (c < p.width) {
      let normalised = (v[s] - mean) * inverse;
      ${keep ? 'xhat[base + c] = normalised;' : ''}
      out[base + c] = normalised * weights[p.gamma + c] + weights[p.beta + c];
    }
  }
}`;

export interface LayerNormBindings {
  x: GPUBufferBinding;
  /** Added to x before normalising (a residual connection). */
  r?: GPUBufferBinding;
  weights: GPUBufferBinding;
  out: GPUBufferBinding;
  /** For training: the normalised values [rows, width] and 1/σ per row, which the gradient needs. */
  keep?: { xhat: GPUBufferBinding; rstd: GPUBufferBinding };
}

/** out = LayerNorm(x (+ r)) · gamma + beta over rows of `width` (≤ 2,048); gamma, beta at offsets in the weights. */
export function recordLayerNorm(gpu: GpuContext, b: LayerNormBindings, offsets: { gamma: number; beta: number }, rows: number, width: number, eps: number): Dispatch {
  if (width > MAX_ROW_WIDTH) throw new Error(`the WebGPU engine's LayerNorm handles rows of up to ${MAX_ROW_WIDTH} values, not ${width}`);
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [eps, 'f32'], [offsets.gamma, 'u32'], [offsets.beta, 'u32'], [0, 'u32'], [0, 'u32'], [0, 'u32']]), 'layer norm params');
  const resources: GPUBindingResource[] = [b.x, b.weights, b.out, { buffer: params }];
  if (b.r) resources.push(b.r);
  if (b.keep) resources.push(b.keep.xhat, b.keep.rstd);
  return gpu.dispatch('layer norm', layerNormShader(!!b.r, !!b.keep), resources, rowGrid(rows));
}

const SOFTMAX = /* wgsl */ `
struct Params { rows: u32, width: u32, rowsPerSequence: u32, pad: u32 }
${bindings('scores: read_write', 'keyMask: read', 'p: uniform Params')}
${ROW_KERNEL}
  let maskBase = (row / p.rowsPerSequence) * p.width;
  var largest = -3.0e38;
  for (var c = lid.x; inside && c < p.width; c += 64u) { largest = max(largest, scores[base + c] + keyMask[maskBase + c]); }
  largest = reduce(largest, lid.x, true);
  var sum = 0.0;
  for (var c = lid.x; inside && c < p.width; c += 64u) { sum += exp(scores[base + c] + keyMask[maskBase + c] - largest); }
  sum = reduce(sum, lid.x, false);
  for (var c = lid.x; inside && c < p.width; c += 64u) { scores[base + c] = exp(scores[base + c] + keyMask[maskBase + c] - largest) / sum; }
}`;

/**
 * Softmax in place over rows of attention scores [sequences, heads, seq, seq], after adding the key mask of
 * each row's sequence ([sequences, seq]: 0 for real tokens, -1e9 for padding, as the tfjs pass adds).
 */
export function recordSoftmax(gpu: GpuContext, b: { scores: GPUBufferBinding; keyMask: GPUBufferBinding }, sequences: number, heads: number, seq: number): Dispatch {
  const rows = sequences * heads * seq;
  const params = gpu.uniform(words([[rows, 'u32'], [seq, 'u32'], [heads * seq, 'u32'], [0, 'u32']]), 'softmax params');
  return gpu.dispatch('softmax', SOFTMAX, [b.scores, b.keyMask, { buffer: params }], rowGrid(rows));
}

export type ActivationName = 'gelu' | 'gelu_tanh' | 'relu' | 'tanh';

/** Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7), as tfjs's Erf kernels use. */
export const ERF = /* wgsl */ `
fn erf(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return sign(x) * y;
}`;

const ACTIVATIONS: Record<ActivationName, string> = {
  gelu: 'x * 0.5 * (1.0 + erf(x * 0.7071067811865476))',
  gelu_tanh: 'x * 0.5 * (1.0 + tanh(clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0)))',
  relu: 'max(x, 0.0)',
  tanh: 'tanh(clamp(x, -15.0, 15.0))',
};

/**
 * An element-wise kernel over `count` values: `pre` read, `out` written (or updated in place), `body` the
 * WGSL statement computing out[i] from x = pre[i]. Activations and their gradients are both this shape.
 */
export function elementwiseShader(name: ActivationName, body: string): string {
  return /* wgsl */ `
struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }
${bindings('pre: read', 'out: read_write', 'p: uniform Params')}
${name === 'gelu' ? ERF : ''}
${entry(256)} {
  ${FLAT_INDEX}
  if (i >= p.count) { return; }
  let x = pre[i];
  ${body}
}`;
}

/** Records an element-wise kernel over `count` values of `pre` into `out`. */
export function recordElementwise(gpu: GpuContext, label: string, code: string, b: { pre: GPUBufferBinding; out: GPUBufferBinding }, count: number): Dispatch {
  const params = gpu.uniform(words([[count, 'u32'], [0, 'u32'], [0, 'u32'], [0, 'u32']]), `${label} params`);
  return gpu.dispatch(label, code, [b.pre, b.out, { buffer: params }], flatGrid(count));
}

/** post = activation(pre) over `count` values (pre is kept: the gradient needs it). */
export function recordActivation(gpu: GpuContext, b: { pre: GPUBufferBinding; post: GPUBufferBinding }, count: number, name: ActivationName): Dispatch {
  return recordElementwise(gpu, name, elementwiseShader(name, `out[i] = ${ACTIVATIONS[name]};`), { pre: b.pre, out: b.post }, count);
}

/**
 * Dropout masks hashed from (step seed, site, index) with PCG (O'Neill's RXS-M-XS output): the same mask for the
 * same step on any device, recomputed by the gradient instead of stored.
 */
export const DROPOUT_MASK = /* wgsl */ `
fn pcgHash(value: u32) -> u32 {
  let state = value * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn keepScale(seed: u32, site: u32, index: u32, keep: f32) -> f32 {
  let bits = pcgHash(pcgHash(index) ^ pcgHash(seed ^ (site * 2654435761u)));
  let uniform01 = f32(bits >> 8u) * (1.0 / 16777216.0);
  return floor(uniform01 + keep) / keep;
}`;

const DROPOUT = /* wgsl */ `
struct Params { count: u32, site: u32, keep: f32, pad: u32 }
struct Step { seed: u32, pad0: u32, pad1: u32, pad2: u32 }
${bindings('x: read', 'y: read_write', 'p: uniform Params', 'step: uniform Step')}
${DROPOUT_MASK}
${entry(256)} {
  ${FLAT_INDEX}
  if (i >= p.count) { return; }
  y[i] = x[i] * keepScale(step.seed, p.site, i, p.keep);
}`;

/**
 * y = x · mask / keep for dropout site `site` at this step's seed (the step uniform's first word). The gradient
 * of dropout is the same operation on the gradient, so backward records this too. x and y may not be one buffer.
 */
export function recordDropout(gpu: GpuContext, b: { x: GPUBufferBinding; y: GPUBufferBinding; step: GPUBufferBinding }, count: number, rate: number, site: number): Dispatch {
  const params = gpu.uniform(words([[count, 'u32'], [site, 'u32'], [Math.fround(1 - rate), 'f32'], [0, 'u32']]), 'dropout params');
  return gpu.dispatch('dropout', DROPOUT, [b.x, b.y, { buffer: params }, b.step], flatGrid(count));
}
