/**
 * Everything under public/demo/, computed in memory: the synthetic XNLI-schema sample (English train,
 * validation in six languages, parallel across them like XNLI's), the tiny aligned BERT that reads it and the
 * playground's example pairs.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeSafetensors } from '../../src/model/safetensors.ts';
import { DEMO_LANGUAGES, type Lang } from './lexicon.ts';
import { alignedWordEmbeddings, demoWeights, modelConfigJson } from './model.ts';
import { makeClausePairs, pairKey, type ClausePair } from './pairs.ts';
import { clausePieces, joinPieces, type Clause } from './render.ts';
import { bertWords, buildVocabulary, tokenizerConfigJson, tokenizerJson } from './vocabulary.ts';

export const DEMO_SIZES = { train: 3000, validation: 300 } as const;
export const LABEL_NAMES = ['entailment', 'neutral', 'contradiction'] as const;

/**
 * The playground's examples (examples.json): one validation pair per language, each built a different way, so the
 * three labels each come up twice: a dropped modifier (entailment), an added one (neutral), a negation
 * (contradiction), again a dropped modifier, another subject (neutral), another place (contradiction).
 */
const EXAMPLE_KINDS: ReadonlyArray<readonly [Lang, string]> = [['en', '0.0'], ['de', '1.0'], ['fr', '2.0'], ['es', '0.0'], ['ar', '1.3'], ['zh', '2.3']];

export interface DemoExample { language: Lang; premise: string; hypothesis: string; label: (typeof LABEL_NAMES)[number] }
const SEEDS = { train: 20240501, validation: 20240502, embeddings: 7, weights: 8 } as const;

export interface NliSample { premise: string[]; hypothesis: string[]; label: number[] }

export interface DemoBuild {
  /** Path under public/demo/ → file bytes. */
  files: Map<string, Uint8Array>;
  /** Each word of the sample → the lexicon concepts it renders (what ties embeddings across languages). */
  conceptsOfWord: Map<string, Set<string>>;
  vocabulary: string[];
  /** The clause pairs behind the sample (validation: the same pairs in every language). */
  pairs: { train: ClausePair[]; validation: ClausePair[] };
}

export function buildDemo(): DemoBuild {
  const train = makeClausePairs(DEMO_SIZES.train, SEEDS.train);
  const validation = makeClausePairs(DEMO_SIZES.validation, SEEDS.validation, new Set(train.map(pairKey)));
  const conceptsOfWord = new Map<string, Set<string>>();
  const languagesOfWord = new Map<string, Set<Lang>>();
  const render = (clause: Clause, lang: Lang) => {
    const pieces = clausePieces(clause, lang);
    const text = joinPieces(pieces);
    const pieceWords = pieces.flatMap((piece) => bertWords(piece.text).map((word) => [word, piece.concept] as const));
    // Gluing pieces (L' + homme) must not fuse words, or the concept tags would not match the tokenizer's words.
    if (pieceWords.map(([w]) => w).join('\u0000') !== bertWords(text).join('\u0000')) {
      throw new Error(`demo sentence "${text}" tokenises differently whole than piece by piece; fix its rendering in scripts/demo/render.ts`);
    }
    for (const [word, concept] of pieceWords) {
      if (!conceptsOfWord.has(word)) conceptsOfWord.set(word, new Set());
      conceptsOfWord.get(word)!.add(concept);
      if (!languagesOfWord.has(word)) languagesOfWord.set(word, new Set());
      languagesOfWord.get(word)!.add(lang);
    }
    return text;
  };
  const sample = (pairs: ClausePair[], lang: Lang): NliSample => ({
    premise: pairs.map((p) => render(p.premise, lang)),
    hypothesis: pairs.map((p) => render(p.hypothesis, lang)),
    label: pairs.map((p) => p.label),
  });

  const used = new Set<ClausePair>();
  const examples: DemoExample[] = EXAMPLE_KINDS.map(([language, kind]) => {
    const pair = validation.find((p) => p.kind === kind && !used.has(p));
    if (!pair) throw new Error(`no validation pair of kind ${kind} left for the ${language} example`);
    used.add(pair);
    return { language, premise: render(pair.premise, language), hypothesis: render(pair.hypothesis, language), label: LABEL_NAMES[pair.label] };
  });

  const files = new Map<string, Uint8Array>();
  files.set('xnli/en/train.parquet', nliParquet(sample(train, 'en')));
  for (const lang of DEMO_LANGUAGES) files.set(`xnli/${lang}/validation.parquet`, nliParquet(sample(validation, lang)));

  const vocabulary = buildVocabulary(conceptsOfWord.keys());
  const embeddings = alignedWordEmbeddings(vocabulary, conceptsOfWord, languagesOfWord, SEEDS.embeddings);
  const weights = demoWeights(embeddings, vocabulary.length, SEEDS.weights);
  files.set('model/config.json', jsonBytes(modelConfigJson(vocabulary.length)));
  files.set('model/model.safetensors', writeSafetensors(weights, { format: 'pt' }));
  files.set('model/tokenizer.json', jsonBytes(tokenizerJson(vocabulary)));
  files.set('model/tokenizer_config.json', jsonBytes(tokenizerConfigJson()));
  files.set('model/vocab.txt', new TextEncoder().encode(vocabulary.join('\n') + '\n'));
  files.set('examples.json', jsonBytes(examples));
  return { files, conceptsOfWord, vocabulary, pairs: { train, validation } };
}

/** The Hub's XNLI parquet schema: premise, hypothesis (UTF-8 strings), label (int64, a ClassLabel). */
function nliParquet(sample: NliSample): Uint8Array {
  const features = {
    premise: { dtype: 'string', _type: 'Value' },
    hypothesis: { dtype: 'string', _type: 'Value' },
    label: { names: [...LABEL_NAMES], _type: 'ClassLabel' },
  };
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'premise', data: sample.premise, type: 'STRING', nullable: false },
      { name: 'hypothesis', data: sample.hypothesis, type: 'STRING', nullable: false },
      { name: 'label', data: sample.label.map(BigInt), type: 'INT64', nullable: false },
    ],
    kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }],
  });
  return new Uint8Array(buffer);
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n');
}
