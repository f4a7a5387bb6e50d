/** The public model API: load a Hugging Face sequence classifier into tfjs variables, run it, save it. */
import * as tf from '@tensorflow/tfjs-core';
import { fetchJson, MissingFileError, type ModelFiles } from './files.ts';
import { fetchWeights, openSafetensorsIn } from './weights-file.ts';
import { parseEncoderConfig, type EncoderConfig } from './config.ts';
import { headFeatures, headLogitsFromFeatures, sequenceClassifierLogits } from './encoder.ts';
import { SeededRandom } from '../random.ts';
import { isFloatDtype, readSafetensors, tensorToFloat32, writeSafetensors, type OpenedSafetensors, type SafetensorsEntry, type SafetensorsTensorInfo } from './safetensors.ts';
import { parameterSpecs, resolveCheckpointNames, type ParameterSpec } from './weights.ts';

export interface EncodedBatch { inputIds: Int32Array; attentionMask: Int32Array; tokenTypeIds: Int32Array; batchSize: number; seqLen: number }

/** A batch as the [batchSize, seqLen] int32 tensors forward() takes. */
export function batchTensors(batch: EncodedBatch) {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
  };
}
export interface NamedParameter { hfName: string; variable: tf.Variable; trainable: boolean }
export type TrainingTechnique = 'fine-tune' | 'feature-extraction';

/** Seed for newly initialised head weights when none is given (the HF Trainer's default seed). */
export const DEFAULT_INIT_SEED = 42;

export interface LoadOptions {
  /** Seeds the initialisation of head weights missing from the checkpoint and the default dropout stream. */
  seed?: number;
}

export class SequenceClassifier {
  readonly parameters: NamedParameter[];
  private readonly byName: Map<string, NamedParameter>;
  private forwardCalls = 0;

  constructor(
    readonly config: EncoderConfig,
    parameters: NamedParameter[],
    readonly report: { initialised: string[]; ignored: string[] },
    private readonly seed: number,
  ) {
    this.parameters = parameters;
    this.byName = new Map(parameters.map((p) => [p.hfName, p]));
  }

  /** The variable holding a parameter, by its Hugging Face name. */
  parameter(hfName: string): tf.Variable {
    const found = this.byName.get(hfName);
    if (!found) throw new Error(`the ${this.config.modelType} classifier has no parameter ${hfName}`);
    return found.variable;
  }

  /**
   * `fine-tune`: everything trains. `feature-extraction`: only parameters whose name starts with
   * `classifier` train, as in the reference (so BERT's pooler and DistilBERT's pre_classifier stay frozen).
   */
  setTrainable(technique: TrainingTechnique): void {
    for (const p of this.parameters) {
      p.trainable = technique === 'fine-tune' || p.hfName.startsWith('classifier');
      p.variable.trainable = p.trainable;
    }
  }

  /** logits [batch, numLabels]; training=true turns dropout on (seeded). Pure tfjs ops so tf.variableGrads works through it. */
  forward(batch: { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D }, opts: { training?: boolean; seed?: number } = {}): tf.Tensor2D {
    const training = opts.training ?? false;
    const seed = opts.seed ?? (training ? `${this.seed}:${this.forwardCalls++}` : 0);
    return tf.tidy(() => sequenceClassifierLogits(this.config, (name) => this.parameter(name), batch, { training, seed: String(seed) }));
  }

  /** The frozen part's output for feature-extraction (see headFeatures), in eval mode: no dropout. [batch, hidden] */
  features(batch: { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D }): tf.Tensor2D {
    return tf.tidy(() => headFeatures(this.config, (name) => this.parameter(name), batch, { training: false, seed: '0' }));
  }

  /** logits from features(); training=true turns the head's dropout on (seeded). */
  forwardFromFeatures(features: tf.Tensor2D, opts: { training?: boolean; seed?: number } = {}): tf.Tensor2D {
    const training = opts.training ?? false;
    const seed = opts.seed ?? (training ? `${this.seed}:${this.forwardCalls++}` : 0);
    return tf.tidy(() => headLogitsFromFeatures(this.config, (name) => this.parameter(name), features, { training, seed: String(seed) }));
  }

  /** convenience: tidy forward in eval mode, returns logits as Float32Array (batchSize*numLabels) */
  async predictLogits(batch: EncodedBatch): Promise<Float32Array> {
    const logits = tf.tidy(() => this.forward(batchTensors(batch)));
    try {
      return (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
  }

  /** HF-named safetensors bytes of all weights. Reads synchronously: on GPU backends prefer toSafetensorsAsync. */
  toSafetensors(): Uint8Array {
    return this.serialise(this.parameters.map((p) => p.variable.dataSync() as Float32Array));
  }

  /** Same bytes as toSafetensors, reading the weights back from the device without blocking. */
  async toSafetensorsAsync(): Promise<Uint8Array> {
    const values: Float32Array[] = [];
    for (const p of this.parameters) values.push((await p.variable.data()) as Float32Array);
    return this.serialise(values);
  }

  dispose(): void {
    for (const p of this.parameters) p.variable.dispose();
  }

  private serialise(values: Float32Array[]): Uint8Array {
    const entries: Record<string, SafetensorsEntry> = {};
    this.parameters.forEach((p, i) => {
      entries[p.hfName] = { dtype: 'F32', shape: p.variable.shape, data: values[i] };
    });
    return writeSafetensors(entries, { format: 'pt' });
  }
}

export async function loadSequenceClassifier(
  files: ModelFiles,
  opts: LoadOptions & { onProgress?: (p: { stage: string; loaded?: number; total?: number }) => void } = {},
): Promise<SequenceClassifier> {
  opts.onProgress?.({ stage: 'config' });
  const configJson = await fetchJson(files, 'config.json');
  opts.onProgress?.({ stage: 'weights' });
  const progress = (loaded: number, total: number) => opts.onProgress?.({ stage: 'variables', loaded, total });
  // Where the files can be read in parts (stored checkpoints, the CLI's output), one tensor at a time; the config
  // is checked first, so an unsupported model is refused before any weight is read.
  if (files.openFile) {
    const config = parseEncoderConfig(configJson);
    const opened = await openSafetensorsIn(files, 'model.safetensors').catch((error: Error) => {
      if (error instanceof MissingFileError && error.fileName === 'model.safetensors') return null;
      throw error;
    });
    if (opened) return buildClassifierReading(config, opened, `model.safetensors of ${files.describe}`, opts.seed, progress);
  }
  const { bytes, file } = await fetchWeights(files);
  return buildClassifier(configJson, bytes, `${file} of ${files.describe}`, opts.seed, progress);
}

export function sequenceClassifierFromBuffers(configJson: unknown, safetensors: ArrayBuffer, opts: LoadOptions = {}): SequenceClassifier {
  return buildClassifier(configJson, safetensors, 'model.safetensors', opts.seed);
}

/** What a checkpoint holding `names` supplies for each parameter of the config's model. */
function planParameters(config: EncoderConfig, names: Iterable<string>, source: string) {
  const specs = parameterSpecs(config);
  return { config, specs, resolution: resolveCheckpointNames(config, specs, names, source) };
}

function newParameter(spec: ParameterSpec, values: Float32Array): NamedParameter {
  const variable = tf.tidy(() => tf.variable(tf.tensor(values, spec.shape, 'float32'), true));
  return { hfName: spec.hfName, variable, trainable: true };
}

function classifierOf(plan: ReturnType<typeof planParameters>, parameters: NamedParameter[], seed: number): SequenceClassifier {
  return new SequenceClassifier(plan.config, parameters, { initialised: plan.resolution.missingHead, ignored: plan.resolution.ignored }, seed);
}

/**
 * One variable per parameter, created from a view into the file where possible, so loading never holds
 * a second full copy of the weights.
 */
function buildClassifier(configJson: unknown, bytes: ArrayBuffer, source: string, seed = DEFAULT_INIT_SEED, progress?: (loaded: number, total: number) => void): SequenceClassifier {
  // The config first: an unsupported model is refused before any weight is read.
  const config = parseEncoderConfig(configJson);
  const file = readSafetensors(bytes, source);
  const plan = planParameters(config, file.tensors.keys(), source);
  const parameters: NamedParameter[] = [];
  try {
    plan.specs.forEach((spec, index) => {
      const name = plan.resolution.sources.get(spec.hfName);
      parameters.push(newParameter(spec, name === undefined ? initialHeadValues(spec, plan.config, seed) : (checkTensor(file.tensors.get(name)!, spec, source), tensorToFloat32(file, name))));
      progress?.(index + 1, plan.specs.length);
    });
  } catch (error) {
    for (const p of parameters) p.variable.dispose();
    throw error;
  }
  return classifierOf(plan, parameters, seed);
}

/** The same from a file read a tensor at a time: the most held beside the variables is one tensor. */
async function buildClassifierReading(config: EncoderConfig, file: OpenedSafetensors, source: string, seed = DEFAULT_INIT_SEED, progress?: (loaded: number, total: number) => void): Promise<SequenceClassifier> {
  const plan = planParameters(config, file.tensors.keys(), source);
  const parameters: NamedParameter[] = [];
  try {
    for (const [index, spec] of plan.specs.entries()) {
      const name = plan.resolution.sources.get(spec.hfName);
      parameters.push(newParameter(spec, name === undefined ? initialHeadValues(spec, plan.config, seed) : (checkTensor(file.tensors.get(name)!, spec, source), await file.readFloat32(name))));
      progress?.(index + 1, plan.specs.length);
    }
  } catch (error) {
    for (const p of parameters) p.variable.dispose();
    throw error;
  }
  return classifierOf(plan, parameters, seed);
}

function checkTensor(info: SafetensorsTensorInfo, spec: ParameterSpec, source: string): void {
  const sameShape = info.shape.length === spec.shape.length && info.shape.every((d, i) => d === spec.shape[i]);
  if (!sameShape) {
    throw new Error(`${source}: tensor ${info.name} has shape [${info.shape.join(', ')}] but ${spec.hfName} needs [${spec.shape.join(', ')}]; config.json and the weights do not match`);
  }
  if (!isFloatDtype(info.dtype)) throw new Error(`${source}: tensor ${info.name} has dtype ${info.dtype}; a weight must be F32, F16, BF16 or F64`);
}

/** HF's _init_weights for Linear layers: weight ~ normal(0, initializer_range), bias 0. One stream per name, so order does not matter. */
function initialHeadValues(spec: ParameterSpec, config: EncoderConfig, seed: number): Float32Array {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.hfName.endsWith('.bias')) return new Float32Array(count);
  return new SeededRandom(`${seed}:${spec.hfName}`).normalArray(count, 0, config.initializerRange);
}
