// In the page: the WebGPU engine's pieces, driven by tests/browser/webgpu-engine.test.ts: its matrix product against
// float64 loops (window.gemmCheck), its forward pass (window.engineLogits) and its training step (window.engineTrain).
import { GpuContext, readBack } from '../../../src/engine/webgpu/context.ts';
import { recordGemm, type GemmLayout, type GemmShape } from '../../../src/engine/webgpu/gemm.ts';
import { SeededRandom } from '../../../src/random.ts';
import { parseEncoderConfig } from '../../../src/model/config.ts';
import { EngineNetwork, type EngineBatch } from '../../../src/engine/webgpu/network.ts';
import { ADAMW_DEFAULTS } from '../../../src/train/adamw.ts';
import { linearScheduleRate } from '../../../src/train/schedule.ts';
import { padBatch } from '../../../src/tokenize/batch.ts';
import { bucketedLength } from '../../../src/data/batching.ts';

export interface GemmCheckOptions { alpha?: number; beta?: number; bias?: boolean }

const random = new SeededRandom('gemm');
const values = (count: number) => Float32Array.from({ length: count }, () => random.uniform() * 2 - 1);

/** C = alpha·op(A)·op(B) + bias + beta·C in float64, with the same strides the kernel is given. */
function reference(layout: GemmLayout, a: Float32Array, b: Float32Array, c: Float32Array, s: Required<GemmShape>, alpha: number, beta: number, bias?: Float32Array): Float64Array {
  const out = Float64Array.from(c);
  for (let o = 0; o < s.outer; o++) for (let i = 0; i < s.inner; i++) {
    const [aBase, bBase, cBase] = [o * s.strideA.outer + i * s.strideA.inner, o * s.strideB.outer + i * s.strideB.inner, o * s.strideC.outer + i * s.strideC.inner];
    for (let r = 0; r < s.m; r++) for (let col = 0; col < s.n; col++) {
      let sum = 0;
      for (let k = 0; k < s.k; k++) {
        const av = layout === 'TN' ? a[aBase + k * s.lda + r]! : a[aBase + r * s.lda + k]!;
        const bv = layout === 'NT' ? b[bBase + col * s.ldb + k]! : b[bBase + k * s.ldb + col]!;
        sum += av * bv;
      }
      const at = cBase + r * s.ldc + col;
      out[at] = alpha * sum + (bias ? bias[col]! : 0) + beta * c[at]!;
    }
  }
  return out;
}

function upload(device: GPUDevice, data: Float32Array): GPUBuffer {
  const buffer = device.createBuffer({ size: Math.max(4, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

async function gemmCheck(device: GPUDevice, layout: GemmLayout, shape: GemmShape, options: GemmCheckOptions = {}): Promise<number> {
  const gpu = new GpuContext(device);
  const { m, n, k } = shape;
  const s: Required<GemmShape> = {
    m, n, k, outer: shape.outer ?? 1, inner: shape.inner ?? 1, offsetA: 0, offsetB: 0, offsetC: 0, offsetBias: 0,
    lda: shape.lda ?? (layout === 'TN' ? m : k), ldb: shape.ldb ?? (layout === 'NT' ? k : n), ldc: shape.ldc ?? n,
    strideA: shape.strideA ?? { outer: 0, inner: 0 }, strideB: shape.strideB ?? { outer: 0, inner: 0 }, strideC: shape.strideC ?? { outer: 0, inner: 0 },
  };
  const extent = (rows: number, ld: number, stride: { outer: number; inner: number }) => (s.outer - 1) * stride.outer + (s.inner - 1) * stride.inner + rows * ld;
  const a = values(extent(layout === 'TN' ? k : m, s.lda, s.strideA));
  const b = values(extent(layout === 'NT' ? n : k, s.ldb, s.strideB));
  const c = values(extent(m, s.ldc, s.strideC));
  const bias = options.bias ? values(n) : undefined;
  const buffers = { a: upload(device, a), b: upload(device, b), c: upload(device, c), bias: bias ? upload(device, bias) : undefined };
  device.pushErrorScope('validation');
  const dispatch = recordGemm(gpu, 'check', { a: { buffer: buffers.a }, b: { buffer: buffers.b }, c: { buffer: buffers.c }, bias: buffers.bias && { buffer: buffers.bias } }, shape, { layout, alpha: options.alpha, beta: options.beta });
  gpu.run([dispatch]);
  const invalid = await device.popErrorScope();
  if (invalid) throw new Error(`WebGPU validation: ${invalid.message}`);
  const got = new Float32Array(await readBack(device, buffers.c, 0, c.byteLength));
  const want = reference(layout, a, b, c, s, options.alpha ?? 1, options.beta ?? 0, bias);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  for (const buffer of Object.values(buffers)) buffer?.destroy();
  return worst;
}

/** Logits of the engine's forward pass for weights the app's loader produced (sent as plain arrays). */
async function engineLogits(device: GPUDevice, configJson: unknown, weights: Record<string, number[]>, batch: EngineBatch): Promise<number[]> {
  const encoder = new EngineNetwork(device, parseEncoderConfig(configJson), (name) => {
    const values = weights[name];
    if (!values) throw new Error(`no weights for ${name}`);
    return Float32Array.from(values);
  });
  try {
    device.pushErrorScope('validation');
    const logits = await encoder.logits(batch);
    const invalid = await device.popErrorScope();
    if (invalid) throw new Error(`WebGPU validation: ${invalid.message}`);
    return [...logits];
  } finally {
    encoder.dispose();
  }
}

export interface EngineTrainRequest {
  configJson: unknown;
  weights: Record<string, number[]>;
  examples: Array<{ inputIds: number[]; tokenTypeIds: number[]; label: number }>;
  technique: 'fine-tune' | 'feature-extraction';
  batchSize: number;
  steps: number;
  learningRate: number;
  maxGradNorm: number;
}

/** Trains in file order, consecutive batches (as the trainer with shuffle off), reading every step's loss and norm. */
async function engineTrain(device: GPUDevice, request: EngineTrainRequest) {
  const config = parseEncoderConfig(request.configJson);
  const network = new EngineNetwork(device, config, (name) => Float32Array.from(request.weights[name]!));
  try {
    device.pushErrorScope('validation');
    network.configureTraining({ technique: request.technique, adam: ADAMW_DEFAULTS, maxGradNorm: request.maxGradNorm });
    const losses: number[] = [];
    const gradNorms: number[] = [];
    for (let step = 0; step < request.steps; step++) {
      const start = (step * request.batchSize) % request.examples.length;
      const chosen = request.examples.slice(start, start + request.batchSize);
      const longest = Math.max(...chosen.map((e) => e.inputIds.length));
      const padded = padBatch(chosen.map((e) => ({ inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds })), config.padTokenId, bucketedLength(longest, 512));
      const lr = linearScheduleRate(request.learningRate, step, request.steps, 0);
      network.trainStep(padded, chosen.map((e) => e.label), lr, step + 1, step);
      const stats = await network.readStats();
      losses.push(stats.loss);
      gradNorms.push(stats.gradNorm);
    }
    const invalid = await device.popErrorScope();
    if (invalid) throw new Error(`WebGPU validation: ${invalid.message}`);
    const values = await network.parameterValues();
    return { losses, gradNorms, weights: Object.fromEntries([...values].map(([name, v]) => [name, [...v]])) };
  } finally {
    network.dispose();
  }
}

declare global {
  interface Window {
    gemmCheck(layout: GemmLayout, shape: GemmShape, options?: GemmCheckOptions): Promise<number>;
    engineLogits(configJson: unknown, weights: Record<string, number[]>, batch: EngineBatch): Promise<number[]>;
    engineTrain(request: EngineTrainRequest): Promise<{ losses: number[]; gradNorms: number[]; weights: Record<string, number[]> }>;
  }
}

void (async () => {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    const device = await adapter.requestDevice();
    window.gemmCheck = (layout, shape, options) => gemmCheck(device, layout, shape, options);
    window.engineLogits = (configJson, weights, batch) => engineLogits(device, configJson, weights, batch);
    window.engineTrain = (request) => engineTrain(device, request);
    document.documentElement.dataset.ready = 'true';
  } catch (error) {
    document.documentElement.dataset.ready = (error as Error).message;
  }
})();
