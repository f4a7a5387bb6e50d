// How much GPU memory a training run needs, from the model's config.json alone (before anything big is
// downloaded): float32 weights, gradients and AdamW's two moments for the trainable ones, and the activations
// the autodiff tape keeps for one batch at the given sequence length.
import type { EncoderConfig } from '../model/config.ts';
import type { TrainingTechnique } from '../model/classifier.ts';

const FLOAT32 = 4;

export interface MemoryEstimate {
  parameters: number;
  trainableParameters: number;
  weightsBytes: number;
  gradientBytes: number;
  /** AdamW's first and second moments, one float each per trainable parameter. */
  optimizerBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The biggest single tensor: it must fit one GPU buffer binding. */
  largestTensor: { name: string; bytes: number };
}

export interface EstimateInput {
  technique: TrainingTechnique;
  batchSize: number;
  /** Padded length of a typical big batch: the 95th percentile of pair lengths, capped at the model's maximum. */
  sequenceLength: number;
}

/** Parameter counts of the encoder and of the head, by the layouts of transformers' three families. */
export function parameterCounts(config: EncoderConfig): { encoder: number; pooler: number; head: number } {
  const h = config.hiddenSize;
  const i = config.intermediateSize;
  const labels = config.numLabels;
  const embeddings = (config.vocabSize + config.maxPositionEmbeddings + config.typeVocabSize) * h + 2 * h;
  const layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
  const encoder = embeddings + config.numLayers * layer;
  const dense = h * h + h;
  const out = h * labels + labels;
  switch (config.architecture) {
    // BERT: pretrained pooler, then `classifier`.
    case 'bert': return { encoder, pooler: dense, head: out };
    // DistilBERT: new `pre_classifier` (frozen under feature extraction: its name does not start with classifier).
    case 'distilbert': return { encoder, pooler: dense, head: out };
    // XLM-R: `classifier.dense` and `classifier.out_proj`, both trained under feature extraction.
    case 'roberta': return { encoder, pooler: 0, head: dense + out };
  }
}

/** Floats the tape keeps per layer and token (projections, residuals, norms, dropout masks, FFN in and out). */
function savedPerLayer(config: EncoderConfig, batch: number, length: number): number {
  const tokens = batch * length;
  const perToken = 16 * config.hiddenSize + 3 * config.intermediateSize;
  // Scores, softmax and the dropped-out probabilities, per head.
  const attention = 3 * batch * config.numHeads * length * length;
  return tokens * perToken + attention;
}

export function estimateTrainingMemory(config: EncoderConfig, input: EstimateInput): MemoryEstimate {
  const { encoder, pooler, head } = parameterCounts(config);
  const parameters = encoder + pooler + head;
  const trainableParameters = input.technique === 'fine-tune' ? parameters : head;
  const length = Math.max(1, Math.min(input.sequenceLength, config.maxPositionEmbeddings));
  const layer = savedPerLayer(config, input.batchSize, length);
  // Fine-tuning keeps every layer for the backward pass; a frozen encoder needs only the layer being computed.
  const activationFloats = (input.technique === 'fine-tune' ? config.numLayers + 1 : 2) * layer;
  const weightsBytes = parameters * FLOAT32;
  const gradientBytes = trainableParameters * FLOAT32;
  const optimizerBytes = 2 * trainableParameters * FLOAT32;
  const activationBytes = activationFloats * FLOAT32;
  const embeddingBytes = config.vocabSize * config.hiddenSize * FLOAT32;
  const ffnBytes = config.hiddenSize * config.intermediateSize * FLOAT32;
  const attentionBytes = input.batchSize * config.numHeads * length * length * FLOAT32;
  const candidates = [
    { name: 'word embeddings', bytes: embeddingBytes },
    { name: 'feed-forward weight', bytes: ffnBytes },
    { name: 'attention scores of a batch', bytes: attentionBytes },
  ];
  return {
    parameters,
    trainableParameters,
    weightsBytes,
    gradientBytes,
    optimizerBytes,
    activationBytes,
    totalBytes: weightsBytes + gradientBytes + optimizerBytes + activationBytes,
    largestTensor: candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a)),
  };
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
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const binding = Math.min(budget.maxStorageBufferBindingSize ?? Infinity, budget.maxBufferSize ?? Infinity);
  if (estimate.largestTensor.bytes > binding) {
    warnings.push(`the ${estimate.largestTensor.name} (${mib(estimate.largestTensor.bytes)}) exceed this GPU's largest buffer (${mib(binding)}): WebGPU cannot hold them; use a smaller model or batch, or another backend`);
  }
  if (budget.deviceMemoryGiB && estimate.totalBytes > budget.deviceMemoryGiB * 2 ** 30) {
    warnings.push(`the run needs about ${mib(estimate.totalBytes)}, more than this device reports having (${budget.deviceMemoryGiB} GiB, a figure browsers cap at 8): it may run out; lower the batch size or use feature extraction`);
  }
  return warnings;
}
