// Randomly initialised checkpoints with the reference models' exact shapes, in the Hub's layout (config.json,
// model.safetensors under the *ForSequenceClassification names, the fixtures' tokenizer files): a 711 MB
// mBERT-shaped folder takes a few seconds to write, tensor by tensor, never whole in memory.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseEncoderConfig } from '../../src/model/config.ts';
import { parameterSpecs } from '../../src/model/weights.ts';
import { rawBytes, safetensorsLayout } from '../../src/model/safetensors.ts';
import { CLASSIFIER_ARCHITECTURES } from '../../src/model/architecture.ts';
import { tokenizerFixtures } from '../fixtures/tokenizers.ts';

const LABELS = { id2label: { 0: 'entailment', 1: 'neutral', 2: 'contradiction' }, label2id: { entailment: 0, neutral: 1, contradiction: 2 } };

/** config.json of each reference model as on the Hub (the fields that size it), with XNLI's three labels. */
export const REFERENCE_SHAPES = {
  'bert-base-multilingual-cased': {
    model_type: 'bert', vocab_size: 119547, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
    max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    layer_norm_eps: 1e-12, pad_token_id: 0, initializer_range: 0.02,
  },
  'bert-base-multilingual-uncased': {
    model_type: 'bert', vocab_size: 105879, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
    max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    layer_norm_eps: 1e-12, pad_token_id: 0, initializer_range: 0.02,
  },
  'xlm-roberta-base': {
    model_type: 'xlm-roberta', vocab_size: 250002, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
    max_position_embeddings: 514, type_vocab_size: 1, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    layer_norm_eps: 1e-5, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, initializer_range: 0.02,
  },
  'distilbert-base-multilingual-cased': {
    model_type: 'distilbert', vocab_size: 119547, dim: 768, n_layers: 6, n_heads: 12, hidden_dim: 3072, max_position_embeddings: 512,
    activation: 'gelu', dropout: 0.1, attention_dropout: 0.1, seq_classif_dropout: 0.2, pad_token_id: 0, initializer_range: 0.02,
  },
} as const;

export type ReferenceShape = keyof typeof REFERENCE_SHAPES;

/** xorshift32 → uniform(-a, a) with a·√3 = 0.02: the spread of HF's initializer, at memory speed. */
function fillRandom(values: Float32Array, seed: number, std: number): void {
  let state = seed >>> 0 || 1;
  const scale = (std * Math.sqrt(3) * 2) / 4294967296;
  for (let i = 0; i < values.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[i] = (state >>> 0) * scale - std * Math.sqrt(3);
  }
}

/** Writes the model folder; returns the size of model.safetensors. LayerNorm weights are 1, biases 0. */
export async function writeReferenceShapedModel(dir: string, shape: ReferenceShape): Promise<number> {
  return writeShapedModel(dir, REFERENCE_SHAPES[shape]);
}

/** The same for any config.json (the bench's shapes, for one): random weights, the fixtures' tokenizer files. */
export async function writeShapedModel(dir: string, configJson: Record<string, unknown>): Promise<number> {
  const json = { ...configJson, ...LABELS };
  const config = parseEncoderConfig(json);
  const specs = parameterSpecs(config);
  const layout = safetensorsLayout(specs.map((spec) => ({ name: spec.hfName, dtype: 'F32' as const, shape: spec.shape })));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify({ ...json, architectures: [CLASSIFIER_ARCHITECTURES[config.modelType]] }, null, 2)}\n`);
  const tokenizer = tokenizerFixtures()[config.modelType === 'xlm-roberta' ? 'unigram' : 'wordpiece-cased'];
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer['tokenizer.json']));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizer['tokenizer_config.json']));
  const out = createWriteStream(join(dir, 'model.safetensors'));
  const write = async (bytes: Uint8Array) => {
    if (!out.write(bytes)) await once(out, 'drain');
  };
  await write(layout.header);
  let seed = 1;
  for (const tensor of layout.order) {
    const values = new Float32Array(tensor.byteLength / 4);
    const isNorm = /LayerNorm|layer_norm/.test(tensor.name);
    if (isNorm) values.fill(tensor.name.endsWith('.weight') ? 1 : 0);
    else if (!tensor.name.endsWith('.bias')) fillRandom(values, seed++, config.initializerRange);
    await write(rawBytes(values));
  }
  out.end();
  await once(out, 'finish');
  return layout.totalBytes;
}
