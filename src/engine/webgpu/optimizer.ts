/**
 * Gradient clipping and AdamW over the flat buffers, as torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW
 * compute them (src/train/adamw.ts and clip.ts say the same in tfjs): the global norm in two fixed-order
 * reductions (so it is the same every run), then one kernel updates every trainable parameter with the clipping
 * factor folded in. The per-step values (learning-rate terms, dropout seed) come from the step uniform.
 */
import { GpuContext, bindings, entry, words, type Dispatch } from './context.ts';
import { WORKGROUP_SUM } from './kernels.ts';
import { STATS } from './backward.ts';
import type { AdamWConfig } from '../../train/adamw.ts';

/** The step uniform: [dropout seed (u32), decay, stepSize, bias2Sqrt] (f32). */
export const STEP_UNIFORM_WORDS = 4;

export function stepUniform(seed: number, lr: number, step: number, config: AdamWConfig): Uint32Array {
  return words([
    [seed, 'u32'],
    [1 - lr * config.weightDecay, 'f32'],
    [lr / (1 - config.beta1 ** step), 'f32'],
    [Math.sqrt(1 - config.beta2 ** step), 'f32'],
  ]);
}

const PARTIAL_GROUPS = 256;

const SUM_SQUARES = /* wgsl */ `
struct Params { start: u32, end: u32, pad0: u32, pad1: u32 }
${bindings('grads: read', 'partials: read_write', 'p: uniform Params')}
${WORKGROUP_SUM}
${entry(256)} {
  var sum = 0.0;
  for (var i = p.start + wg.x * 256u + lid.x; i < p.end; i += ${PARTIAL_GROUPS * 256}u) { let g = grads[i]; sum += g * g; }
  let groupSum = total(sum, lid.x);
  if (lid.x == 0u) { partials[wg.x] = groupSum; }
}`;

const NORM = /* wgsl */ `
${bindings('partials: read', 'stats: read_write')}
${WORKGROUP_SUM}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let sum = total(partials[lid.x], lid.x);
  if (lid.x == 0u) { stats[${STATS.gradNorm}] = sqrt(sum); }
}`;

const ADAMW = /* wgsl */ `
struct Params { start: u32, end: u32, b1: f32, oneMinusB1: f32, b2: f32, oneMinusB2: f32, eps: f32, maxNorm: f32 }
struct Step { seed: u32, decay: f32, stepSize: f32, bias2: f32 }
${bindings('params: read_write', 'grads: read', 'm: read_write', 'v: read_write', 'stats: read', 'p: uniform Params', 'step: uniform Step')}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = p.start + (wg.x + wg.y * groups.x) * 256u + lid.x;
  if (i >= p.end) { return; }
  var scale = 1.0;
  if (p.maxNorm > 0.0) { scale = min(p.maxNorm / (stats[${STATS.gradNorm}] + 1e-6), 1.0); }
  let g = grads[i] * scale;
  let nextM = p.b1 * m[i] + p.oneMinusB1 * g;
  let nextV = p.b2 * v[i] + p.oneMinusB2 * (g * g);
  m[i] = nextM;
  v[i] = nextV;
  params[i] = params[i] * step.decay - step.stepSize * (nextM / (sqrt(nextV) / step.bias2 + p.eps));
}`;

export interface OptimizerBindings {
  params: GPUBufferBinding;
  grads: GPUBufferBinding;
  m: GPUBufferBinding;
  v: GPUBufferBinding;
  stats: GPUBufferBinding;
  step: GPUBufferBinding;
}

/** The three dispatches of a clipped AdamW step over [start, end) of the flat buffers. */
export function recordOptimizer(gpu: GpuContext, b: OptimizerBindings, range: { start: number; end: number }, config: AdamWConfig, maxGradNorm: number): Dispatch[] {
  const partials = gpu.storage(PARTIAL_GROUPS * 4, 'norm partials');
  const rangeParams = gpu.uniform(words([[range.start, 'u32'], [range.end, 'u32'], [0, 'u32'], [0, 'u32']]), 'norm params');
  const adamParams = gpu.uniform(words([
    [range.start, 'u32'], [range.end, 'u32'], [config.beta1, 'f32'], [1 - config.beta1, 'f32'], [config.beta2, 'f32'], [1 - config.beta2, 'f32'], [config.epsilon, 'f32'], [maxGradNorm, 'f32'],
  ]), 'adamw params');
  const groups = Math.ceil((range.end - range.start) / 256);
  return [
    gpu.dispatch('sum of squares', SUM_SQUARES, [b.grads, { buffer: partials }, { buffer: rangeParams }], [PARTIAL_GROUPS, 1, 1]),
    gpu.dispatch('grad norm', NORM, [{ buffer: partials }, b.stats], [1, 1, 1]),
    gpu.dispatch('adamw', ADAMW, [b.params, b.grads, b.m, b.v, b.stats, { buffer: adamParams }, b.step], [Math.min(groups, 32768), Math.ceil(groups / 32768), 1]),
  ];
}
