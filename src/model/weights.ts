/** Which parameters each architecture has, under their Hugging Face names, and how checkpoint names map onto them. */
import type { EncoderConfig } from './config.ts';
import { BASE_MODEL_PREFIX, modelModules } from './architecture.ts';

export { BASE_MODEL_PREFIX };

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
  const modules = modelModules(config);
  const add = (role: ParameterSpec['role'], hfName: string, ...shape: number[]) => specs.push({ hfName, shape, role });
  const linear = (role: ParameterSpec['role'], name: string, out: number, inp: number) => {
    add(role, `${name}.weight`, out, inp);
    add(role, `${name}.bias`, out);
  };
  const norm = (name: string) => {
    add('encoder', `${name}.weight`, h);
    add('encoder', `${name}.bias`, h);
  };

  add('encoder', `${modules.wordEmbeddings}.weight`, config.vocabSize, h);
  add('encoder', `${modules.positionEmbeddings}.weight`, config.maxPositionEmbeddings, h);
  if (modules.tokenTypeEmbeddings) add('encoder', `${modules.tokenTypeEmbeddings}.weight`, config.typeVocabSize, h);
  norm(modules.embeddingNorm);
  for (const layer of modules.layers) {
    for (const proj of [layer.query, layer.key, layer.value, layer.attentionOut]) linear('encoder', proj, h, h);
    norm(layer.attentionNorm);
    linear('encoder', layer.ffnIn, config.intermediateSize, h);
    linear('encoder', layer.ffnOut, h, config.intermediateSize);
    norm(layer.outputNorm);
  }
  // BERT's pooler is pretrained in BERT checkpoints; HF initialises it like the head when a checkpoint lacks it.
  if (modules.features) linear('head', modules.features.name, h, h);
  modules.classifier.forEach((layer, i) => linear('head', layer.name, i === modules.classifier.length - 1 ? config.numLabels : h, h));
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
