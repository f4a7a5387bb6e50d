/**
 * The demo encoder: a tiny BERT (2 layers, hidden size 64, 0.1M parameters) whose weights stand in for what
 * multilingual pretraining would give, by construction rather than by training:
 *
 * - Word embeddings tied across languages through the lexicon. Every concept (a subject, a verb, a place, the
 *   negation...) has a random vector; an English word is its concept's vector, and a word of another language is
 *   that vector turned away by a fixed angle: its cosine with the English word is TIE_COSINE[language]. The ties
 *   are graded the way mBERT's transfer is (best to languages close to English): close for German, French and
 *   Spanish, looser for Arabic and Chinese. A Chinese word is split into characters by BERT's tokenizer, and a
 *   character shared by several words (人 in 男人, 女人) gets the mean of their concepts: Chinese loses more.
 *   Fine-tuning on English moves only the English rows; the other languages keep their initial vectors and
 *   follow as far as their tie carries them. That is the zero-shot transfer gap the demo shows.
 * - Layer 0's attention heads compare words: query and key are one projection (orthogonal to the token-type
 *   vectors), so a token attends to the tokens whose vectors resemble its own, its copy in the other sentence
 *   above all, as the word-alignment heads of pretrained models do. Premise and hypothesis are always in one
 *   language, so this matching works in every language; what transfers imperfectly is what the words mean.
 *   In trials without these heads (752 steps at batch 16) the loss stayed near ln 3 for 250-450 steps (no label
 *   has a first-order cue) and English ended at 48-72%, varying with the seed.
 * - Everything else random: matrices normal(0, 0.1), zero biases, unit LayerNorms, word and token-type embeddings
 *   at std 0.5, position embeddings at 0.1. At Hugging Face's 0.02 the previous demo learned slowly (English 48-56%
 *   in 752 steps) and collapsed to one class at learning rates of 6e-3 and more. With positions as strong as the
 *   words (0.5) the model learned English's word positions: English reached only ~66% and the languages whose
 *   order differs fell far behind (Arabic, with no article, 26 points). The sentences are bags of slots; order is
 *   not what the demo is about.
 */
import { SeededRandom } from '../../src/train/rng.ts';
import type { SafetensorsEntry } from '../../src/model/safetensors.ts';
import type { Lang } from './lexicon.ts';

export const DEMO_ARCHITECTURE = {
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 128,
  maxPositions: 64,
  typeVocabSize: 2,
  /** Std of the random matrices (config.json's initializer_range). */
  initializerRange: 0.1,
  dropout: 0.1,
  /** Std of the word and token-type embeddings (per coordinate). */
  embeddingScale: 0.5,
  /** Std of the position embeddings. */
  positionScale: 0.1,
  /** Layer 0's query = key = this times a random projection with rows of unit expected norm. */
  matchScale: 1.7,
} as const;

/**
 * Cosine between a word and the English word of the same concept, by language: how well "pretraining" tied each
 * language to English. A word used by several languages (French and Spanish "La") takes its best tie.
 */
export const TIE_COSINE: Readonly<Record<Lang, number>> = { en: 1, de: 0.9, fr: 0.9, es: 0.9, ar: 0.7, zh: 0.7 };

const LABELS = ['entailment', 'neutral', 'contradiction'];

export function modelConfigJson(vocabSize: number): Record<string, unknown> {
  const a = DEMO_ARCHITECTURE;
  return {
    architectures: ['BertForSequenceClassification'],
    attention_probs_dropout_prob: a.dropout,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: a.dropout,
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

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

/** `v` minus its components along the unit vectors `basis`, in place. */
function orthogonalise(v: Float32Array, basis: readonly Float32Array[]): Float32Array {
  for (const b of basis) {
    const along = dot(v, b);
    for (let i = 0; i < v.length; i++) v[i] -= along * b[i]!;
  }
  return v;
}

function scaleTo(v: Float32Array, length: number): Float32Array {
  const factor = length / Math.sqrt(dot(v, v));
  for (let i = 0; i < v.length; i++) v[i] *= factor;
  return v;
}

/**
 * Word vectors: concept vectors drawn in sorted concept order; each word is cos·u + sin·w, scaled to the table's
 * norm, where u is the unit mean of its concepts' vectors, w a random unit vector orthogonal to u, and cos the
 * tie of its language. Words without a concept (the special tokens) are plain random; [PAD] (row 0) is zero as in HF.
 */
export function alignedWordEmbeddings(
  vocabulary: string[],
  conceptsOfWord: ReadonlyMap<string, ReadonlySet<string>>,
  languagesOfWord: ReadonlyMap<string, ReadonlySet<Lang>>,
  seed: number,
): Float32Array {
  const { hiddenSize: h, embeddingScale } = DEMO_ARCHITECTURE;
  const length = embeddingScale * Math.sqrt(h);
  const gaussian = new Gaussian(seed);
  const concepts = [...new Set([...conceptsOfWord.values()].flatMap((set) => [...set]))].sort();
  const conceptVectors = new Map(concepts.map((c) => [c, gaussian.fill(h, embeddingScale)]));
  const out = new Float32Array(vocabulary.length * h);
  vocabulary.forEach((word, row) => {
    const own = conceptsOfWord.get(word);
    const random = gaussian.fill(h, 1);
    if (row === 0) return;
    const vector = out.subarray(row * h, (row + 1) * h);
    if (!own) {
      vector.set(scaleTo(random, length));
      return;
    }
    const meaning = new Float32Array(h);
    for (const concept of [...own].sort()) {
      const shared = conceptVectors.get(concept)!;
      for (let i = 0; i < h; i++) meaning[i] += shared[i]!;
    }
    scaleTo(meaning, 1);
    const away = scaleTo(orthogonalise(random, [meaning]), 1);
    const tie = Math.max(...[...languagesOfWord.get(word)!].map((lang) => TIE_COSINE[lang]));
    for (let i = 0; i < h; i++) vector[i] = length * (tie * meaning[i]! + Math.sqrt(1 - tie * tie) * away[i]!);
  });
  return out;
}

/** Every weight of BertForSequenceClassification under its Hugging Face name. */
export function demoWeights(wordEmbeddings: Float32Array, vocabSize: number, seed: number): Record<string, SafetensorsEntry> {
  const { hiddenSize: h, numLayers, intermediateSize, maxPositions, typeVocabSize, initializerRange, embeddingScale, positionScale, matchScale } = DEMO_ARCHITECTURE;
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
  normal('bert.embeddings.position_embeddings.weight', [maxPositions, h], positionScale);
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

  // Layer 0 compares words: query = key = R, R's rows orthogonal to the token-type vectors, so q·k measures how
  // alike two tokens' words are and not whether they sit in the same sentence.
  const types = entries['bert.embeddings.token_type_embeddings.weight']!.data as Float32Array;
  const typeBasis: Float32Array[] = [];
  for (let t = 0; t < typeVocabSize; t++) typeBasis.push(scaleTo(orthogonalise(types.slice(t * h, (t + 1) * h), typeBasis), 1));
  const query = entries['bert.encoder.layer.0.attention.self.query.weight']!.data as Float32Array;
  const key = entries['bert.encoder.layer.0.attention.self.key.weight']!.data as Float32Array;
  for (let row = 0; row < h; row++) {
    const r = orthogonalise(gaussian.fill(h, 1 / Math.sqrt(h)), typeBasis);
    for (let i = 0; i < h; i++) query[row * h + i] = key[row * h + i] = matchScale * r[i]!;
  }
  return entries;
}
