/**
 * The engine's element-wise and row-wise kernels (the matrix products are in gemm.ts): embeddings, LayerNorm
 * (optionally of a residual sum), the attention softmax with its key mask, and activations. Each records one
 * dispatch whose uniforms are written once.
 */
import { GpuContext, words, type Dispatch } from './context.ts';

/** Rows beyond this go to the dispatch's second dimension (WebGPU allows 65,535 workgroups per dimension). */
const ROWS_PER_DIMENSION = 32768;
const rowGrid = (rows: number): [number, number, number] => [Math.min(rows, ROWS_PER_DIMENSION), Math.ceil(rows / ROWS_PER_DIMENSION), 1];
const ROW_INDEX = `let row = wg.x + wg.y * ${ROWS_PER_DIMENSION}u;`;

/** Per-thread registers for one row of up to 8 × 256 values (hidden sizes up to 2,048). */
const ROW_SLOTS = 8;

const EMBED = /* wgsl */ `
struct Params { tokens: u32, hidden: u32, withTypes: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> ids: array<u32>;
@group(0) @binding(1) var<storage, read> positions: array<u32>;
@group(0) @binding(2) var<storage, read> types: array<u32>;
@group(0) @binding(3) var<storage, read> word: array<f32>;
@group(0) @binding(4) var<storage, read> position: array<f32>;
@group(0) @binding(5) var<storage, read> tokenType: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW_INDEX}
  if (row >= p.tokens) { return; }
  let w = ids[row] * p.hidden;
  let q = positions[row] * p.hidden;
  let t = types[row] * p.hidden;
  for (var c = lid.x; c < p.hidden; c += 256u) {
    var v = word[w + c] + position[q + c];
    if (p.withTypes != 0u) { v += tokenType[t + c]; }
    out[row * p.hidden + c] = v;
  }
}`;

export interface EmbedBindings {
  ids: GPUBufferBinding;
  positions: GPUBufferBinding;
  types: GPUBufferBinding;
  word: GPUBufferBinding;
  position: GPUBufferBinding;
  /** Absent for DistilBERT: the word table is bound in its place and not read. */
  tokenType?: GPUBufferBinding;
  out: GPUBufferBinding;
}

export function recordEmbed(gpu: GpuContext, b: EmbedBindings, tokens: number, hidden: number): Dispatch {
  const params = gpu.uniform(words([[tokens, 'u32'], [hidden, 'u32'], [b.tokenType ? 1 : 0, 'u32'], [0, 'u32']]), 'embed params');
  return gpu.dispatch('embed', EMBED, [b.ids, b.positions, b.types, b.word, b.position, b.tokenType ?? b.word, b.out, { buffer: params }], rowGrid(tokens));
}

const layerNormShader = (residual: boolean) => /* wgsl */ `
struct Params { rows: u32, width: u32, eps: f32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
${residual ? '@group(0) @binding(5) var<storage, read> r: array<f32>;' : ''}
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
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW_INDEX}
  let inside = row < p.rows;
  let base = row * p.width;
  var v: array<f32, ${ROW_SLOTS}>;
  var sum = 0.0;
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * 256u;
    if (inside && c < p.width) { v[s] = x[base + c]${residual ? ' + r[base + c]' : ''}; sum += v[s]; }
  }
  let mean = total(sum, lid.x) / f32(p.width);
  var squares = 0.0;
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * 256u;
    if (inside && c < p.width) { let d = v[s] - mean; squares += d * d; }
  }
  let inverse = inverseSqrt(total(squares, lid.x) / f32(p.width) + p.eps);
  if (!inside) { return; }
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * 256u;
    if (c < p.width) { out[base + c] = (v[s] - mean) * inverse * gamma[c] + beta[c]; }
  }
}`;

/** out = LayerNorm(x (+ r)) · gamma + beta, over rows of `width` (≤ 2,048). */
export function recordLayerNorm(gpu: GpuContext, b: { x: GPUBufferBinding; r?: GPUBufferBinding; gamma: GPUBufferBinding; beta: GPUBufferBinding; out: GPUBufferBinding }, rows: number, width: number, eps: number): Dispatch {
  if (width > ROW_SLOTS * 256) throw new Error(`the WebGPU engine's LayerNorm handles rows of up to ${ROW_SLOTS * 256} values, not ${width}`);
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [eps, 'f32'], [0, 'u32']]), 'layer norm params');
  const bindings: GPUBindingResource[] = [b.x, b.gamma, b.beta, b.out, { buffer: params }];
  if (b.r) bindings.push(b.r);
  return gpu.dispatch('layer norm', layerNormShader(!!b.r), bindings, rowGrid(rows));
}

const SOFTMAX = /* wgsl */ `
struct Params { rows: u32, width: u32, rowsPerSequence: u32, pad: u32 }
@group(0) @binding(0) var<storage, read_write> scores: array<f32>;
@group(0) @binding(1) var<storage, read> keyMask: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
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
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW_INDEX}
  let inside = row < p.rows;
  let base = row * p.width;
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
const ERF = /* wgsl */ `
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

const activationShader = (name: ActivationName) => /* wgsl */ `
struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> values: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;
${name === 'gelu' ? ERF : ''}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 256u;
  if (i >= p.count) { return; }
  let x = values[i];
  values[i] = ${ACTIVATIONS[name]};
}`;

/** An activation applied in place to `count` values. */
export function recordActivation(gpu: GpuContext, values: GPUBufferBinding, count: number, name: ActivationName): Dispatch {
  const params = gpu.uniform(words([[count, 'u32'], [0, 'u32'], [0, 'u32'], [0, 'u32']]), `${name} params`);
  const groups = Math.ceil(count / 256);
  return gpu.dispatch(name, activationShader(name), [values, { buffer: params }], [Math.min(groups, ROWS_PER_DIMENSION), Math.ceil(groups / ROWS_PER_DIMENSION), 1]);
}
