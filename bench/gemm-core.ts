/**
 * The engine's GEMM on the trainer's own products at bert-base's shape (b8 s128: 1,024 tokens), beside the
 * adapter's measured FMA ceiling: a kernel of independent multiply-adds that does nothing else. GFLOP/s from wall
 * time over many dispatches in one submit (queue.onSubmittedWorkDone), a multiply-add counted as 2.
 */
import { GpuContext, readBack, type Dispatch } from '../src/engine/webgpu/context.ts';
import { gemmFlops, recordGemm, type GemmLayout } from '../src/engine/webgpu/gemm.ts';

export interface GemmFigure { name: string; layout: GemmLayout | 'fma'; m: number; n: number; k: number; gflops: number; msPerCall: number }

const T = 1024;
const H = 768;
const I = 3072;
export const BERT_BASE_PRODUCTS: Array<{ name: string; layout: GemmLayout; m: number; n: number; k: number }> = [
  { name: 'qkv forward (X·Wᵀ)', layout: 'NT', m: T, n: 3 * H, k: H },
  { name: 'ffn in forward', layout: 'NT', m: T, n: I, k: H },
  { name: 'ffn out forward', layout: 'NT', m: T, n: H, k: I },
  { name: 'ffn out input grad (dY·W)', layout: 'NN', m: T, n: I, k: H },
  { name: 'qkv input grad', layout: 'NN', m: T, n: H, k: 3 * H },
  { name: 'ffn in weight grad (dYᵀ·X)', layout: 'TN', m: I, n: H, k: T },
  { name: 'qkv weight grad', layout: 'TN', m: 3 * H, n: H, k: T },
];

const FMA_CHAINS = 8;
const FMA_ITERATIONS = 4096;
const FMA = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> sink: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  var a: array<f32, ${FMA_CHAINS}>;
  for (var c = 0u; c < ${FMA_CHAINS}u; c++) { a[c] = f32(id.x + c) * 1e-7; }
  for (var i = 0u; i < ${FMA_ITERATIONS}u; i++) {
    for (var c = 0u; c < ${FMA_CHAINS}u; c++) { a[c] = fma(a[c], 0.999999, 1e-7); }
  }
  var s = 0.0;
  for (var c = 0u; c < ${FMA_CHAINS}u; c++) { s += a[c]; }
  if (s == 12345.0) { sink[id.x] = s; }
}`;

async function timeDispatches(gpu: GpuContext, dispatch: Dispatch, minSeconds: number, fence: GPUBuffer): Promise<number> {
  let calls = 1;
  for (;;) {
    const started = performance.now();
    gpu.run(Array.from({ length: calls }, () => dispatch));
    await readBack(gpu.device, fence, 0, 4);
    const seconds = (performance.now() - started) / 1000;
    if (seconds >= minSeconds || calls >= 4096) return seconds / calls;
    calls *= 2;
  }
}

export async function gemmBench(device: GPUDevice, options: { minSeconds?: number; scale?: number } = {}): Promise<GemmFigure[]> {
  const gpu = new GpuContext(device);
  const minSeconds = options.minSeconds ?? 0.3;
  const figures: GemmFigure[] = [];
  const sink = gpu.storage(4 * 256 * 4096, 'fma sink');
  const groups = options.scale !== undefined && options.scale < 1 ? 256 : 4096;
  const fma = gpu.dispatch('fma ceiling', FMA, [{ buffer: sink }], [groups, 1, 1]);
  await timeDispatches(gpu, fma, 0.05, sink);
  const fmaSeconds = await timeDispatches(gpu, fma, minSeconds, sink);
  const fmaFlops = 2 * groups * 256 * FMA_ITERATIONS * FMA_CHAINS;
  figures.push({ name: 'FMA ceiling', layout: 'fma', m: 0, n: 0, k: 0, gflops: fmaFlops / fmaSeconds / 1e9, msPerCall: fmaSeconds * 1000 });
  for (const product of BERT_BASE_PRODUCTS) {
    const scale = options.scale ?? 1;
    const [m, n, k] = [product.m, product.n, product.k].map((d) => Math.max(16, Math.round(d * scale)));
    const size = (rows: number, cols: number) => gpu.storage(rows * cols * 4, product.name);
    const a = product.layout === 'TN' ? size(k!, m!) : size(m!, k!);
    const b = product.layout === 'NT' ? size(n!, k!) : size(k!, n!);
    const c = size(m!, n!);
    const dispatch = recordGemm(gpu, product.name, { a: { buffer: a }, b: { buffer: b }, c: { buffer: c } }, { m: m!, n: n!, k: k! }, { layout: product.layout });
    await timeDispatches(gpu, dispatch, 0.05, c);
    const seconds = await timeDispatches(gpu, dispatch, minSeconds, c);
    figures.push({ name: product.name, layout: product.layout, m: m!, n: n!, k: k!, gflops: gemmFlops({ m: m!, n: n!, k: k! }) / seconds / 1e9, msPerCall: seconds * 1000 });
    for (const buffer of [a, b, c]) buffer.destroy();
  }
  sink.destroy();
  return figures;
}

