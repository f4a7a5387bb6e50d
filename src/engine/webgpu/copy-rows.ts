/** Rows copied between strided layouts: the heads' first tokens out of [tokens, hidden], and their gradient back. */
import { GpuContext, bindings, entry, words, type Dispatch } from './context.ts';
import { rowGrid, ROW_INDEX } from './kernels.ts';

const COPY_ROWS = /* wgsl */ `
struct Params { rows: u32, width: u32, fromStride: u32, toStride: u32 }
${bindings('source: read', 'destination: read_write', 'p: uniform Params')}
${entry(256)} {
  ${ROW_INDEX}
  if (row >= p.rows) { return; }
  for (var c = lid.x; c < p.width; c += 256u) { destination[row * p.toStride + c] = source[row * p.fromStride + c]; }
}`;

export function recordCopyRows(gpu: GpuContext, b: { from: GPUBufferBinding; to: GPUBufferBinding }, rows: number, width: number, strides: { from: number; to: number }): Dispatch {
  const params = gpu.uniform(words([[rows, 'u32'], [width, 'u32'], [strides.from, 'u32'], [strides.to, 'u32']]), 'copy rows params');
  return gpu.dispatch('copy rows', COPY_ROWS, [b.from, b.to, { buffer: params }], rowGrid(rows));
}
