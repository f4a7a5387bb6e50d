/**
 * The encoder's forward pass on the WebGPU engine: BERT, DistilBERT and XLM-R/RoBERTa sequence classifiers as
 * the tfjs pass (src/model/encoder.ts) computes them, laid out from the same description (architecture.ts).
 * The weights live in engine-owned buffers (Q, K and V of a layer packed into one [3h, h] matrix, so one product
 * makes all three); each batch shape gets a plan, recorded once: its activation buffers, uniforms and bind
 * groups exist from then on, and a forward writes the batch (4 small uploads), encodes the plan's dispatches
 * into one compute pass, submits once and reads the logits back.
 */
import type { EncoderConfig } from '../../model/config.ts';
import { modelModules, positionIds, type HeadLinear } from '../../model/architecture.ts';
import { GpuContext, type Dispatch } from './context.ts';
import { recordGemm } from './gemm.ts';
import { recordActivation, recordEmbed, recordLayerNorm, recordSoftmax } from './kernels.ts';

/** Masked keys get this added to their scores, as in the tfjs pass. */
const MASKED_SCORE = -1e9;

export interface EngineBatch {
  inputIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  tokenTypeIds?: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
}

interface LayerWeights {
  qkv: GPUBuffer;
  qkvBias: GPUBuffer;
  attentionOut: [GPUBuffer, GPUBuffer];
  attentionNorm: [GPUBuffer, GPUBuffer];
  ffnIn: [GPUBuffer, GPUBuffer];
  ffnOut: [GPUBuffer, GPUBuffer];
  outputNorm: [GPUBuffer, GPUBuffer];
}

interface Plan {
  dispatches: Dispatch[];
  ids: GPUBuffer;
  positions: GPUBuffer;
  types: GPUBuffer;
  keyMask: GPUBuffer;
  logits: GPUBuffer;
  readback: GPUBuffer;
  buffers: GPUBuffer[];
}

const whole = (buffer: GPUBuffer): GPUBufferBinding => ({ buffer });

export class EngineEncoder {
  private readonly gpu: GpuContext;
  private readonly owned: GPUBuffer[] = [];
  private readonly weights = new Map<string, GPUBuffer>();
  private readonly layers: LayerWeights[];
  private readonly plans = new Map<string, Plan>();

  /** `weight(hfName)` gives each parameter's values (as the app's loader produced them). */
  constructor(device: GPUDevice, readonly config: EncoderConfig, weight: (hfName: string) => Float32Array) {
    this.gpu = new GpuContext(device);
    const modules = modelModules(config);
    const upload = (name: string, data: Float32Array) => {
      const buffer = this.gpu.storage(data.byteLength, name);
      device.queue.writeBuffer(buffer, 0, data);
      this.owned.push(buffer);
      return buffer;
    };
    const param = (name: string) => {
      let buffer = this.weights.get(name);
      if (!buffer) this.weights.set(name, (buffer = upload(name, weight(name))));
      return buffer;
    };
    const pair = (module: string): [GPUBuffer, GPUBuffer] => [param(`${module}.weight`), param(`${module}.bias`)];
    const concat = (parts: Float32Array[]) => {
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const part of parts) out.set(part, (at += part.length) - part.length);
      return out;
    };
    for (const name of [modules.wordEmbeddings, modules.positionEmbeddings, ...(modules.tokenTypeEmbeddings ? [modules.tokenTypeEmbeddings] : [])]) param(`${name}.weight`);
    pair(modules.embeddingNorm);
    this.layers = modules.layers.map((layer) => ({
      qkv: upload(`${layer.query} + key + value`, concat([layer.query, layer.key, layer.value].map((m) => weight(`${m}.weight`)))),
      qkvBias: upload(`${layer.query} + key + value bias`, concat([layer.query, layer.key, layer.value].map((m) => weight(`${m}.bias`)))),
      attentionOut: pair(layer.attentionOut),
      attentionNorm: pair(layer.attentionNorm),
      ffnIn: pair(layer.ffnIn),
      ffnOut: pair(layer.ffnOut),
      outputNorm: pair(layer.outputNorm),
    }));
    if (modules.features) pair(modules.features.name);
    for (const layer of modules.classifier) pair(layer.name);
  }

  /** Logits [batchSize × numLabels], row-major. */
  async logits(batch: EngineBatch): Promise<Float32Array> {
    const plan = this.plan(batch.batchSize, batch.seqLen);
    const queue = this.gpu.device.queue;
    const tokens = batch.batchSize * batch.seqLen;
    queue.writeBuffer(plan.ids, 0, Uint32Array.from(batch.inputIds));
    queue.writeBuffer(plan.positions, 0, Uint32Array.from(positionIds(this.config, batch.inputIds, batch.seqLen)));
    queue.writeBuffer(plan.types, 0, this.config.architecture === 'bert' && batch.tokenTypeIds ? Uint32Array.from(batch.tokenTypeIds) : new Uint32Array(tokens));
    queue.writeBuffer(plan.keyMask, 0, Float32Array.from(batch.attentionMask, (m) => (1 - m) * MASKED_SCORE));
    const encoder = this.gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    let pipeline: GPUComputePipeline | null = null;
    for (const d of plan.dispatches) {
      if (d.pipeline !== pipeline) pass.setPipeline((pipeline = d.pipeline));
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.workgroups);
    }
    pass.end();
    const bytes = batch.batchSize * this.config.numLabels * 4;
    encoder.copyBufferToBuffer(plan.logits, 0, plan.readback, 0, bytes);
    queue.submit([encoder.finish()]);
    await plan.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    const out = new Float32Array(plan.readback.getMappedRange(0, bytes).slice(0));
    plan.readback.unmap();
    return out;
  }

  /** Dispatches a forward of this shape makes (after its plan is recorded). */
  dispatchCount(batchSize: number, seqLen: number): number {
    return this.plan(batchSize, seqLen).dispatches.length;
  }

  dispose(): void {
    for (const plan of this.plans.values()) for (const buffer of plan.buffers) buffer.destroy();
    for (const buffer of this.owned) buffer.destroy();
    this.plans.clear();
  }

  private plan(batchSize: number, seqLen: number): Plan {
    const key = `${batchSize}x${seqLen}`;
    let plan = this.plans.get(key);
    if (!plan) this.plans.set(key, (plan = this.record(batchSize, seqLen)));
    return plan;
  }

  private record(batchSize: number, seqLen: number): Plan {
    const { gpu, config } = this;
    const modules = modelModules(config);
    const h = config.hiddenSize;
    const heads = config.numHeads;
    const headSize = h / heads;
    const tokens = batchSize * seqLen;
    const buffers: GPUBuffer[] = [];
    const make = (elements: number, label: string, usage = 0) => {
      const buffer = gpu.storage(elements * 4, label, usage);
      buffers.push(buffer);
      return buffer;
    };
    const ids = make(tokens, 'input ids');
    const positions = make(tokens, 'position ids');
    const types = make(tokens, 'token type ids');
    const keyMask = make(tokens, 'key mask');
    const hidden = make(tokens * h, 'hidden');
    const normed = make(tokens * h, 'normed');
    const projected = make(tokens * h, 'projected');
    const context = make(tokens * h, 'context');
    const qkv = make(tokens * 3 * h, 'qkv');
    const scores = make(batchSize * heads * seqLen * seqLen, 'scores');
    const intermediate = make(tokens * config.intermediateSize, 'intermediate');
    const features = make(batchSize * h, 'features');
    const headHidden = make(batchSize * h, 'head hidden');
    const logits = make(batchSize * config.numLabels, 'logits');
    const readback = gpu.device.createBuffer({ label: 'logits readback', size: Math.max(16, batchSize * config.numLabels * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    buffers.push(readback);

    const w = (name: string) => whole(this.weights.get(name)!);
    const d: Dispatch[] = [];
    d.push(recordEmbed(gpu, {
      ids: whole(ids), positions: whole(positions), types: whole(types), word: w(`${modules.wordEmbeddings}.weight`), position: w(`${modules.positionEmbeddings}.weight`),
      tokenType: modules.tokenTypeEmbeddings ? w(`${modules.tokenTypeEmbeddings}.weight`) : undefined, out: whole(projected),
    }, tokens, h));
    d.push(recordLayerNorm(gpu, { x: whole(projected), gamma: w(`${modules.embeddingNorm}.weight`), beta: w(`${modules.embeddingNorm}.bias`), out: whole(hidden) }, tokens, h, config.layerNormEps));

    const linear = (x: GPUBuffer, rows: number, inputs: number, [weight, bias]: [GPUBuffer, GPUBuffer], outputs: number, out: GPUBuffer, lda?: number) =>
      recordGemm(gpu, 'linear', { a: whole(x), b: whole(weight), c: whole(out), bias: whole(bias) }, { m: rows, n: outputs, k: inputs, lda }, { layout: 'NT' });
    for (const layer of this.layers) {
      d.push(recordGemm(gpu, 'qkv', { a: whole(hidden), b: whole(layer.qkv), c: whole(qkv), bias: whole(layer.qkvBias) }, { m: tokens, n: 3 * h, k: h }, { layout: 'NT' }));
      // scores[s, head] = Q · Kᵀ / √d, reading each head's columns of Q and K in place from the packed [tokens, 3h].
      d.push(recordGemm(gpu, 'scores', { a: whole(qkv), b: whole(qkv), c: whole(scores) }, {
        m: seqLen, n: seqLen, k: headSize, lda: 3 * h, ldb: 3 * h, offsetB: h, outer: batchSize, inner: heads,
        strideA: { outer: seqLen * 3 * h, inner: headSize }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen },
      }, { layout: 'NT', alpha: 1 / Math.sqrt(headSize) }));
      d.push(recordSoftmax(gpu, { scores: whole(scores), keyMask: whole(keyMask) }, batchSize, heads, seqLen));
      d.push(recordGemm(gpu, 'context', { a: whole(scores), b: whole(qkv), c: whole(context) }, {
        m: seqLen, n: headSize, k: seqLen, ldb: 3 * h, ldc: h, offsetB: 2 * h, outer: batchSize, inner: heads,
        strideA: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: seqLen * h, inner: headSize },
      }, { layout: 'NN' }));
      d.push(linear(context, tokens, h, layer.attentionOut, h, projected));
      d.push(recordLayerNorm(gpu, { x: whole(projected), r: whole(hidden), gamma: whole(layer.attentionNorm[0]), beta: whole(layer.attentionNorm[1]), out: whole(normed) }, tokens, h, config.layerNormEps));
      d.push(linear(normed, tokens, h, layer.ffnIn, config.intermediateSize, intermediate));
      d.push(recordActivation(gpu, whole(intermediate), tokens * config.intermediateSize, config.hiddenAct));
      d.push(linear(intermediate, tokens, config.intermediateSize, layer.ffnOut, h, projected));
      d.push(recordLayerNorm(gpu, { x: whole(projected), r: whole(normed), gamma: whole(layer.outputNorm[0]), beta: whole(layer.outputNorm[1]), out: whole(hidden) }, tokens, h, config.layerNormEps));
    }

    // The head reads each sequence's first token: rows of `hidden` seqLen·h apart.
    const headLinear = (x: GPUBuffer, lda: number | undefined, layer: HeadLinear, outputs: number, out: GPUBuffer) => {
      d.push(linear(x, batchSize, h, [this.weights.get(`${layer.name}.weight`)!, this.weights.get(`${layer.name}.bias`)!], outputs, out, lda));
      if (layer.activation) d.push(recordActivation(gpu, whole(out), batchSize * outputs, layer.activation));
    };
    let x = hidden;
    let lda: number | undefined = seqLen * h;
    if (modules.features) {
      headLinear(x, lda, modules.features, h, features);
      [x, lda] = [features, undefined];
    }
    modules.classifier.forEach((layer, i) => {
      const last = i === modules.classifier.length - 1;
      const out = last ? logits : x === headHidden ? features : headHidden;
      headLinear(x, lda, layer, last ? config.numLabels : h, out);
      [x, lda] = [out, undefined];
    });
    return { dispatches: d, ids, positions, types, keyMask, logits, readback, buffers };
  }
}
