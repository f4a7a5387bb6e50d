/** Rows copied between strided layouts: the heads' first tokens out of [tokens, hidden], and their gradient back. */
import { GpuContext, words, type Dispatch } from './context.ts';
import { rowGrid, ROW_INDEX } from './kernels.ts';

const COPY_ROWS = /* wgsl */ `
struct Params { rows: u32, width: u32, fromStride: u32, toStride: u32 }
@group(0) @binding(0) var<storage, read> source: array<f32>;
@group(0) @binding(1) var<storage, read_write> destination: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW_INDEX}
  if (row >= p.rows) { return; }
  for (var c = lid.x; c < p.width; c += 256u) { destination[row * p.toStride + c] = source[row * p.fromStride + c]; }
}`;

export function recordCopyRows(gpu: GpuContext, b: { from: GPUBufferBinding; to: GPUBufferBinding }, rows: number, width: number, strides: { from: number; to: number }): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [strides.from, 'u32'], [strides.to, 'u32']]), 'copy rows params');
  return gpu.dispatch('copy rows', COPY_ROWS, [b.from, b.to, { buffer: params }], rowGrid(rows));
}
