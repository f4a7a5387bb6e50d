import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
// Built from kernels/xnli-kernels.c by scripts/build-kernels.sh (committed: building the app needs no C compiler).
import plainKernelsUrl from './kernels/xnli-kernels.wasm?url';
import sharedKernelsUrl from './kernels/xnli-kernels-shared.wasm?url';
import relaxedKernelsUrl from './kernels/xnli-kernels-relaxed.wasm?url';
import relaxedSharedKernelsUrl from './kernels/xnli-kernels-relaxed-shared.wasm?url';
import seedrandom from 'seedrandom';
import { tensorFromInfo, type AdamWScalars } from '../fused-ops.ts';
import { GemmThreads } from './gemm-threads.ts';

/** The parts of tfjs's wasm backend these kernels use. */
export interface WasmBackendLike {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): void;
  wasm: { _malloc(bytes: number): number; _free(pointer: number): void; wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/** Exports of kernels/xnli-kernels.c; pointers are byte offsets in tfjs's wasm memory. */
interface KernelExports {
  batch_matmul(a: number, b: number, c: number, scratch: number, batch: number, m: number, k: number, n: number, transA: number, transB: number, strideA: number, strideB: number, row0: number, row1: number, col0: number, col1: number): void;
  gemm_scratch_floats(n: number): number;
  column_sums(x: number, out: number, rows: number, cols: number): void;
  gather_rows(table: number, ids: number, out: number, count: number, rows: number, width: number): number;
  scatter_add_rows(ids: number, updates: number, out: number, count: number, rows: number, width: number): number;
  layer_norm(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, rows: number, cols: number, eps: number): void;
  layer_norm_backward(dy: number, x: number, gamma: number, mean: number, rstd: number, dx: number, dgamma: number, dbeta: number, rows: number, cols: number): void;
  gelu(x: number, y: number, n: number): void;
  gelu_backward(dy: number, x: number, dx: number, n: number): void;
  dropout_mask(out: number, n: number, keep: number, s0: number, s1: number, s2: number, c: number): void;
  sum_squares(x: number, n: number, out: number): void;
  adamw(pOut: number, mOut: number, vOut: number, p: number, g: number, m: number, v: number, n: number, scale: number, decays: number, decay: number, b1: number, omb1: number, b2: number, omb2: number, stepSize: number, bias2: number, eps: number): void;
}

type GemmArgs = Parameters<KernelExports['batch_matmul']>;

let loaded: { backend: WasmBackendLike; kernels: KernelExports; relaxed: boolean; threads: GemmThreads | null } | null = null;

/**
 * Instantiates the kernels on the memory of the wasm backend now active (plain or shared, as tfjs's build uses),
 * in relaxed SIMD where the browser validates it, else plain SIMD. Until this has run, and if it fails, the wasm
 * backend keeps its own kernels: these only make it faster.
 */
export async function loadWasmKernels(backend: WasmBackendLike): Promise<void> {
  if (loaded?.backend === backend) return;
  loaded?.threads?.stop();
  loaded = null;
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!memory) return;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const fetchModule = async (url: string) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not load the wasm kernels (${response.status} ${response.statusText})`);
    return response.arrayBuffer();
  };
  let bytes = await fetchModule(shared ? relaxedSharedKernelsUrl : relaxedKernelsUrl);
  const relaxed = WebAssembly.validate(bytes);
  if (!relaxed) bytes = await fetchModule(shared ? sharedKernelsUrl : plainKernelsUrl);
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
  const threads = shared ? await GemmThreads.start(memory, bytes, (n) => backend.wasm._malloc(n), (p) => backend.wasm._free(p)) : null;
  loaded = { backend, kernels: instance.exports as unknown as KernelExports, relaxed, threads };
}

/** How the matrix products run, for the bench's report: relaxed SIMD (fused multiply-add) or not, on how many threads. */
export function wasmGemmInfo(): { relaxed: boolean; threads: number } {
  return { relaxed: loaded?.relaxed === true, threads: loaded?.threads?.count ?? 1 };
}

/** Whether our kernels run on the active tfjs backend. */
export function wasmKernelsActive(): boolean {
  return kernelsFor(tf.backend()) !== null;
}

/** The kernels when they run on `backend` (the one tfjs passes a kernel), else null. */
function kernelsFor(backend: object): KernelExports | null {
  return loaded && loaded.backend === backend ? loaded.kernels : null;
}

/** The GEMM micro-kernel's tile (MR × NR in kernels/xnli-kernels.c): a split lands on a multiple of it. */
const GEMM_TILE_ROWS = 4;
const GEMM_TILE_COLUMNS = 8;
const CACHE_LINE = 64;
/** Below this many multiply-adds (about 0.1 ms of work), handing a share to helpers costs more than it saves. */
const MIN_SHARED_MACS = 1 << 21;

const offsetOf = (backend: WasmBackendLike, t: TensorInfo | tf.Tensor) => backend.dataIdMap.get(t.dataId)!.memoryOffset;

/**
 * Every float32 `BatchMatMul`: `a` [...batchA, m, k] (or [..., k, m] transposed), `b` [...batchB, k, n] (or
 * [..., n, k]), where the batches are equal or one of them is 1; transposed sides are read in place. A `b` shared
 * by a batch of untransposed `a`s is one product with batch·m rows. Returns null where the kernels are not loaded
 * or the shapes are another kind (tfjs's kernel then runs).
 */
export function wasmBatchMatMul(backend: object, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | null {
  const kernels = kernelsFor(backend);
  if (!kernels || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const batchA = batchShapeA.reduce((x, y) => x * y, 1);
  const batchB = batchShapeB.reduce((x, y) => x * y, 1);
  const sameBatch = batchShapeA.length === batchShapeB.length && batchShapeA.every((d, i) => d === batchShapeB[i]);
  if (!sameBatch && batchA !== 1 && batchB !== 1) return null;
  const [m, k] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const [kb, n] = transposeB ? [b.shape.at(-1)!, b.shape.at(-2)!] : [b.shape.at(-2)!, b.shape.at(-1)!];
  if (k !== kb) return null;
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  const batch = Math.max(batchA, batchB);
  const wasmBackend = loaded!.backend;
  const out = wasmBackend.makeOutput([...batchShape, m, n], 'float32');
  // One product with batch·m rows when every a meets the same b.
  const foldRows = batchB === 1 && batch > 1 && !transposeA;
  const [products, rows] = foldRows ? [1, batch * m] : [batch, m];
  const strideA = batchA === 1 ? 0 : m * k;
  const strideB = batchB === 1 ? 0 : k * n;
  const [pa, pb, pc] = [offsetOf(wasmBackend, a), offsetOf(wasmBackend, b), offsetOf(wasmBackend, out)];
  const product = (scratch: number, first: number, count: number, [row0, row1]: number[], [col0, col1]: number[]): GemmArgs => [
    pa + first * strideA * 4, pb + first * strideB * 4, pc + first * rows * n * 4, scratch, count, rows, k, n,
    transposeA ? 1 : 0, transposeB ? 1 : 0, strideA, strideB, row0!, row1!, col0!, col1!,
  ];
  const allRows = [0, rows];
  const allColumns = [0, n];
  // Threads share a product worth it: by batches, else along the longer side of C at tile boundaries (each thread
  // packs all of the other side, so the shorter one is the one packed more than once).
  const threads = loaded!.threads;
  const ways = !threads || products * rows * n * k < MIN_SHARED_MACS ? 1
    : Math.min(threads.count, products >= 2 ? products : n > rows ? Math.ceil(n / GEMM_TILE_COLUMNS) : Math.ceil(rows / GEMM_TILE_ROWS));
  // The packed panels start on a cache line (malloc gives 8 or 16 bytes), so no 16-byte load of them spans two.
  const scratchBytes = kernels.gemm_scratch_floats(n) * 4 + CACHE_LINE;
  const allocated = Array.from({ length: ways }, () => wasmBackend.wasm._malloc(scratchBytes));
  const scratch = allocated.map((pointer) => Math.ceil(pointer / CACHE_LINE) * CACHE_LINE);
  // Part i of `size` split `ways` ways: [cut(i), cut(i + 1)), cuts on multiples of `tile`, the last at `size`.
  const cut = (size: number, tile: number, i: number) => (i === ways ? size : Math.min(size, Math.round((size * i) / ways / tile) * tile));
  const span = (size: number, tile: number, i: number) => [cut(size, tile, i), cut(size, tile, i + 1)];
  const parts = scratch.map((s, i): GemmArgs => {
    if (ways === 1) return product(s, 0, products, allRows, allColumns);
    if (products >= 2) {
      const [first, last] = span(products, 1, i);
      return product(s, first!, last! - first!, allRows, allColumns);
    }
    return n > rows ? product(s, 0, 1, allRows, span(n, GEMM_TILE_COLUMNS, i)) : product(s, 0, 1, span(rows, GEMM_TILE_ROWS, i), allColumns);
  });
  try {
    const run = (args: number[]) => kernels.batch_matmul(...(args as GemmArgs));
    if (ways === 1) run(parts[0]!);
    else threads!.run(parts, run);
  } finally {
    for (const pointer of allocated) wasmBackend.wasm._free(pointer);
  }
  return out;
}

/**
 * `tf.gather(table, ids)` of rows (axis 0, no batch dims): the embedding lookups, which tfjs-wasm copies element
 * by element. Returns null for other gathers, or when an id is out of range (tfjs's kernel then reports it).
 */
export function wasmGatherRows(backend: object, x: TensorInfo, indices: TensorInfo, axis: number, batchDims: number): TensorInfo | null {
  const kernels = kernelsFor(backend);
  if (!kernels || x.dtype !== 'float32' || indices.dtype !== 'int32' || axis !== 0 || batchDims !== 0 || x.shape.length < 1) return null;
  const width = x.shape.slice(1).reduce((p, q) => p * q, 1);
  const count = indices.shape.reduce((p, q) => p * q, 1);
  const wasmBackend = loaded!.backend;
  const out = wasmBackend.makeOutput([...indices.shape, ...x.shape.slice(1)], 'float32');
  if (kernels.gather_rows(offsetOf(wasmBackend, x), offsetOf(wasmBackend, indices), offsetOf(wasmBackend, out), count, x.shape[0]!, width) !== 0) {
    wasmBackend.disposeData(out.dataId);
    return null;
  }
  return out;
}

/**
 * `tf.scatterND(ids [n, 1], updates [n, ...row], [rows, ...row])`: the embedding gradient (repeated ids summed in
 * tfjs's order). Returns null for other scatters or an out-of-range id.
 */
export function wasmScatterRows(backend: object, indices: TensorInfo, updates: TensorInfo, shape: number[]): TensorInfo | null {
  const kernels = kernelsFor(backend);
  if (!kernels || updates.dtype !== 'float32' || indices.dtype !== 'int32' || indices.shape.length !== 2 || indices.shape[1] !== 1) return null;
  const count = indices.shape[0]!;
  const width = shape.slice(1).reduce((p, q) => p * q, 1);
  if (updates.shape[0] !== count || updates.shape.slice(1).reduce((p, q) => p * q, 1) !== width) return null;
  const wasmBackend = loaded!.backend;
  const out = wasmBackend.makeOutput(shape, 'float32');
  if (kernels.scatter_add_rows(offsetOf(wasmBackend, indices), offsetOf(wasmBackend, updates), offsetOf(wasmBackend, out), count, shape[0]!, width) !== 0) {
    wasmBackend.disposeData(out.dataId);
    return null;
  }
  return out;
}

/**
 * Sum over leading axes (the gradients of biases and LayerNorm parameters: [tokens, hidden] → [hidden]), which
 * tfjs computes by transposing the input first. Returns null for any other reduction.
 */
export function wasmLeadingAxesSum(backend: object, x: TensorInfo, axes: number[], keepDims: boolean): TensorInfo | null {
  const kernels = kernelsFor(backend);
  if (!kernels || x.dtype !== 'float32' || axes.length === 0) return null;
  const sorted = [...axes].sort((p, q) => p - q);
  if (!sorted.every((axis, i) => axis === i) || sorted.length >= x.shape.length) return null;
  const rows = x.shape.slice(0, sorted.length).reduce((p, q) => p * q, 1);
  const kept = x.shape.slice(sorted.length);
  const cols = kept.reduce((p, q) => p * q, 1);
  const wasmBackend = loaded!.backend;
  const out = wasmBackend.makeOutput(keepDims ? [...sorted.map(() => 1), ...kept] : kept, 'float32');
  kernels.column_sums(offsetOf(wasmBackend, x), offsetOf(wasmBackend, out), rows, cols);
  return out;
}

/**
 * One AdamW update of a parameter in a single pass (src/train/adamw.ts's float32 operations, same order): returns
 * the new parameter, m and v, or null where the wasm kernels are not running.
 */
export function wasmAdamW(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamWScalars, gradScale: tf.Tensor | null): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  const kernels = kernelsFor(tf.backend());
  if (!kernels || [param, grad, m, v, ...(gradScale ? [gradScale] : [])].some((t) => t.dtype !== 'float32')) return null;
  const backend = loaded!.backend;
  const outputs = [0, 1, 2].map(() => backend.makeOutput(param.shape, 'float32'));
  const [pOut, mOut, vOut] = outputs.map((o) => offsetOf(backend, o));
  kernels.adamw(pOut, mOut, vOut, offsetOf(backend, param), offsetOf(backend, grad), offsetOf(backend, m), offsetOf(backend, v), param.size,
    gradScale ? offsetOf(backend, gradScale) : 0, s.decays ? 1 : 0, s.decay, s.b1, s.oneMinusB1, s.b2, s.oneMinusB2, s.stepSize, s.bias2, s.eps);
  return outputs.map(tensorFromInfo) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** tf.dropout's multiplier for `shape` with this seed, bit for bit (kernels/xnli-kernels.c: dropout_mask). */
export function wasmDropoutMask(shape: number[], rate: number, seed: string): tf.Tensor | null {
  const kernels = kernelsFor(tf.backend());
  if (!kernels) return null;
  const backend = loaded!.backend;
  const out = backend.makeOutput(shape, 'float32');
  // The generator tfjs's randomUniform uses (seedrandom's Alea), seeded the same way; the kernel draws from it.
  const { s0, s1, s2, c } = seedrandom.alea(seed, { state: true }).state() as { s0: number; s1: number; s2: number; c: number };
  kernels.dropout_mask(offsetOf(backend, out), shape.reduce((a, b) => a * b, 1), 1 - rate, s0, s1, s2, c);
  return tensorFromInfo(out);
}

/** LayerNorm of [rows, cols] over its last axis, forward and backward each one kernel (kernels/xnli-kernels.c). */
export function wasmLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor | null {
  const kernels = kernelsFor(tf.backend());
  if (!kernels || x.rank !== 2 || [x, gamma, beta].some((t) => t.dtype !== 'float32') || gamma.size !== x.shape[1] || beta.size !== x.shape[1]) return null;
  const backend = loaded!.backend;
  const [rows, cols] = x.shape as [number, number];
  const layerNorm = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, scale, shift, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, rstd] = [[rows, cols], [rows], [rows]].map((shape) => backend.makeOutput(shape, 'float32'));
    kernels.layer_norm(offsetOf(backend, input), offsetOf(backend, scale), offsetOf(backend, shift), offsetOf(backend, y!), offsetOf(backend, mean!), offsetOf(backend, rstd!), rows, cols, eps);
    const [meanT, rstdT] = [tensorFromInfo(mean!), tensorFromInfo(rstd!)];
    save([input, scale, meanT, rstdT]);
    return {
      value: tensorFromInfo(y!),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedX, savedGamma, savedMean, savedRstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const [dx, dgamma, dbeta] = [[rows, cols], [cols], [cols]].map((shape) => backend.makeOutput(shape, 'float32'));
        kernels.layer_norm_backward(offsetOf(backend, dy as tf.Tensor), offsetOf(backend, savedX), offsetOf(backend, savedGamma), offsetOf(backend, savedMean), offsetOf(backend, savedRstd),
          offsetOf(backend, dx!), offsetOf(backend, dgamma!), offsetOf(backend, dbeta!), rows, cols);
        return [tensorFromInfo(dx!), tf.reshape(tensorFromInfo(dgamma!), gamma.shape), tf.reshape(tensorFromInfo(dbeta!), beta.shape)];
      },
    };
  });
  return layerNorm(x, gamma, beta);
}

/** GELU (erf form), forward and backward each one kernel (kernels/xnli-kernels.c). */
export function wasmGelu(x: tf.Tensor): tf.Tensor | null {
  const kernels = kernelsFor(tf.backend());
  if (!kernels || x.dtype !== 'float32') return null;
  const backend = loaded!.backend;
  const gelu = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = backend.makeOutput(input.shape, 'float32');
    kernels.gelu(offsetOf(backend, input), offsetOf(backend, y), input.size);
    save([input]);
    return {
      value: tensorFromInfo(y),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dx = backend.makeOutput(input.shape, 'float32');
        kernels.gelu_backward(offsetOf(backend, dy as tf.Tensor), offsetOf(backend, saved[0]!), offsetOf(backend, dx), input.size);
        return [tensorFromInfo(dx)];
      },
    };
  });
  return gelu(x);
}

/** tf.sum(tf.square(x)) as one kernel, same float32 operations in the same order. */
export function wasmSumOfSquares(x: tf.Tensor): tf.Scalar | null {
  const kernels = kernelsFor(tf.backend());
  if (!kernels || x.dtype !== 'float32') return null;
  const backend = loaded!.backend;
  const out = backend.makeOutput([], 'float32');
  kernels.sum_squares(offsetOf(backend, x), x.size, offsetOf(backend, out));
  return tensorFromInfo(out) as tf.Scalar;
}
