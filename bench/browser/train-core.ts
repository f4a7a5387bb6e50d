/**
 * What the bench measures, wherever tfjs runs (the bench page, or Node with Dawn: bench/node-webgpu.bench.ts):
 * trains a randomly initialised BERT of a given shape with the app's own trainer (`train`) on one backend, and
 * reports wall time per step. On WebGPU it also counts what carries over to real GPUs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { wasmGemmInfo, wasmKernelsActive } from '../../src/backend/wasm/kernels.ts';
import { describeBackend, initBackend, type BackendName } from '../../src/backend/index.ts';
import { sequenceClassifierFromBuffers, type SequenceClassifier } from '../../src/model/classifier.ts';
import { parseEncoderConfig } from '../../src/model/config.ts';
import { SeededRandom } from '../../src/random.ts';
import { writeSafetensors, type SafetensorsEntry } from '../../src/model/safetensors.ts';
import { parameterSpecs } from '../../src/model/weights.ts';
import { train, TRAIN_DEFAULTS, type LabelledPair, type Technique } from '../../src/train/trainer.ts';
import { bertConfigJson, type BenchModel } from '../models.ts';
import { countWebGPUWork, type WebGPUCounters } from './webgpu-counters.ts';
import { engineStepTime } from '../../src/engine/webgpu/network.ts';

export interface TrainBenchResult {
  backend: string;
  detail: string;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** WebGPU only: per training step, and pipelines compiled in the whole run. */
  webgpu?: WebGPUCounters;
  /** WebGPU engine only: JavaScript time of a step until its submit (writing the batch, encoding), ms. */
  engineJsMsPerStep?: number;
}

const counters = countWebGPUWork();

/** A BERT of this shape with seeded random weights, loaded through the app's own safetensors path. */
export function randomClassifier(model: BenchModel): SequenceClassifier {
  const config = parseEncoderConfig(bertConfigJson(model));
  const random = new SeededRandom('bench');
  const entries: Record<string, SafetensorsEntry> = {};
  for (const spec of parameterSpecs(config)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const isNorm = spec.hfName.includes('LayerNorm');
    entries[spec.hfName] = { shape: spec.shape, data: isNorm && spec.hfName.endsWith('weight') ? new Float32Array(count).fill(1) : random.normalArray(count, 0, 0.02) };
  }
  const bytes = writeSafetensors(entries);
  return sequenceClassifierFromBuffers(bertConfigJson(model), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

/** Pairs of exactly `seq` tokens, so every batch is [batch, seq] as in the PyTorch reference. */
function syntheticPairs(model: BenchModel, count: number): LabelledPair[] {
  return pairsOfLengths(model.vocab, new Array<number>(count).fill(model.seq));
}

/** Pairs of random token ids with the given lengths in tokens (premise half, hypothesis half), labels in turn. */
export function pairsOfLengths(vocab: number, lengths: number[], seed = 'bench-data'): LabelledPair[] {
  const random = new SeededRandom(seed);
  return lengths.map((length, i) => {
    const inputIds = Array.from({ length }, () => 1 + Math.floor(random.uniform() * (vocab - 1)));
    const tokenTypeIds = inputIds.map((_, t) => (t < length / 2 ? 0 : 1));
    return { pair: { inputIds, tokenTypeIds }, label: i % 3 };
  });
}

export async function run(backend: BackendName, model: BenchModel, steps: number, warmup: number, technique: Technique = 'fine-tune', webgpuEngine = true): Promise<TrainBenchResult> {
  const info = await initBackend(backend, { fallback: false });
  const classifier = randomClassifier(model);
  try {
    // Timed from one logged step to the next, `window` steps later: at a logged step the trainer reads the loss
    // back, so the GPU has finished everything before it, and neither a run's set-up (the WebGPU engine's plans,
    // the first upload) nor its end (the weights handed back) is in the figure: steps in steady state, GPU work
    // included, for time and WebGPU counts alike.
    const window = Math.max(10, Math.ceil(steps / 10) * 10);
    const total = 2 * window + 1;
    const examples = syntheticPairs(model, model.batch * Math.max(total, warmup));
    const options = (maxSteps: number, loggingSteps = maxSteps) => ({ ...TRAIN_DEFAULTS, technique, webgpuEngine, batchSize: model.batch, maxSteps, loggingSteps, evalSteps: 0, saveSteps: 0 });
    await train(classifier, { trainSet: examples, options: options(warmup), padTokenId: 0, maxLength: 512 });
    let started = 0;
    let seconds = 0;
    let webgpu: WebGPUCounters | undefined;
    let engineAtStart = { ...engineStepTime };
    let engineJsMsPerStep: number | undefined;
    await train(classifier, { trainSet: examples, options: options(total, window), hooks: {
      onProgress(progress) {
        if (progress.phase !== 'train' || progress.loss === undefined) return;
        if (progress.step === window) {
          counters.reset();
          engineAtStart = { ...engineStepTime };
          started = performance.now();
        } else if (progress.step === 2 * window) {
          seconds = (performance.now() - started) / 1000;
          webgpu = counters.read(window);
          const timed = engineStepTime.steps - engineAtStart.steps;
          if (timed > 0) engineJsMsPerStep = (engineStepTime.ms - engineAtStart.ms) / timed;
        }
      },
    }, padTokenId: 0, maxLength: 512 });
    const detail = info.wasm ? `SIMD ${info.wasm.simd ? 'on' : 'off'}, tfjs on ${info.wasm.multithread ? wasmThreads() : 1} thread(s), ${wasmKernelsActive() ? `our kernels, GEMM in ${wasmGemmInfo().relaxed ? 'relaxed' : 'plain'} SIMD on ${wasmGemmInfo().threads} thread(s)` : 'tfjs kernels only'}` : describeBackend(info);
    return { backend, detail, steps: window, seconds, stepsPerSecond: window / seconds, webgpu: backend === 'webgpu' ? webgpu : undefined, engineJsMsPerStep };
  } finally {
    classifier.dispose();
  }
}

function wasmThreads(): number {
  return getThreadsCount();
}

export interface FeatureCacheFigure { batches: number; epochs: number; plainStepsPerSecond: number; cachedStepsPerSecond: number }

/** A whole feature-extraction run (3 epochs of `batches` batches) without and with the encoder-output cache. */
export async function featureCache(backend: BackendName, model: BenchModel, batches: number): Promise<FeatureCacheFigure> {
  await initBackend(backend, { fallback: false });
  const classifier = randomClassifier(model);
  try {
    const examples = syntheticPairs(model, model.batch * batches);
    const epochs = 3;
    const options = (featureCache: boolean, maxSteps = -1) => ({ ...TRAIN_DEFAULTS, technique: 'feature-extraction' as Technique, featureCache, batchSize: model.batch, numTrainEpochs: epochs, maxSteps, loggingSteps: 1000, evalSteps: 0, saveSteps: 0 });
    await train(classifier, { trainSet: examples, options: options(false, 1), padTokenId: 0, maxLength: 512 });
    const timed = async (cached: boolean) => {
      const started = performance.now();
      const result = await train(classifier, { trainSet: examples, options: options(cached), padTokenId: 0, maxLength: 512 });
      return result.globalStep / ((performance.now() - started) / 1000);
    };
    const plainStepsPerSecond = await timed(false);
    const cachedStepsPerSecond = await timed(true);
    return { batches, epochs, plainStepsPerSecond, cachedStepsPerSecond };
  } finally {
    classifier.dispose();
  }
}

export interface KernelProfile { secondsPerStep: number; kernelsPerStep: number; kernels: Array<{ name: string; msPerStep: number; callsPerStep: number }> }

/** Per-kernel time of `steps` training steps (tf.profile; its bookkeeping slows the steps down by 20-30%). */
export async function profile(backend: BackendName, model: BenchModel, steps: number): Promise<KernelProfile> {
  await initBackend(backend, { fallback: false });
  const classifier = randomClassifier(model);
  try {
    const examples = syntheticPairs(model, model.batch * (steps + 1));
    const options = (maxSteps: number) => ({ ...TRAIN_DEFAULTS, batchSize: model.batch, maxSteps, loggingSteps: maxSteps, evalSteps: 0, saveSteps: 0 });
    await train(classifier, { trainSet: examples, options: options(1), padTokenId: 0, maxLength: 512 });
    const started = performance.now();
    const info = await tf.profile(async () => { await train(classifier, { trainSet: examples, options: options(steps), padTokenId: 0, maxLength: 512 }); });
    const secondsPerStep = (performance.now() - started) / 1000 / steps;
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      // Ops that wrap kernels (`fusedMatMul__op`) and tape scopes would count their kernels twice.
      if (k.name.endsWith('__op') || k.name.startsWith('unnamed')) continue;
      const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += Number(k.kernelTimeMs);
      entry.calls += 1;
      byName.set(k.name, entry);
    }
    const kernels = [...byName.entries()].map(([name, e]) => ({ name, msPerStep: e.ms / steps, callsPerStep: e.calls / steps })).sort((a, b) => b.msPerStep - a.msPerStep);
    return { secondsPerStep, kernelsPerStep: kernels.reduce((sum, k) => sum + k.callsPerStep, 0), kernels };
  } finally {
    classifier.dispose();
  }
}

