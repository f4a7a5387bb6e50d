/** Hugging Face config.json → one normalised encoder description for the three supported families. */
import { XNLI_LABELS } from '../data/xnli-facts.ts';

export const SUPPORTED_MODEL_TYPES = ['bert', 'distilbert', 'xlm-roberta', 'roberta'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/** The code path: XLM-R and RoBERTa share one architecture. */
export type Architecture = 'bert' | 'distilbert' | 'roberta';

/** `gelu`: exact (erf); `gelu_tanh`: the tanh approximation (HF gelu_new / gelu_pytorch_tanh / gelu_fast). */
export type Activation = 'gelu' | 'gelu_tanh' | 'relu';


export interface EncoderConfig {
  modelType: ModelType;
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** 0 for DistilBERT, which has no token type embeddings. */
  typeVocabSize: number;
  layerNormEps: number;
  hiddenAct: Activation;
  hiddenDropout: number;
  attentionDropout: number;
  /** Dropout in the head: BERT/XLM-R `classifier_dropout ?? hidden_dropout_prob`, DistilBERT `seq_classif_dropout`. */
  classifierDropout: number;
  numLabels: number;
  id2label: string[];
  padTokenId: number;
  initializerRange: number;
  /** The config.json as read, for tracking parameters and export. */
  raw: Record<string, unknown>;
}

export function parseEncoderConfig(json: unknown, source = 'config.json'): EncoderConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${source} is not a JSON object`);
  const raw = json as Record<string, unknown>;
  const modelType = raw.model_type;
  if (!isSupportedModelType(modelType)) {
    throw new Error(`${source}: model_type ${JSON.stringify(modelType)} is not supported; supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const int = (key: string, fallback?: number) => readNumber(raw, key, source, fallback, true);
  const num = (key: string, fallback?: number) => readNumber(raw, key, source, fallback, false);
  const labels = readLabels(raw);
  const common = { raw, numLabels: labels.length, id2label: labels, initializerRange: num('initializer_range', 0.02) };

  if (modelType === 'distilbert') {
    const hidden = int('dim', 768);
    const dropout = num('dropout', 0.1);
    return {
      ...common, modelType, architecture: 'distilbert',
      vocabSize: int('vocab_size', 30522), hiddenSize: hidden, numLayers: int('n_layers', 6), numHeads: int('n_heads', 12),
      intermediateSize: int('hidden_dim', 3072), maxPositionEmbeddings: int('max_position_embeddings', 512), typeVocabSize: 0,
      layerNormEps: 1e-12, hiddenAct: readActivation(raw.activation ?? 'gelu', 'activation', source),
      hiddenDropout: dropout, attentionDropout: num('attention_dropout', 0.1), classifierDropout: num('seq_classif_dropout', 0.2),
      padTokenId: int('pad_token_id', 0),
    };
  }
  const positionType = raw.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new Error(`${source}: position_embedding_type ${JSON.stringify(positionType)} is not supported; only "absolute" position embeddings are implemented`);
  }
  const isRoberta = modelType === 'xlm-roberta' || modelType === 'roberta';
  const hiddenDropout = num('hidden_dropout_prob', 0.1);
  const classifierDropout = raw.classifier_dropout === null || raw.classifier_dropout === undefined ? hiddenDropout : num('classifier_dropout');
  return {
    ...common, modelType, architecture: isRoberta ? 'roberta' : 'bert',
    vocabSize: int('vocab_size', isRoberta ? 50265 : 30522), hiddenSize: int('hidden_size', 768), numLayers: int('num_hidden_layers', 12),
    numHeads: int('num_attention_heads', 12), intermediateSize: int('intermediate_size', 3072),
    maxPositionEmbeddings: int('max_position_embeddings', 512), typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12), hiddenAct: readActivation(raw.hidden_act ?? 'gelu', 'hidden_act', source),
    hiddenDropout, attentionDropout: num('attention_probs_dropout_prob', 0.1), classifierDropout,
    padTokenId: int('pad_token_id', isRoberta ? 1 : 0),
  };
}

function isSupportedModelType(value: unknown): value is ModelType {
  return typeof value === 'string' && (SUPPORTED_MODEL_TYPES as readonly string[]).includes(value);
}

function readNumber(raw: Record<string, unknown>, key: string, source: string, fallback: number | undefined, integer: boolean): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new Error(`${source}: ${key} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(raw[key])}`);
  }
  return value;
}

function readActivation(value: unknown, key: string, source: string): Activation {
  switch (value) {
    case 'gelu': return 'gelu';
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': return 'gelu_tanh';
    case 'relu': return 'relu';
    default:
      throw new Error(`${source}: ${key} ${JSON.stringify(value)} is not supported; use gelu, gelu_new, gelu_pytorch_tanh or relu`);
  }
}

/**
 * Label names. HF's default names (LABEL_0, LABEL_1, ...) mean "not set": an unset 2-label default
 * becomes XNLI's three labels; a default-named list of another length keeps its count.
 */
function readLabels(raw: Record<string, unknown>): string[] {
  const map = raw.id2label;
  if (!map || typeof map !== 'object') return [...XNLI_LABELS];
  const entries = Object.entries(map as Record<string, unknown>);
  const labels: string[] = [];
  for (const [id, name] of entries) {
    const index = Number(id);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length) return [...XNLI_LABELS];
    labels[index] = String(name);
  }
  const isDefault = labels.every((name, i) => name === `LABEL_${i}`);
  if (!isDefault) return labels;
  if (labels.length === 2 || labels.length === 3) return [...XNLI_LABELS];
  return labels;
}
