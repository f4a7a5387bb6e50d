/**
 * Where each architecture keeps its parameters, under their Hugging Face module names (a name + `.weight` /
 * `.bias` is a parameter). The one place that knows them: the weight specs (weights.ts), the tfjs forward pass
 * (encoder.ts) and the WebGPU engine all read the network's layout from here.
 */
import type { Architecture, EncoderConfig } from './config.ts';

export const BASE_MODEL_PREFIX: Record<Architecture, string> = { bert: 'bert', distilbert: 'distilbert', roberta: 'roberta' };

/** The transformers class a trained checkpoint's config.json names, by model_type. */
export const CLASSIFIER_ARCHITECTURES: Record<string, string> = {
  bert: 'BertForSequenceClassification',
  distilbert: 'DistilBertForSequenceClassification',
  'xlm-roberta': 'XLMRobertaForSequenceClassification',
  roberta: 'RobertaForSequenceClassification',
};

/** Positions a model can embed, from its config.json: RoBERTa-style models start counting after the pad index, losing two. */
export function modelMaxPositions(modelConfig: { max_position_embeddings?: unknown; model_type?: unknown } | undefined): number | undefined {
  const positions = modelConfig?.max_position_embeddings;
  if (typeof positions !== 'number') return undefined;
  return modelConfig?.model_type === 'roberta' || modelConfig?.model_type === 'xlm-roberta' ? positions - 2 : positions;
}

export interface LayerModules {
  query: string;
  key: string;
  value: string;
  attentionOut: string;
  /** LayerNorm after attention (DistilBERT's sa_layer_norm). */
  attentionNorm: string;
  ffnIn: string;
  ffnOut: string;
  outputNorm: string;
  /** BERT and RoBERTa drop out the attention output; DistilBERT does not. */
  attentionOutDropout: boolean;
}

/** A Linear layer of the head, with the activation after it; classifier dropout comes before each one. */
export interface HeadLinear {
  name: string;
  activation: 'tanh' | 'relu' | null;
}

export interface ModelModules {
  wordEmbeddings: string;
  positionEmbeddings: string;
  /** null for DistilBERT, which has none. */
  tokenTypeEmbeddings: string | null;
  embeddingNorm: string;
  layers: LayerModules[];
  /**
   * From the first token to what feature-extraction keeps frozen: BERT's pooler (tanh), DistilBERT's
   * pre_classifier (ReLU), nothing for RoBERTa (its features are the first token itself). Not dropped out.
   */
  features: HeadLinear | null;
  /** The `classifier*` parameters, from the features to the logits. */
  classifier: HeadLinear[];
}

export function modelModules(config: EncoderConfig): ModelModules {
  const layers = Array.from({ length: config.numLayers }, (_, i): LayerModules => {
    if (config.architecture === 'distilbert') {
      const layer = `distilbert.transformer.layer.${i}`;
      return {
        query: `${layer}.attention.q_lin`, key: `${layer}.attention.k_lin`, value: `${layer}.attention.v_lin`,
        attentionOut: `${layer}.attention.out_lin`, attentionNorm: `${layer}.sa_layer_norm`,
        ffnIn: `${layer}.ffn.lin1`, ffnOut: `${layer}.ffn.lin2`, outputNorm: `${layer}.output_layer_norm`, attentionOutDropout: false,
      };
    }
    const layer = `${BASE_MODEL_PREFIX[config.architecture]}.encoder.layer.${i}`;
    return {
      query: `${layer}.attention.self.query`, key: `${layer}.attention.self.key`, value: `${layer}.attention.self.value`,
      attentionOut: `${layer}.attention.output.dense`, attentionNorm: `${layer}.attention.output.LayerNorm`,
      ffnIn: `${layer}.intermediate.dense`, ffnOut: `${layer}.output.dense`, outputNorm: `${layer}.output.LayerNorm`, attentionOutDropout: true,
    };
  });
  const prefix = BASE_MODEL_PREFIX[config.architecture];
  const embeddings = {
    wordEmbeddings: `${prefix}.embeddings.word_embeddings`,
    positionEmbeddings: `${prefix}.embeddings.position_embeddings`,
    tokenTypeEmbeddings: config.architecture === 'distilbert' ? null : `${prefix}.embeddings.token_type_embeddings`,
    embeddingNorm: `${prefix}.embeddings.LayerNorm`,
  };
  switch (config.architecture) {
    case 'bert':
      return { ...embeddings, layers, features: { name: 'bert.pooler.dense', activation: 'tanh' }, classifier: [{ name: 'classifier', activation: null }] };
    case 'distilbert':
      return { ...embeddings, layers, features: { name: 'pre_classifier', activation: 'relu' }, classifier: [{ name: 'classifier', activation: null }] };
    case 'roberta':
      return { ...embeddings, layers, features: null, classifier: [{ name: 'classifier.dense', activation: 'tanh' }, { name: 'classifier.out_proj', activation: null }] };
  }
}

/**
 * Position ids of one sequence: 0, 1, 2, ... for BERT and DistilBERT; RoBERTa numbers real tokens from
 * padding_idx + 1 and gives padding the padding index (cumsum(ids != pad) * (ids != pad) + pad).
 */
export function positionIds(config: EncoderConfig, inputIds: ArrayLike<number>, seqLen: number): Int32Array {
  const out = new Int32Array(inputIds.length);
  for (let start = 0; start < inputIds.length; start += seqLen) {
    let real = 0;
    for (let t = 0; t < seqLen; t++) {
      if (config.architecture !== 'roberta') out[start + t] = t;
      else if (inputIds[start + t] !== config.padTokenId) out[start + t] = config.padTokenId + ++real;
      else out[start + t] = config.padTokenId;
    }
  }
  return out;
}
