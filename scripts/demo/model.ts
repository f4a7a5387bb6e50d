/**
 * The demo encoder: a tiny BERT with Hugging Face's initialisation (normal(0, 0.02) matrices, zero biases,
 * unit LayerNorms), except for its embedding tables, which are larger, and its word embeddings, which are
 * tied across languages through the lexicon: every word gets the mean vector of the concepts it renders,
 * plus a little noise. A multilingual model learns such an alignment in pretraining; here it is given by
 * construction, so that a classifier trained on English has something to transfer.
 */
import { SeededRandom } from '../../src/train/rng.ts';
import type { SafetensorsEntry } from '../../src/model/safetensors.ts';

export const DEMO_ARCHITECTURE = {
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 128,
  maxPositions: 64,
  typeVocabSize: 2,
  initializerRange: 0.02,
  /**
   * Std of the embedding tables (words, positions, token types): far above HF's 0.02 so that fine-tuning at
   * the demo's learning rate moves an English word only a little away from its tied translations. At 0.02
   * an English-trained model stayed at chance (33%) on the other languages; at 0.5 it transfers part-way.
   */
  embeddingScale: 0.5,
  /** Per-word noise on top of the shared concept vector, relative to the vectors' scale. */
  alignmentNoise: 0.1,
} as const;

const LABELS = ['entailment', 'neutral', 'contradiction'];

export function modelConfigJson(vocabSize: number): Record<string, unknown> {
  const a = DEMO_ARCHITECTURE;
  return {
    architectures: ['BertForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: a.hiddenSize,
    id2label: Object.fromEntries(LABELS.map((label, i) => [String(i), label])),
    initializer_range: a.initializerRange,
    intermediate_size: a.intermediateSize,
    label2id: Object.fromEntries(LABELS.map((label, i) => [label, i])),
    layer_norm_eps: 1e-12,
    max_position_embeddings: a.maxPositions,
    model_type: 'bert',
    num_attention_heads: a.numHeads,
    num_hidden_layers: a.numLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: a.typeVocabSize,
    vocab_size: vocabSize,
  };
}

class Gaussian {
  private readonly rng: SeededRandom;
  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
  }
  /** Box-Muller with one value per pair of uniforms: simple, and the stream never depends on call parity. */
  sample(): number {
    const u = 1 - this.rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rng.next());
  }
  fill(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = std * this.sample();
    return out;
  }
}

/**
 * Word vectors: concept vectors drawn in sorted concept order, each word the mean of its concepts plus
 * noise; words without a concept (the special tokens) are plain random, and [PAD] (row 0) is zero as in HF.
 */
export function alignedWordEmbeddings(vocabulary: string[], conceptsOfWord: ReadonlyMap<string, ReadonlySet<string>>, seed: number): Float32Array {
  const { hiddenSize: h, embeddingScale, alignmentNoise } = DEMO_ARCHITECTURE;
  const gaussian = new Gaussian(seed);
  const concepts = [...new Set([...conceptsOfWord.values()].flatMap((set) => [...set]))].sort();
  const conceptVectors = new Map(concepts.map((c) => [c, gaussian.fill(h, embeddingScale)]));
  const out = new Float32Array(vocabulary.length * h);
  vocabulary.forEach((word, row) => {
    const own = conceptsOfWord.get(word);
    const noise = gaussian.fill(h, own ? alignmentNoise * embeddingScale : embeddingScale);
    if (row === 0) return;
    const vector = out.subarray(row * h, (row + 1) * h);
    vector.set(noise);
    if (!own) return;
    for (const concept of [...own].sort()) {
      const shared = conceptVectors.get(concept)!;
      for (let i = 0; i < h; i++) vector[i] += shared[i] / own.size;
    }
  });
  return out;
}

/** Every weight of BertForSequenceClassification under its Hugging Face name. */
export function demoWeights(wordEmbeddings: Float32Array, vocabSize: number, seed: number): Record<string, SafetensorsEntry> {
  const { hiddenSize: h, numLayers, intermediateSize, maxPositions, typeVocabSize, initializerRange, embeddingScale } = DEMO_ARCHITECTURE;
  const gaussian = new Gaussian(seed);
  const entries: Record<string, SafetensorsEntry> = {};
  const normal = (name: string, shape: number[], std: number = initializerRange) => {
    entries[name] = { dtype: 'F32', shape, data: gaussian.fill(shape[0] * shape[1], std) };
  };
  const filled = (name: string, size: number, value: number) => {
    entries[name] = { dtype: 'F32', shape: [size], data: new Float32Array(size).fill(value) };
  };
  const linear = (prefix: string, outSize: number, inSize: number) => {
    normal(`${prefix}.weight`, [outSize, inSize]);
    filled(`${prefix}.bias`, outSize, 0);
  };
  const layerNorm = (prefix: string) => {
    filled(`${prefix}.weight`, h, 1);
    filled(`${prefix}.bias`, h, 0);
  };
  entries['bert.embeddings.word_embeddings.weight'] = { dtype: 'F32', shape: [vocabSize, h], data: wordEmbeddings };
  normal('bert.embeddings.position_embeddings.weight', [maxPositions, h], embeddingScale);
  normal('bert.embeddings.token_type_embeddings.weight', [typeVocabSize, h], embeddingScale);
  layerNorm('bert.embeddings.LayerNorm');
  for (let layer = 0; layer < numLayers; layer++) {
    const p = `bert.encoder.layer.${layer}`;
    for (const part of ['query', 'key', 'value']) linear(`${p}.attention.self.${part}`, h, h);
    linear(`${p}.attention.output.dense`, h, h);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, intermediateSize, h);
    linear(`${p}.output.dense`, h, intermediateSize);
    layerNorm(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', h, h);
  linear('classifier', LABELS.length, h);
  return entries;
}
