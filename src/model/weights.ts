/** Which parameters each architecture has, under their Hugging Face names, and how checkpoint names map onto them. */
import type { Architecture, EncoderConfig } from './config.ts';

export const BASE_MODEL_PREFIX: Record<Architecture, string> = { bert: 'bert', distilbert: 'distilbert', roberta: 'roberta' };

export interface ParameterSpec {
  /** Full Hugging Face name as in a *ForSequenceClassification state dict, e.g. `bert.encoder.layer.0.output.dense.weight`. */
  hfName: string;
  /** Linear weights keep HF's `[out, in]` layout. */
  shape: number[];
  /**
   * `head`: may be absent from a pretrained checkpoint and is then initialised as HF does
   * (Linear weight normal(0, initializer_range), bias zero). Everything else is required.
   */
  role: 'encoder' | 'head';
}

export function parameterSpecs(config: EncoderConfig): ParameterSpec[] {
  const specs: ParameterSpec[] = [];
  const h = config.hiddenSize;
  const encoder = (hfName: string, ...shape: number[]) => specs.push({ hfName, shape, role: 'encoder' });
  const head = (hfName: string, ...shape: number[]) => specs.push({ hfName, shape, role: 'head' });
  const linear = (add: typeof encoder, name: string, out: number, inp: number) => {
    add(`${name}.weight`, out, inp);
    add(`${name}.bias`, out);
  };
  const norm = (name: string) => {
    encoder(`${name}.weight`, h);
    encoder(`${name}.bias`, h);
  };

  if (config.architecture === 'distilbert') {
    encoder('distilbert.embeddings.word_embeddings.weight', config.vocabSize, h);
    encoder('distilbert.embeddings.position_embeddings.weight', config.maxPositionEmbeddings, h);
    norm('distilbert.embeddings.LayerNorm');
    for (let i = 0; i < config.numLayers; i++) {
      const layer = `distilbert.transformer.layer.${i}`;
      for (const proj of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) linear(encoder, `${layer}.attention.${proj}`, h, h);
      norm(`${layer}.sa_layer_norm`);
      linear(encoder, `${layer}.ffn.lin1`, config.intermediateSize, h);
      linear(encoder, `${layer}.ffn.lin2`, h, config.intermediateSize);
      norm(`${layer}.output_layer_norm`);
    }
    linear(head, 'pre_classifier', h, h);
    linear(head, 'classifier', config.numLabels, h);
    return specs;
  }

  const prefix = BASE_MODEL_PREFIX[config.architecture];
  encoder(`${prefix}.embeddings.word_embeddings.weight`, config.vocabSize, h);
  encoder(`${prefix}.embeddings.position_embeddings.weight`, config.maxPositionEmbeddings, h);
  encoder(`${prefix}.embeddings.token_type_embeddings.weight`, config.typeVocabSize, h);
  norm(`${prefix}.embeddings.LayerNorm`);
  for (let i = 0; i < config.numLayers; i++) {
    const layer = `${prefix}.encoder.layer.${i}`;
    for (const proj of ['query', 'key', 'value']) linear(encoder, `${layer}.attention.self.${proj}`, h, h);
    linear(encoder, `${layer}.attention.output.dense`, h, h);
    norm(`${layer}.attention.output.LayerNorm`);
    linear(encoder, `${layer}.intermediate.dense`, config.intermediateSize, h);
    linear(encoder, `${layer}.output.dense`, h, config.intermediateSize);
    norm(`${layer}.output.LayerNorm`);
  }
  if (config.architecture === 'bert') {
    // The pooler is pretrained in BERT checkpoints; HF initialises it like the head when a checkpoint lacks it.
    linear(head, 'bert.pooler.dense', h, h);
    linear(head, 'classifier', config.numLabels, h);
  } else {
    linear(head, 'classifier.dense', h, h);
    linear(head, 'classifier.out_proj', config.numLabels, h);
  }
  return specs;
}

export interface NameResolution {
  /** Our parameter name → the checkpoint tensor that supplies it. */
  sources: Map<string, string>;
  /** Checkpoint tensors that no parameter uses (pretraining heads, position_ids buffers, RoBERTa's pooler...). */
  ignored: string[];
  /** Head parameters the checkpoint does not have: to be initialised. */
  missingHead: string[];
}

/**
 * Match checkpoint names to parameters the way `from_pretrained` does: legacy `.gamma`/`.beta` mean
 * `.weight`/`.bias`, and a base-model checkpoint (no `bert.`/`distilbert.`/`roberta.` prefix) gets the prefix added.
 * Throws naming the first required parameter that is missing.
 */
export function resolveCheckpointNames(config: EncoderConfig, specs: ParameterSpec[], checkpointNames: Iterable<string>, source: string): NameResolution {
  const wanted = new Set(specs.map((s) => s.hfName));
  const prefix = BASE_MODEL_PREFIX[config.architecture];
  const sources = new Map<string, string>();
  const ignored: string[] = [];
  for (const name of checkpointNames) {
    const modern = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    const target = wanted.has(modern) ? modern : wanted.has(`${prefix}.${modern}`) ? `${prefix}.${modern}` : null;
    if (target === null) {
      ignored.push(name);
      continue;
    }
    const earlier = sources.get(target);
    if (earlier !== undefined) throw new Error(`${source} has both ${earlier} and ${name}, which are the same parameter ${target}; remove one`);
    sources.set(target, name);
  }
  const missingHead: string[] = [];
  for (const spec of specs) {
    if (sources.has(spec.hfName)) continue;
    if (spec.role === 'head') {
      missingHead.push(spec.hfName);
      continue;
    }
    throw new Error(`${source} lacks the tensor ${spec.hfName} (shape [${spec.shape.join(', ')}]) that a ${config.modelType} encoder needs; is it a ${config.modelType} checkpoint matching config.json?`);
  }
  return { sources, ignored, missingHead };
}
