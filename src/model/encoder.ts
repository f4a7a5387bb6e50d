/**
 * The forward pass of BERT, DistilBERT and XLM-R/RoBERTa sequence classifiers, written with plain
 * tfjs-core ops (differentiable, and all present on the cpu, webgl and webgpu backends).
 * Weights are looked up by their Hugging Face names; Linear weights are `[out, in]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededDropout } from './dropout.ts';
import { fusedGelu, fusedLayerNorm } from '../backend/fused-ops.ts';
import { embeddingLookup } from './embedding.ts';
import type { Activation, EncoderConfig } from './config.ts';
import { modelModules, type HeadLinear, type LayerModules, type ModelModules } from './architecture.ts';

export type WeightLookup = (hfName: string) => tf.Tensor;

export interface ForwardInputs {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds?: tf.Tensor2D;
}

export interface DropoutControl {
  training: boolean;
  /** Each dropout site draws its mask from `${seed}/${site}`, so a forward pass is reproducible. */
  seed: string;
}

/** Masked keys get this added to their scores: softmax weight exactly 0 in float32, no -Infinity to make NaNs. */
const MASKED_SCORE = -1e9;

export function sequenceClassifierLogits(config: EncoderConfig, w: WeightLookup, inputs: ForwardInputs, dropout: DropoutControl): tf.Tensor2D {
  const drop = dropper(dropout);
  return headLogits(config, w, frozenFeatures(config, w, inputs, drop), drop);
}

/**
 * What feature-extraction keeps frozen, per example: the input of the `classifier*` parameters (BERT's pooled
 * output, DistilBERT's pre-classifier output, RoBERTa's first token). [batch, hidden].
 */
export function headFeatures(config: EncoderConfig, w: WeightLookup, inputs: ForwardInputs, dropout: DropoutControl): tf.Tensor2D {
  return frozenFeatures(config, w, inputs, dropper(dropout));
}

/** The classifier head (the `classifier*` parameters) on headFeatures: logits [batch, numLabels]. */
export function headLogitsFromFeatures(config: EncoderConfig, w: WeightLookup, features: tf.Tensor2D, dropout: DropoutControl): tf.Tensor2D {
  return headLogits(config, w, features, dropper(dropout));
}

type Drop = (x: tf.Tensor, rate: number) => tf.Tensor;

/** Each dropout site in call order gets its own seeded stream. */
function dropper(dropout: DropoutControl): Drop {
  let site = 0;
  return (x, rate) => (dropout.training && rate > 0 ? seededDropout(x, rate, `${dropout.seed}/${site++}`) : x);
}

function frozenFeatures(config: EncoderConfig, w: WeightLookup, inputs: ForwardInputs, drop: Drop): tf.Tensor2D {
  const [batch, seqLen] = inputs.inputIds.shape;
  const keyMask = tf.reshape(tf.mul(tf.sub(1, tf.cast(inputs.attentionMask, 'float32')), MASKED_SCORE), [batch, 1, 1, seqLen]);
  const modules = modelModules(config);
  let hidden = embeddings(config, modules, w, inputs, drop);

  for (const layer of modules.layers) {
    const attended = selfAttention(config, w, hidden, keyMask, batch, seqLen, drop, layer);
    const attentionOut = linear(attended, w, layer.attentionOut);
    const normed = layerNorm(tf.add(layer.attentionOutDropout ? drop(attentionOut, config.hiddenDropout) : attentionOut, hidden), w, layer.attentionNorm, config.layerNormEps);
    const intermediate = activate(linear(normed, w, layer.ffnIn), config.hiddenAct);
    const output = drop(linear(intermediate, w, layer.ffnOut), config.hiddenDropout);
    hidden = layerNorm(tf.add(output, normed), w, layer.outputNorm, config.layerNormEps);
  }

  // hidden is [batch * seqLen, hiddenSize]; the heads read the first token of each sequence.
  const sequences = tf.reshape(hidden, [batch, seqLen, config.hiddenSize]);
  const firstToken = tf.reshape(tf.slice(sequences, [0, 0, 0], [batch, 1, config.hiddenSize]), [batch, config.hiddenSize]);
  return modules.features ? headActivation(linear(firstToken, w, modules.features.name), modules.features.activation) : firstToken as tf.Tensor2D;
}

function headLogits(config: EncoderConfig, w: WeightLookup, features: tf.Tensor2D, drop: Drop): tf.Tensor2D {
  let x = features;
  for (const layer of modelModules(config).classifier) x = headActivation(linear(drop(x, config.classifierDropout), w, layer.name), layer.activation);
  return x;
}

function headActivation(x: tf.Tensor2D, activation: HeadLinear['activation']): tf.Tensor2D {
  return activation === 'tanh' ? tf.tanh(x) : activation === 'relu' ? tf.relu(x) : x;
}

/** Word + position (+ token type) embeddings, LayerNorm, dropout; returns [batch * seqLen, hidden]. */
function embeddings(config: EncoderConfig, modules: ModelModules, w: WeightLookup, inputs: ForwardInputs, drop: (x: tf.Tensor, rate: number) => tf.Tensor): tf.Tensor2D {
  const [batch, seqLen] = inputs.inputIds.shape;
  const flatIds = tf.reshape(inputs.inputIds, [batch * seqLen]);
  let sum = embeddingLookup(w(`${modules.wordEmbeddings}.weight`) as tf.Tensor2D, flatIds as tf.Tensor1D);

  let positions: tf.Tensor1D;
  if (config.architecture === 'roberta') {
    // architecture.ts's positionIds rule, on the device: cumsum(ids != pad) * (ids != pad) + pad. Done in float:
    // webgpu lacks int cumsum.
    const notPad = tf.cast(tf.notEqual(inputs.inputIds, config.padTokenId), 'float32');
    positions = tf.reshape(tf.cast(tf.add(tf.mul(tf.cumsum(notPad, 1), notPad), config.padTokenId), 'int32'), [batch * seqLen]);
  } else {
    positions = tf.tile(tf.range(0, seqLen, 1, 'int32'), [batch]) as tf.Tensor1D;
  }
  sum = tf.add(sum, embeddingLookup(w(`${modules.positionEmbeddings}.weight`) as tf.Tensor2D, positions));

  if (modules.tokenTypeEmbeddings && config.architecture === 'bert' && inputs.tokenTypeIds) {
    sum = tf.add(sum, embeddingLookup(w(`${modules.tokenTypeEmbeddings}.weight`) as tf.Tensor2D, tf.reshape(inputs.tokenTypeIds, [batch * seqLen]) as tf.Tensor1D));
  } else if (modules.tokenTypeEmbeddings) {
    // No token types given (or XLM-R, whose only type is 0): every token has type 0.
    sum = tf.add(sum, tf.slice(w(`${modules.tokenTypeEmbeddings}.weight`), [0, 0], [1, config.hiddenSize]));
  }
  return drop(layerNorm(sum, w, modules.embeddingNorm, config.layerNormEps), config.hiddenDropout) as tf.Tensor2D;
}

function selfAttention(
  config: EncoderConfig, w: WeightLookup, hidden: tf.Tensor2D, keyMask: tf.Tensor, batch: number, seqLen: number,
  drop: (x: tf.Tensor, rate: number) => tf.Tensor, names: Pick<LayerModules, 'query' | 'key' | 'value'>,
): tf.Tensor2D {
  const heads = config.numHeads;
  const headSize = config.hiddenSize / heads;
  const split = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [batch, seqLen, heads, headSize]), [0, 2, 1, 3]);
  const query = split(linear(hidden, w, names.query));
  const key = split(linear(hidden, w, names.key));
  const value = split(linear(hidden, w, names.value));
  const scores = tf.add(tf.mul(tf.matMul(query, key, false, true), 1 / Math.sqrt(headSize)), keyMask);
  const probabilities = drop(tf.softmax(scores, -1), config.attentionDropout);
  const context = tf.matMul(probabilities, value);
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * seqLen, config.hiddenSize]);
}

/** x [n, in] · W[out, in]ᵀ + b. */
function linear(x: tf.Tensor, w: WeightLookup, name: string): tf.Tensor2D {
  return tf.fused.matMul({ a: x as tf.Tensor2D, b: w(`${name}.weight`) as tf.Tensor2D, transposeB: true, bias: w(`${name}.bias`) }) as tf.Tensor2D;
}

function layerNorm(x: tf.Tensor, w: WeightLookup, name: string, eps: number): tf.Tensor2D {
  const fused = fusedLayerNorm(x, w(`${name}.weight`), w(`${name}.bias`), eps);
  if (fused) return fused as tf.Tensor2D;
  const { mean, variance } = tf.moments(x, -1, true);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normalised, w(`${name}.weight`)), w(`${name}.bias`)) as tf.Tensor2D;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'gelu':
      return (fusedGelu(x) as tf.Tensor2D | null) ?? tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'gelu_tanh': {
      const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner))) as tf.Tensor2D;
    }
  }
}
