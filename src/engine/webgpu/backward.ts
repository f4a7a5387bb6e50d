/**
 * Gradient kernels of the engine's training step: the loss with its gradient, bias and LayerNorm parameter
 * gradients (sums over rows), LayerNorm's input gradient, activation and softmax gradients, and the embedding
 * tables' gradients (rows scattered without atomics: the host sorts each batch's ids, one workgroup sums each
 * id's rows). Parameter gradients are written into the flat gradient buffer at the parameters' offsets.
 */
import { GpuContext, bindings, entry, words, type Dispatch } from './context.ts';
import { ROW_KERNEL, ROW_INDEX, ROW_SLOTS, ROW_THREADS, WORKGROUP_SUM, elementwiseShader, recordElementwise, rowGrid, type ActivationName } from './kernels.ts';

/** The step's statistics, read back only when the trainer logs: [last loss, sum of losses since reset, last grad norm]. */
export const STATS = { loss: 0, lossSum: 1, gradNorm: 2, words: 4 } as const;

const CROSS_ENTROPY = /* wgsl */ `
struct Params { rows: u32, labels: u32, pad0: u32, pad1: u32 }
${bindings('logits: read', 'targets: read u32', 'dLogits: read_write', 'stats: read_write', 'p: uniform Params')}
${WORKGROUP_SUM}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var loss = 0.0;
  for (var r = lid.x; r < p.rows; r += 256u) {
    let base = r * p.labels;
    var largest = -3.0e38;
    for (var c = 0u; c < p.labels; c++) { largest = max(largest, logits[base + c]); }
    var sum = 0.0;
    for (var c = 0u; c < p.labels; c++) { sum += exp(logits[base + c] - largest); }
    let logSum = log(sum) + largest;
    loss += logSum - logits[base + targets[r]];
    for (var c = 0u; c < p.labels; c++) {
      let probability = exp(logits[base + c] - logSum);
      dLogits[base + c] = (probability - select(0.0, 1.0, c == targets[r])) / f32(p.rows);
    }
  }
  let mean = total(loss, lid.x) / f32(p.rows);
  if (lid.x == 0u) {
    stats[${STATS.loss}] = mean;
    stats[${STATS.lossSum}] += mean;
  }
}`;

/** torch's CrossEntropyLoss (mean) and its gradient; the loss goes into the stats buffer. */
export function recordCrossEntropy(gpu: GpuContext, b: { logits: GPUBufferBinding; labels: GPUBufferBinding; dLogits: GPUBufferBinding; stats: GPUBufferBinding }, rows: number, labels: number): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [labels, 'u32'], [0, 'u32'], [0, 'u32']]), 'cross-entropy params');
  return gpu.dispatch('cross-entropy', CROSS_ENTROPY, [b.logits, b.labels, b.dLogits, b.stats, { buffer: params }], [1, 1, 1]);
}

const columnSumsShader = (withProduct: boolean) => /* wgsl */ `
struct Params { rows: u32, width: u32, sumAt: u32, productAt: u32 }
${bindings('dy: read', 'grads: read_write', 'p: uniform Params', withProduct && 'xhat: read')}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let c = id.x;
  if (c >= p.width) { return; }
  var sum = 0.0;
  ${withProduct ? 'var product = 0.0;' : ''}
  for (var r = 0u; r < p.rows; r++) {
    let g = dy[r * p.width + c];
    sum += g;
    ${withProduct ? 'product += g * xhat[r * p.width + c];' : ''}
  }
  grads[p.sumAt + c] = sum;
  ${withProduct ? 'grads[p.productAt + c] = product;' : ''}
}`;

/** A bias's gradient: the sum of dy over rows, into grads at `biasAt`. */
export function recordBiasGrad(gpu: GpuContext, b: { dy: GPUBufferBinding; grads: GPUBufferBinding }, rows: number, width: number, biasAt: number): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [biasAt, 'u32'], [0, 'u32']]), 'bias grad params');
  return gpu.dispatch('bias grad', columnSumsShader(false), [b.dy, b.grads, { buffer: params }], [Math.ceil(width / 256), 1, 1]);
}

/** LayerNorm's parameter gradients: beta's is Σ dy, gamma's Σ dy · x̂, over rows. */
export function recordLayerNormParamGrads(gpu: GpuContext, b: { dy: GPUBufferBinding; xhat: GPUBufferBinding; grads: GPUBufferBinding }, rows: number, width: number, at: { gamma: number; beta: number }): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [at.beta, 'u32'], [at.gamma, 'u32']]), 'layer norm grad params');
  return gpu.dispatch('layer norm param grads', columnSumsShader(true), [b.dy, b.grads, { buffer: params }, b.xhat], [Math.ceil(width / 256), 1, 1]);
}

const LAYER_NORM_BACKWARD = /* wgsl */ `
struct Params { rows: u32, width: u32, gamma: u32, pad: u32 }
${bindings('dy: read', 'xhat: read', 'rstd: read', 'weights: read', 'dx: read_write', 'p: uniform Params')}
${ROW_KERNEL}
  var g: array<f32, ${ROW_SLOTS}>;
  var n: array<f32, ${ROW_SLOTS}>;
  var sumG = 0.0;
  var sumGN = 0.0;
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * ${ROW_THREADS}u;
    if (inside && c < p.width) {
      g[s] = dy[base + c] * weights[p.gamma + c];
      n[s] = xhat[base + c];
      sumG += g[s];
      sumGN += g[s] * n[s];
    }
  }
  let meanG = reduce(sumG, lid.x, false) / f32(p.width);
  let meanGN = reduce(sumGN, lid.x, false) / f32(p.width);
  if (!inside) { return; }
  let inverse = rstd[row];
  for (var s = 0u; s < ${ROW_SLOTS}u; s++) {
    let c = lid.x + s * ${ROW_THREADS}u;
    if (c < p.width) { dx[base + c] = inverse * (g[s] - meanG - n[s] * meanGN); }
  }
}`;

/** The gradient of LayerNorm's input (of x + r, for a residual sum: both get it) from dy and what the forward kept. */
export function recordLayerNormBackward(gpu: GpuContext, b: { dy: GPUBufferBinding; xhat: GPUBufferBinding; rstd: GPUBufferBinding; weights: GPUBufferBinding; dx: GPUBufferBinding }, rows: number, width: number, gammaAt: number): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [gammaAt, 'u32'], [0, 'u32']]), 'layer norm backward params');
  return gpu.dispatch('layer norm backward', LAYER_NORM_BACKWARD, [b.dy, b.xhat, b.rstd, b.weights, b.dx, { buffer: params }], rowGrid(rows));
}

const DERIVATIVES: Record<ActivationName, string> = {
  gelu: '0.5 * (1.0 + erf(x * 0.7071067811865476)) + x * exp(-0.5 * x * x) * 0.3989422804014327',
  gelu_tanh: '0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x)',
  relu: 'select(0.0, 1.0, x > 0.0)',
  tanh: '1.0 - t * t',
};

/** grad ← grad · activation′(pre), in place. */
export function recordActivationBackward(gpu: GpuContext, b: { pre: GPUBufferBinding; grad: GPUBufferBinding }, count: number, name: ActivationName): Dispatch {
  const t = name === 'gelu_tanh' ? 'let t = tanh(clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0));' : name === 'tanh' ? 'let t = tanh(clamp(x, -15.0, 15.0));' : '';
  return recordElementwise(gpu, `${name} backward`, elementwiseShader(name, `${t}\n  out[i] = out[i] * (${DERIVATIVES[name]});`), { pre: b.pre, out: b.grad }, count);
}

const SOFTMAX_BACKWARD = /* wgsl */ `
struct Params { rows: u32, width: u32, pad0: u32, pad1: u32 }
${bindings('probabilities: read', 'grad: read_write', 'p: uniform Params')}
${ROW_KERNEL}
  var dot = 0.0;
  for (var c = lid.x; inside && c < p.width; c += 64u) { dot += grad[base + c] * probabilities[base + c]; }
  dot = reduce(dot, lid.x, false);
  for (var c = lid.x; inside && c < p.width; c += 64u) { grad[base + c] = probabilities[base + c] * (grad[base + c] - dot); }
}`;

/** The scores' gradient from the probabilities' gradient, in place: P ⊙ (dP − Σ dP ⊙ P) per row. */
export function recordSoftmaxBackward(gpu: GpuContext, b: { probabilities: GPUBufferBinding; grad: GPUBufferBinding }, rows: number, width: number): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [0, 'u32'], [0, 'u32']]), 'softmax backward params');
  return gpu.dispatch('softmax backward', SOFTMAX_BACKWARD, [b.probabilities, b.grad, { buffer: params }], rowGrid(rows));
}

const EMBEDDING_BACKWARD = /* wgsl */ `
struct Params { tokens: u32, hidden: u32, table: u32, pad: u32 }
${bindings('dy: read', 'lists: read u32', 'grads: read_write', 'p: uniform Params')}
${entry(256)} {
  ${ROW_INDEX}
  // lists: [unique count, ids (tokens), starts (tokens + 1), token order (tokens)]
  if (row >= lists[0]) { return; }
  let id = lists[1u + row];
  let first = lists[1u + p.tokens + row];
  let last = lists[1u + p.tokens + row + 1u];
  let order = 2u + 2u * p.tokens;
  for (var c = lid.x; c < p.hidden; c += 256u) {
    var sum = 0.0;
    for (var k = first; k < last; k++) { sum += dy[lists[order + k] * p.hidden + c]; }
    grads[p.table + id * p.hidden + c] = sum;
  }
}`;

/** Words (u32) of one table's scatter lists for `tokens` ids. */
export const embeddingListWords = (tokens: number) => 2 + 3 * tokens;

/**
 * The host's half of an embedding gradient: the batch's ids sorted, as [unique count, unique ids, segment starts,
 * token order], so each id's rows are summed by one workgroup in token order (deterministic, no atomics).
 */
export function embeddingLists(ids: ArrayLike<number>, out: Uint32Array): Uint32Array {
  const tokens = ids.length;
  const order = Array.from({ length: tokens }, (_, t) => t).sort((a, b) => ids[a]! - ids[b]! || a - b);
  let unique = 0;
  for (let k = 0; k < tokens; k++) {
    if (k === 0 || ids[order[k]!] !== ids[order[k - 1]!]) {
      out[1 + unique] = ids[order[k]!]!;
      out[1 + tokens + unique] = k;
      unique++;
    }
    out[2 + 2 * tokens + k] = order[k]!;
  }
  out[1 + tokens + unique] = tokens;
  out[0] = unique;
  return out;
}

/** A table's gradient rows (only rows the batch used; the buffer is cleared each step) from dy [tokens, hidden]. */
export function recordEmbeddingBackward(gpu: GpuContext, b: { dy: GPUBufferBinding; lists: GPUBufferBinding; grads: GPUBufferBinding }, tokens: number, hidden: number, tableAt: number): Dispatch {
  const params = gpu.uniform(words([[tokens, 'u32'], [hidden, 'u32'], [tableAt, 'u32'], [0, 'u32']]), 'embedding backward params');
  return gpu.dispatch('embedding backward', EMBEDDING_BACKWARD, [b.dy, b.lists, b.grads, { buffer: params }], rowGrid(tokens));
}
