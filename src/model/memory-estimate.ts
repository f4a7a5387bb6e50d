/**
 * How much memory a training run needs, from the model's config alone: so the page can warn before a run and the
 * bench can print a table for the reference models. Float32 throughout; figures are estimates of the peak.
 */
import { formatBytes } from '../format.ts';
import type { TrainingTechnique } from './classifier.ts';
import type { EncoderConfig } from './config.ts';
import { parameterSpecs } from './weights.ts';

export interface MemoryEstimate {
  parameters: number;
  trainableParameters: number;
  weightsBytes: number;
  /** The raw gradients and their clipped copies (both live while the optimizer runs). */
  gradientBytes: number;
  /** AdamW's two moments per trainable parameter, plus its largest transient (two temporaries of the largest tensor). */
  optimizerBytes: number;
  /** Tensors kept by the forward pass for the backward one (fine-tune), or one layer's working set (feature-extraction). */
  activationBytes: number;
  totalBytes: number;
  /** The biggest single tensor: it must fit one GPU buffer binding. */
  largestTensor: { name: string; bytes: number };
}

const FLOAT = 4;
export const GIB = 1024 ** 3;

export function estimateTrainingMemory(config: EncoderConfig, technique: TrainingTechnique, batch: number, seqLen: number): MemoryEstimate {
  const specs = parameterSpecs(config);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const trains = (name: string) => technique === 'fine-tune' || name.startsWith('classifier');
  const parameters = specs.reduce((sum, s) => sum + size(s.shape), 0);
  const trainable = specs.filter((s) => trains(s.hfName));
  const trainableParameters = trainable.reduce((sum, s) => sum + size(s.shape), 0);
  const largestTrainable = trainable.reduce((max, s) => Math.max(max, size(s.shape)), 0);

  const { hiddenSize: h, intermediateSize: i, numHeads: heads, numLayers } = config;
  const tokens = batch * seqLen;
  // Per layer, kept for backward: about ten hidden-sized tensors per token (projections' inputs and outputs,
  // residual sums, LayerNorm statistics, dropout masks) and two of the feed-forward width (its input and GELU's),
  // plus four of the attention map (scores, probabilities, dropout mask, dropped probabilities).
  const perLayer = FLOAT * (tokens * (10 * h + 2 * i) + 4 * batch * heads * seqLen * seqLen);
  const embeddings = FLOAT * tokens * h * 4;
  const activationBytes = technique === 'fine-tune' ? numLayers * perLayer + embeddings : perLayer + embeddings;

  const weightsBytes = FLOAT * parameters;
  const gradientBytes = 2 * FLOAT * trainableParameters;
  const optimizerBytes = 2 * FLOAT * trainableParameters + 2 * FLOAT * largestTrainable;
  const candidates = [
    { name: 'word embeddings', bytes: FLOAT * config.vocabSize * h },
    { name: 'feed-forward weight', bytes: FLOAT * h * i },
    { name: 'attention scores of a batch', bytes: FLOAT * batch * heads * seqLen * seqLen },
  ];
  return {
    parameters, trainableParameters, weightsBytes, gradientBytes, optimizerBytes, activationBytes,
    totalBytes: weightsBytes + gradientBytes + optimizerBytes + activationBytes,
    largestTensor: candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a)),
  };
}

/**
 * WebAssembly's memory is 32-bit: tfjs-wasm's heap stops at 4 GiB (less 64 KiB), and everything the run holds on
 * that backend lives in it. Past it, a step cannot allocate and the run stalls (measured: mBERT fine-tuning sat in
 * the allocator for 17 minutes) rather than failing cleanly.
 */
export const WASM_HEAP_LIMIT_BYTES = 4 * GIB - 64 * 1024;

/**
 * The largest estimate that trains there. The estimate leaves out the allocator's fragmentation and the backward
 * pass's temporaries, so the heap fills before the estimate reaches 4 GiB. Measured on Chromium 156
 * (`npm run bench -- --scale`): distilmBERT fine-tuning trains at 16-token pairs (estimate 3.25 GiB) and stalls at
 * XNLI-like lengths up to 86 tokens (3.49 GiB).
 */
export const WASM_TRAINING_BUDGET_BYTES = 3.3 * GIB;

/**
 * Why the run cannot train on WASM (the estimate does not fit its heap), with what would, or null. `what` names the
 * run ("fine-tuning bert-base-multilingual-cased"); `featureExtraction` is the same model's estimate for that
 * technique, offered when it fits.
 */
export function wasmFitProblem(what: string, estimate: MemoryEstimate, featureExtraction?: MemoryEstimate): string | null {
  if (estimate.totalBytes <= WASM_TRAINING_BUDGET_BYTES) return null;
  const options = [
    ...(featureExtraction && featureExtraction.totalBytes <= WASM_TRAINING_BUDGET_BYTES ? [`feature-extraction (about ${formatBytes(featureExtraction.totalBytes)})`] : []),
    // Shorter batches help only where the activations are what tips it over.
    ...(estimate.totalBytes - estimate.activationBytes <= WASM_TRAINING_BUDGET_BYTES ? ['a smaller batch or --max-length'] : []),
    'a GPU (WebGPU)',
  ];
  return `${what} on WASM needs about ${formatBytes(estimate.totalBytes)} (weights ${formatBytes(estimate.weightsBytes)}, gradients ${formatBytes(estimate.gradientBytes)}, AdamW ${formatBytes(estimate.optimizerBytes)}, activations ${formatBytes(estimate.activationBytes)}), more than fits in WebAssembly's 4 GiB memory (estimates over ${formatBytes(WASM_TRAINING_BUDGET_BYTES)} stall there): use ${options.join(', or ')}`;
}

export interface DeviceBudget {
  /** WebGPU's maxStorageBufferBindingSize (bytes), when WebGPU runs. */
  maxStorageBufferBindingSize?: number;
  maxBufferSize?: number;
  /** navigator.deviceMemory (GiB, rounded down by the browser and capped at 8): WebGPU does not report GPU memory. */
  deviceMemoryGiB?: number;
}

/** One line per way the run will not fit (empty: no problem the browser can see). */
export function memoryWarnings(estimate: MemoryEstimate, budget: DeviceBudget): string[] {
  const warnings: string[] = [];
  const binding = Math.min(budget.maxStorageBufferBindingSize ?? Infinity, budget.maxBufferSize ?? Infinity);
  if (estimate.largestTensor.bytes > binding) {
    warnings.push(`the ${estimate.largestTensor.name} (${formatBytes(estimate.largestTensor.bytes)}) exceed this GPU's largest buffer (${formatBytes(binding)}): WebGPU cannot hold them; use a smaller model or batch, or another backend`);
  }
  if (budget.deviceMemoryGiB && estimate.totalBytes > budget.deviceMemoryGiB * GIB) {
    warnings.push(`the run needs about ${formatBytes(estimate.totalBytes)}, more than this device reports having (${budget.deviceMemoryGiB} GiB, a figure browsers cap at 8): it may run out; lower the batch size or use feature extraction`);
  }
  return warnings;
}

/** One line for the page: what a run needs and whether it fits a GPU of `availableBytes`, if known. */
export function describeMemoryNeed(estimate: MemoryEstimate, availableBytes?: number): string {
  const line = `needs about ${formatBytes(estimate.totalBytes)} (weights ${formatBytes(estimate.weightsBytes)}, gradients ${formatBytes(estimate.gradientBytes)}, AdamW ${formatBytes(estimate.optimizerBytes)}, activations ${formatBytes(estimate.activationBytes)})`;
  if (availableBytes === undefined) return line;
  return estimate.totalBytes <= availableBytes ? line : `${line}: more than the ${formatBytes(availableBytes)} available; use feature-extraction, a smaller batch, or a GPU with more memory`;
}
