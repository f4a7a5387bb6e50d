/**
 * A sequence classifier (BERT, DistilBERT, XLM-R/RoBERTa) on the WebGPU engine: the same network as the tfjs pass
 * (src/model/encoder.ts), laid out from the same description (src/model/architecture.ts), with its parameters,
 * gradients and AdamW moments in flat buffers (parameters.ts).
 *
 * Each batch shape gets a plan, recorded once: every activation buffer, uniform and bind group, and the list of
 * dispatches. Evaluation plans run the forward pass; training plans run forward (keeping what the gradients
 * need), backward, clipping and AdamW. Running a plan writes the batch (a few small uploads) and the step uniform,
 * encodes its dispatches into one compute pass and submits once; nothing is created, nothing is read back until
 * the trainer asks for the loss at a logging step.
 */
import type { EncoderConfig } from '../../model/config.ts';
import type { TrainingTechnique } from '../../model/classifier.ts';
import { modelModules, positionIds, type HeadLinear, type ModelModules } from '../../model/architecture.ts';
import type { AdamWConfig } from '../../train/adamw.ts';
import { GpuContext, encodeDispatches, readBack, type Dispatch } from './context.ts';
import { recordGemm, type GemmLayout, type GemmShape } from './gemm.ts';
import { recordActivation, recordDropout, recordEmbed, recordLayerNorm, recordSoftmax } from './kernels.ts';
import {
  STATS, embeddingLists, embeddingListWords, recordActivationBackward, recordBiasGrad, recordCrossEntropy, recordEmbeddingBackward,
  recordLayerNormBackward, recordLayerNormParamGrads, recordSoftmaxBackward,
} from './backward.ts';
import { recordOptimizer, stepUniform, STEP_UNIFORM_WORDS } from './optimizer.ts';
import { recordCopyRows } from './copy-rows.ts';
import { flatten, parameterLayout, trainableRange, type ParameterLayout } from './parameters.ts';

/** Masked keys get this added to their scores, as in the tfjs pass. */
const MASKED_SCORE = -1e9;

export interface EngineBatch {
  inputIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  tokenTypeIds?: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
}

export interface EngineTrainSettings {
  technique: TrainingTechnique;
  adam: AdamWConfig;
  maxGradNorm: number;
}

export interface EngineStats {
  /** The last step's loss, the sum of losses since the last resetLossSum, the last step's gradient norm (before clipping). */
  loss: number;
  lossSum: number;
  gradNorm: number;
}

const whole = (buffer: GPUBuffer): GPUBufferBinding => ({ buffer });

/** JavaScript time spent in training steps (writing the batch, encoding, submitting), for the bench. */
export const engineStepTime = { steps: 0, ms: 0 };

interface Plan {
  dispatches: Dispatch[];
  inputs: { ids: GPUBuffer; positions: GPUBuffer; types: GPUBuffer; keyMask: GPUBuffer; labels: GPUBuffer | null; lists: GPUBuffer[] };
  logits: GPUBuffer;
  /** Gradient ranges (elements) cleared before the step: the embedding tables, whose rows are only partly written. */
  clears: Array<[GPUBuffer, number, number]>;
  /** The dispatches' parameter uniforms, destroyed with the plan. */
  uniforms: GPUBuffer[];
}

export class EngineNetwork {
  readonly layout: ParameterLayout;
  readonly modules: ModelModules;
  private readonly gpu: GpuContext;
  private readonly params: GPUBuffer;
  private grads: GPUBuffer | null = null;
  private moments: [GPUBuffer, GPUBuffer] | null = null;
  private readonly stats: GPUBuffer;
  private readonly step: GPUBuffer;
  private readonly plans = new Map<string, Plan>();
  /**
   * Activation and gradient buffers by role (`layer 3 qkv`, ...), shared by every plan: only one plan runs at a
   * time, so each role needs one buffer, of the largest shape seen. Growing one drops the recorded plans (they are
   * recorded again, without compiling anything), so memory is that of the largest batch, not of all of them.
   */
  private readonly pool = new Map<string, GPUBuffer>();
  private train: EngineTrainSettings | null = null;

  /** `values(hfName)` gives each parameter (as the app's loader produced it). */
  constructor(device: GPUDevice, readonly config: EncoderConfig, values: (hfName: string) => Float32Array) {
    this.gpu = new GpuContext(device);
    this.layout = parameterLayout(config);
    this.modules = modelModules(config);
    this.params = this.gpu.storage(this.layout.size * 4, 'parameters');
    device.queue.writeBuffer(this.params, 0, flatten(this.layout, values));
    this.stats = this.gpu.storage(STATS.words * 4, 'step stats');
    this.step = this.gpu.device.createBuffer({ label: 'step uniform', size: STEP_UNIFORM_WORDS * 4, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /** Dispatches a plan of this shape makes (recording it if needed). */
  dispatchCount(batchSize: number, seqLen: number, training: boolean): number {
    return this.plan(batchSize, seqLen, training).dispatches.length;
  }

  /** Logits [batchSize × numLabels] in evaluation mode (no dropout). */
  async logits(batch: EngineBatch): Promise<Float32Array> {
    const plan = this.plan(batch.batchSize, batch.seqLen, false);
    this.writeBatch(plan, batch, null);
    const encoder = this.gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, plan.dispatches);
    pass.end();
    return new Float32Array(await readBack(this.gpu.device, plan.logits, 0, batch.batchSize * this.config.numLabels * 4, encoder));
  }

  /** Sets how training steps train (records training plans anew if it changes). */
  configureTraining(settings: EngineTrainSettings): void {
    const same = this.train && JSON.stringify(this.train) === JSON.stringify(settings);
    if (same) return;
    this.train = settings;
    this.forgetPlans((key) => key.endsWith('train'));
    if (!this.grads) {
      this.grads = this.gpu.storage(this.layout.size * 4, 'gradients');
      this.moments = [this.gpu.storage(this.layout.size * 4, 'adam m'), this.gpu.storage(this.layout.size * 4, 'adam v')];
    }
  }

  /**
   * One training step: forward with dropout drawn from `dropoutSeed`, the loss, backward, clipping and AdamW at
   * `lr` as optimizer step number `optimizerStep` (1 for the first). Nothing is read back.
   */
  trainStep(batch: EngineBatch, labels: ArrayLike<number>, lr: number, optimizerStep: number, dropoutSeed: number): void {
    if (!this.train) throw new Error('configureTraining first');
    const started = performance.now();
    const plan = this.plan(batch.batchSize, batch.seqLen, true);
    this.writeBatch(plan, batch, labels);
    this.gpu.device.queue.writeBuffer(this.step, 0, stepUniform(dropoutSeed, lr, optimizerStep, this.train.adam));
    const encoder = this.gpu.device.createCommandEncoder();
    for (const [buffer, start, count] of plan.clears) encoder.clearBuffer(buffer, start * 4, count * 4);
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, plan.dispatches);
    pass.end();
    this.gpu.device.queue.submit([encoder.finish()]);
    engineStepTime.steps += 1;
    engineStepTime.ms += performance.now() - started;
  }

  async readStats(): Promise<EngineStats> {
    const values = await this.read(this.stats, 0, STATS.words);
    return { loss: values[STATS.loss]!, lossSum: values[STATS.lossSum]!, gradNorm: values[STATS.gradNorm]! };
  }

  resetLossSum(value = 0): void {
    this.gpu.device.queue.writeBuffer(this.stats, STATS.lossSum * 4, new Float32Array([value]));
  }

  /** Parameters' current values by Hugging Face name: all of them, or only those training changes. */
  async parameterValues(which: 'all' | 'trained' = 'all'): Promise<Map<string, Float32Array>> {
    return this.readFlat(this.params, which === 'all' ? { start: 0, end: this.layout.size } : this.trainedRange());
  }

  /** AdamW's moments of the trained parameters by name, for checkpoints. */
  async momentValues(): Promise<{ m: Map<string, Float32Array>; v: Map<string, Float32Array> }> {
    if (!this.moments) throw new Error('no training has been configured');
    const [m, v] = await Promise.all(this.moments.map((buffer) => this.readFlat(buffer, this.trainedRange())));
    return { m: m!, v: v! };
  }

  /** Restores AdamW's moments (a resumed run); parameters missing from the maps start at 0. */
  loadMoments(m: (hfName: string) => Float32Array | undefined, v: (hfName: string) => Float32Array | undefined): void {
    if (!this.moments) throw new Error('configureTraining first');
    const zeroOr = (get: typeof m) => (name: string) => get(name) ?? new Float32Array(this.layout.byName.get(name)!.size);
    this.gpu.device.queue.writeBuffer(this.moments[0], 0, flatten(this.layout, zeroOr(m)));
    this.gpu.device.queue.writeBuffer(this.moments[1], 0, flatten(this.layout, zeroOr(v)));
  }

  dispose(): void {
    this.forgetPlans();
    for (const buffer of this.pool.values()) buffer.destroy();
    this.pool.clear();
    for (const buffer of [this.params, this.grads, ...(this.moments ?? []), this.stats, this.step]) buffer?.destroy();
  }

  private pooled(elements: number, label: string): GPUBuffer {
    const bytes = Math.max(elements, 1) * 4;
    const existing = this.pool.get(label);
    if (existing && existing.size >= bytes) return existing;
    if (existing) {
      this.forgetPlans();
      existing.destroy();
    }
    const buffer = this.gpu.storage(bytes, label);
    this.pool.set(label, buffer);
    return buffer;
  }

  private trainedRange(): { start: number; end: number } {
    if (!this.train) throw new Error('no training has been configured');
    return trainableRange(this.layout, this.train.technique);
  }

  /** The parameters lying in [start, end) of a flat buffer, read back and cut apart by name. */
  private async readFlat(buffer: GPUBuffer, range: { start: number; end: number }): Promise<Map<string, Float32Array>> {
    const flat = await this.read(buffer, range.start, range.end - range.start);
    const inside = this.layout.parameters.filter((p) => p.offset >= range.start && p.offset + p.size <= range.end);
    return new Map(inside.map((p) => [p.hfName, flat.slice(p.offset - range.start, p.offset - range.start + p.size)]));
  }

  private async read(buffer: GPUBuffer, start: number, count: number): Promise<Float32Array> {
    return new Float32Array(await readBack(this.gpu.device, buffer, start * 4, count * 4));
  }

  private writeBatch(plan: Plan, batch: EngineBatch, labels: ArrayLike<number> | null): void {
    const queue = this.gpu.device.queue;
    const tokens = batch.batchSize * batch.seqLen;
    const positions = positionIds(this.config, batch.inputIds, batch.seqLen);
    const types = this.config.architecture === 'bert' && batch.tokenTypeIds ? Uint32Array.from(batch.tokenTypeIds) : new Uint32Array(tokens);
    const ids = Uint32Array.from(batch.inputIds);
    queue.writeBuffer(plan.inputs.ids, 0, ids);
    queue.writeBuffer(plan.inputs.positions, 0, positions);
    queue.writeBuffer(plan.inputs.types, 0, types);
    queue.writeBuffer(plan.inputs.keyMask, 0, Float32Array.from(batch.attentionMask, (m) => (1 - m) * MASKED_SCORE));
    if (plan.inputs.labels && labels) queue.writeBuffer(plan.inputs.labels, 0, Uint32Array.from(labels));
    const tables = [ids, positions, types];
    plan.inputs.lists.forEach((buffer, i) => queue.writeBuffer(buffer, 0, embeddingLists(tables[i]!, new Uint32Array(embeddingListWords(tokens)))));
  }

  private plan(batchSize: number, seqLen: number, training: boolean): Plan {
    const key = `${batchSize}x${seqLen} ${training ? 'train' : 'eval'}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = { ...this.record(batchSize, seqLen, training), uniforms: this.gpu.takeUniforms() };
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Drops the recorded plans `which` selects (all by default) with their uniforms; they are recorded again when needed. */
  private forgetPlans(which: (key: string) => boolean = () => true): void {
    for (const [key, plan] of this.plans) {
      if (!which(key)) continue;
      for (const buffer of plan.uniforms) buffer.destroy();
      this.plans.delete(key);
    }
  }

  // The whole network's dispatches for one shape. Reads top to bottom as the tfjs pass does.
  private record(batchSize: number, seqLen: number, training: boolean): Omit<Plan, 'uniforms'> {
    const { gpu, config, modules, layout } = this;
    const settings = training ? this.train! : null;
    const fineTune = settings?.technique === 'fine-tune';
    const h = config.hiddenSize;
    const inter = config.intermediateSize;
    const heads = config.numHeads;
    const headSize = h / heads;
    const tokens = batchSize * seqLen;
    const scoreCount = batchSize * heads * seqLen * seqLen;
    const make = (elements: number, label: string) => this.pooled(elements, label);
    const at = (name: string) => layout.byName.get(name)!.offset;
    const P = whole(this.params);
    const d: Dispatch[] = [];
    let site = 0;
    /** Dropout of x into a new buffer when training at a positive rate; x itself otherwise. Returns the site too. */
    const dropout = (x: GPUBuffer, count: number, rate: number, label: string): { y: GPUBuffer; site: number | null } => {
      if (!training || rate <= 0) return { y: x, site: null };
      const y = make(count, label);
      const s = site++;
      d.push(recordDropout(gpu, { x: whole(x), y: whole(y), step: whole(this.step) }, count, rate, s));
      return { y, site: s };
    };
    const gemm = (label: string, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, shape: GemmShape, layoutName: GemmLayout, extra: { alpha?: number; beta?: number; bias?: number } = {}) =>
      d.push(recordGemm(gpu, label, { a: whole(a), b: whole(b), c: whole(c), bias: extra.bias !== undefined ? P : undefined }, { ...shape, offsetBias: extra.bias }, { layout: layoutName, alpha: extra.alpha, beta: extra.beta }));
    /** x [rows, inputs] · Wᵀ + b for the Linear module `name`. */
    const linear = (x: GPUBuffer, rows: number, inputs: number, name: string, outputs: number, out: GPUBuffer) =>
      gemm(name, x, this.params, out, { m: rows, n: outputs, k: inputs, offsetB: at(`${name}.weight`) }, 'NT', { bias: at(`${name}.bias`) });

    const ids = make(tokens, 'input ids');
    const positions = make(tokens, 'position ids');
    const types = make(tokens, 'token type ids');
    const keyMask = make(tokens, 'key mask');

    // Embeddings: word + position (+ type), LayerNorm, dropout.
    const embedded = make(tokens * h, 'embedded');
    d.push(recordEmbed(gpu, { ids: whole(ids), positions: whole(positions), types: whole(types), weights: P, out: whole(embedded) }, {
      word: at(`${modules.wordEmbeddings}.weight`), position: at(`${modules.positionEmbeddings}.weight`), tokenType: modules.tokenTypeEmbeddings ? at(`${modules.tokenTypeEmbeddings}.weight`) : null,
    }, tokens, h));
    const keepNorm = (label: string) => (training ? { xhat: make(tokens * h, `${label} x̂`), rstd: make(tokens, `${label} 1/σ`) } : undefined);
    const embeddingKeep = keepNorm('embedding norm');
    const embeddingNormed = make(tokens * h, 'embedding normed');
    d.push(recordLayerNorm(gpu, { x: whole(embedded), weights: P, out: whole(embeddingNormed), keep: embeddingKeep && { xhat: whole(embeddingKeep.xhat), rstd: whole(embeddingKeep.rstd) } },
      { gamma: at(`${modules.embeddingNorm}.weight`), beta: at(`${modules.embeddingNorm}.bias`) }, tokens, h, config.layerNormEps));
    const embeddingDrop = dropout(embeddingNormed, tokens * h, config.hiddenDropout, 'embedding dropped');

    // Encoder layers.
    interface Saved {
      input: GPUBuffer; qkv: GPUBuffer; probabilities: GPUBuffer; attended: { y: GPUBuffer; site: number | null }; context: GPUBuffer;
      attentionOut: { y: GPUBuffer; site: number | null }; norm1: NonNullable<ReturnType<typeof keepNorm>> | undefined; normed: GPUBuffer;
      pre: GPUBuffer; post: GPUBuffer; ffnOut: { y: GPUBuffer; site: number | null }; norm2: NonNullable<ReturnType<typeof keepNorm>> | undefined; output: GPUBuffer;
    }
    const saved: Saved[] = [];
    let hidden = embeddingDrop.y;
    for (const [index, layer] of modules.layers.entries()) {
      const qkv = make(tokens * 3 * h, `layer ${index} qkv`);
      gemm('qkv', hidden, this.params, qkv, { m: tokens, n: 3 * h, k: h, offsetB: at(`${layer.query}.weight`) }, 'NT', { bias: at(`${layer.query}.bias`) });
      // scores[s, head] = Q · Kᵀ / √d, reading each head's columns of Q and K in place from the packed [tokens, 3h].
      const probabilities = make(scoreCount, `layer ${index} attention`);
      gemm('scores', qkv, qkv, probabilities, {
        m: seqLen, n: seqLen, k: headSize, lda: 3 * h, ldb: 3 * h, offsetB: h, outer: batchSize, inner: heads,
        strideA: { outer: seqLen * 3 * h, inner: headSize }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen },
      }, 'NT', { alpha: 1 / Math.sqrt(headSize) });
      d.push(recordSoftmax(gpu, { scores: whole(probabilities), keyMask: whole(keyMask) }, batchSize, heads, seqLen));
      const attended = dropout(probabilities, scoreCount, config.attentionDropout, `layer ${index} attention dropped`);
      const context = make(tokens * h, `layer ${index} context`);
      gemm('context', attended.y, qkv, context, {
        m: seqLen, n: headSize, k: seqLen, ldb: 3 * h, ldc: h, offsetB: 2 * h, outer: batchSize, inner: heads,
        strideA: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: seqLen * h, inner: headSize },
      }, 'NN');
      const projected = make(tokens * h, `layer ${index} attention out`);
      linear(context, tokens, h, layer.attentionOut, h, projected);
      const attentionOut = dropout(projected, tokens * h, layer.attentionOutDropout ? config.hiddenDropout : 0, `layer ${index} attention out dropped`);
      const norm1 = keepNorm(`layer ${index} norm 1`);
      const normed = make(tokens * h, `layer ${index} normed`);
      d.push(recordLayerNorm(gpu, { x: whole(attentionOut.y), r: whole(hidden), weights: P, out: whole(normed), keep: norm1 && { xhat: whole(norm1.xhat), rstd: whole(norm1.rstd) } },
        { gamma: at(`${layer.attentionNorm}.weight`), beta: at(`${layer.attentionNorm}.bias`) }, tokens, h, config.layerNormEps));
      const pre = make(tokens * inter, `layer ${index} ffn pre`);
      const post = make(tokens * inter, `layer ${index} ffn post`);
      linear(normed, tokens, h, layer.ffnIn, inter, pre);
      d.push(recordActivation(gpu, { pre: whole(pre), post: whole(post) }, tokens * inter, config.hiddenAct));
      const ffnRaw = make(tokens * h, `layer ${index} ffn out`);
      linear(post, tokens, inter, layer.ffnOut, h, ffnRaw);
      const ffnOut = dropout(ffnRaw, tokens * h, config.hiddenDropout, `layer ${index} ffn out dropped`);
      const norm2 = keepNorm(`layer ${index} norm 2`);
      const output = make(tokens * h, `layer ${index} output`);
      d.push(recordLayerNorm(gpu, { x: whole(ffnOut.y), r: whole(normed), weights: P, out: whole(output), keep: norm2 && { xhat: whole(norm2.xhat), rstd: whole(norm2.rstd) } },
        { gamma: at(`${layer.outputNorm}.weight`), beta: at(`${layer.outputNorm}.bias`) }, tokens, h, config.layerNormEps));
      saved.push({ input: hidden, qkv, probabilities, attended, context, attentionOut, norm1, normed, pre, post, ffnOut, norm2, output });
      hidden = output;
    }

    // Head: the first token of each sequence, the features (pooler / pre_classifier), the classifier layers.
    const first = make(batchSize * h, 'first tokens');
    d.push(recordCopyRows(gpu, { from: whole(hidden), to: whole(first) }, batchSize, h, { from: seqLen * h, to: h }));
    const headStep = (x: GPUBuffer, layer: HeadLinear, outputs: number, rate: number, label: string) => {
      const input = dropout(x, batchSize * h, rate, `${label} input dropped`);
      const pre = make(batchSize * outputs, `${label} pre`);
      linear(input.y, batchSize, h, layer.name, outputs, pre);
      const post = layer.activation ? make(batchSize * outputs, `${label} post`) : pre;
      if (layer.activation) d.push(recordActivation(gpu, { pre: whole(pre), post: whole(post) }, batchSize * outputs, layer.activation));
      return { layer, input, pre, post, outputs };
    };
    const features = modules.features ? headStep(first, modules.features, h, 0, 'features') : null;
    const classifierSteps: ReturnType<typeof headStep>[] = [];
    let x = features ? features.post : first;
    for (const [i, layer] of modules.classifier.entries()) {
      const last = i === modules.classifier.length - 1;
      const step = headStep(x, layer, last ? config.numLabels : h, config.classifierDropout, `classifier ${i}`);
      classifierSteps.push(step);
      x = step.post;
    }
    const logits = x;

    const inputs: Plan['inputs'] = { ids, positions, types, keyMask, labels: null, lists: [] };
    const clears: Plan['clears'] = [];
    if (!settings) return { dispatches: d, inputs, logits, clears };

    // ---- Backward: the loss, then each module's gradients in reverse order.
    const G = whole(this.grads!);
    const labels = make(batchSize, 'labels');
    inputs.labels = labels;
    const dLogits = make(batchSize * config.numLabels, 'logits grad');
    d.push(recordCrossEntropy(gpu, { logits: whole(logits), labels: whole(labels), dLogits: whole(dLogits), stats: whole(this.stats) }, batchSize, config.numLabels));
    const maskedGrad = (grad: GPUBuffer, count: number, dropped: { site: number | null }, rate: number, into: GPUBuffer) => {
      if (dropped.site === null) return grad;
      d.push(recordDropout(gpu, { x: whole(grad), y: whole(into), step: whole(this.step) }, count, rate, dropped.site));
      return into;
    };
    /** dy [rows, outputs] through Linear `name` whose input was x: its weight and bias gradients, and dx if asked. */
    const linearBackward = (dy: GPUBuffer, x: GPUBuffer, rows: number, inputs: number, outputs: number, name: string, dx?: { into: GPUBuffer; accumulate?: boolean }) => {
      gemm(`${name} weight grad`, dy, x, this.grads!, { m: outputs, n: inputs, k: rows, offsetC: at(`${name}.weight`) }, 'TN');
      d.push(recordBiasGrad(gpu, { dy: whole(dy), grads: G }, rows, outputs, at(`${name}.bias`)));
      if (dx) gemm(`${name} input grad`, dy, this.params, dx.into, { m: rows, n: inputs, k: outputs, offsetB: at(`${name}.weight`) }, 'NN', { beta: dx.accumulate ? 1 : 0 });
    };

    const headGradA = make(batchSize * h, 'head grad a');
    const headGradB = make(batchSize * h, 'head grad b');
    const headMasked = make(batchSize * h, 'head grad masked');
    let dy = dLogits;
    for (let i = classifierSteps.length - 1; i >= 0; i--) {
      const step = classifierSteps[i]!;
      if (step.layer.activation) d.push(recordActivationBackward(gpu, { pre: whole(step.pre), grad: whole(dy) }, batchSize * step.outputs, step.layer.activation));
      const needInputGrad = i > 0 || fineTune;
      const dInput = dy === headGradA ? headGradB : headGradA;
      linearBackward(dy, step.input.y, batchSize, h, step.outputs, step.layer.name, needInputGrad ? { into: dInput } : undefined);
      if (!needInputGrad) break;
      dy = maskedGrad(dInput, batchSize * h, step.input, config.classifierDropout, headMasked);
      if (dy === headMasked) {
        // Keep the two ping-pong buffers free for the next layer's output.
        d.push(recordCopyRows(gpu, { from: whole(headMasked), to: whole(dInput) }, batchSize, h, { from: h, to: h }));
        dy = dInput;
      }
    }

    if (fineTune) {
      const gH = make(tokens * h, 'hidden grad');
      const gA = make(tokens * h, 'grad a');
      const gTmp = make(tokens * h, 'grad masked');
      const gQKV = make(tokens * 3 * h, 'qkv grad');
      const gP = make(scoreCount, 'attention grad');
      const gP2 = make(scoreCount, 'attention grad masked');
      const gI = make(tokens * inter, 'ffn grad');
      if (features) {
        d.push(recordActivationBackward(gpu, { pre: whole(features.pre), grad: whole(dy) }, batchSize * h, features.layer.activation!));
        const dFirst = dy === headGradA ? headGradB : headGradA;
        linearBackward(dy, first, batchSize, h, h, features.layer.name, { into: dFirst });
        dy = dFirst;
      }
      clears.push([gH, 0, tokens * h]);
      d.push(recordCopyRows(gpu, { from: whole(dy), to: whole(gH) }, batchSize, h, { from: h, to: seqLen * h }));

      for (let index = modules.layers.length - 1; index >= 0; index--) {
        const layer = modules.layers[index]!;
        const s = saved[index]!;
        // output = LN2(ffnOut + normed)
        d.push(recordLayerNormBackward(gpu, { dy: whole(gH), xhat: whole(s.norm2!.xhat), rstd: whole(s.norm2!.rstd), weights: P, dx: whole(gA) }, tokens, h, at(`${layer.outputNorm}.weight`)));
        d.push(recordLayerNormParamGrads(gpu, { dy: whole(gH), xhat: whole(s.norm2!.xhat), grads: G }, tokens, h, { gamma: at(`${layer.outputNorm}.weight`), beta: at(`${layer.outputNorm}.bias`) }));
        const dFfn = maskedGrad(gA, tokens * h, s.ffnOut, config.hiddenDropout, gTmp);
        linearBackward(dFfn, s.post, tokens, inter, h, layer.ffnOut, { into: gI });
        d.push(recordActivationBackward(gpu, { pre: whole(s.pre), grad: whole(gI) }, tokens * inter, config.hiddenAct));
        linearBackward(gI, s.normed, tokens, h, inter, layer.ffnIn, { into: gA, accumulate: true });
        // normed = LN1(attentionOut + input)
        d.push(recordLayerNormBackward(gpu, { dy: whole(gA), xhat: whole(s.norm1!.xhat), rstd: whole(s.norm1!.rstd), weights: P, dx: whole(gH) }, tokens, h, at(`${layer.attentionNorm}.weight`)));
        d.push(recordLayerNormParamGrads(gpu, { dy: whole(gA), xhat: whole(s.norm1!.xhat), grads: G }, tokens, h, { gamma: at(`${layer.attentionNorm}.weight`), beta: at(`${layer.attentionNorm}.bias`) }));
        const dProjected = maskedGrad(gH, tokens * h, s.attentionOut, config.hiddenDropout, gTmp);
        linearBackward(dProjected, s.context, tokens, h, h, layer.attentionOut, { into: gA });
        // Attention: context = P′ · V, P′ = dropout(P), P = softmax(Q · Kᵀ / √d + mask).
        gemm('attention grad', gA, s.qkv, gP, {
          m: seqLen, n: seqLen, k: headSize, lda: h, ldb: 3 * h, offsetB: 2 * h, outer: batchSize, inner: heads,
          strideA: { outer: seqLen * h, inner: headSize }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen },
        }, 'NT');
        gemm('value grad', s.attended.y, gA, gQKV, {
          m: seqLen, n: headSize, k: seqLen, lda: seqLen, ldb: h, ldc: 3 * h, offsetC: 2 * h, outer: batchSize, inner: heads,
          strideA: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen }, strideB: { outer: seqLen * h, inner: headSize }, strideC: { outer: seqLen * 3 * h, inner: headSize },
        }, 'TN');
        const dProbabilities = maskedGrad(gP, scoreCount, s.attended, config.attentionDropout, gP2);
        d.push(recordSoftmaxBackward(gpu, { probabilities: whole(s.probabilities), grad: whole(dProbabilities) }, batchSize * heads * seqLen, seqLen));
        const scale = 1 / Math.sqrt(headSize);
        gemm('query grad', dProbabilities, s.qkv, gQKV, {
          m: seqLen, n: headSize, k: seqLen, ldb: 3 * h, ldc: 3 * h, offsetB: h, outer: batchSize, inner: heads,
          strideA: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: seqLen * 3 * h, inner: headSize },
        }, 'NN', { alpha: scale });
        gemm('key grad', dProbabilities, s.qkv, gQKV, {
          m: seqLen, n: headSize, k: seqLen, lda: seqLen, ldb: 3 * h, ldc: 3 * h, offsetC: h, outer: batchSize, inner: heads,
          strideA: { outer: heads * seqLen * seqLen, inner: seqLen * seqLen }, strideB: { outer: seqLen * 3 * h, inner: headSize }, strideC: { outer: seqLen * 3 * h, inner: headSize },
        }, 'TN', { alpha: scale });
        // Q, K and V of the layer are one [3h, h] product: one weight gradient, one bias gradient, one input gradient.
        gemm('qkv weight grad', gQKV, s.input, this.grads!, { m: 3 * h, n: h, k: tokens, offsetC: at(`${layer.query}.weight`) }, 'TN');
        d.push(recordBiasGrad(gpu, { dy: whole(gQKV), grads: G }, tokens, 3 * h, at(`${layer.query}.bias`)));
        gemm('qkv input grad', gQKV, this.params, gH, { m: tokens, n: h, k: 3 * h, offsetB: at(`${layer.query}.weight`) }, 'NN', { beta: 1 });
      }

      // Embeddings: dropout, LayerNorm, then the tables' rows.
      const dNormed = maskedGrad(gH, tokens * h, embeddingDrop, config.hiddenDropout, gTmp);
      d.push(recordLayerNormBackward(gpu, { dy: whole(dNormed), xhat: whole(embeddingKeep!.xhat), rstd: whole(embeddingKeep!.rstd), weights: P, dx: whole(gA) }, tokens, h, at(`${modules.embeddingNorm}.weight`)));
      d.push(recordLayerNormParamGrads(gpu, { dy: whole(dNormed), xhat: whole(embeddingKeep!.xhat), grads: G }, tokens, h, { gamma: at(`${modules.embeddingNorm}.weight`), beta: at(`${modules.embeddingNorm}.bias`) }));
      const tables = [modules.wordEmbeddings, modules.positionEmbeddings, ...(modules.tokenTypeEmbeddings ? [modules.tokenTypeEmbeddings] : [])];
      for (const table of tables) {
        const list = make(embeddingListWords(tokens), `${table} rows`);
        inputs.lists.push(list);
        const p = layout.byName.get(`${table}.weight`)!;
        clears.push([this.grads!, p.offset, p.size]);
        d.push(recordEmbeddingBackward(gpu, { dy: whole(gA), lists: whole(list), grads: G }, tokens, h, p.offset));
      }
    }

    d.push(...recordOptimizer(gpu, { params: P, grads: G, m: whole(this.moments![0]), v: whole(this.moments![1]), stats: whole(this.stats), step: whole(this.step) },
      trainableRange(layout, settings.technique), settings.adam, settings.maxGradNorm));
    return { dispatches: d, inputs, logits, clears };
  }
}
