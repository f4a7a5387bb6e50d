import { fetchJson, MissingFileError, parseJsonFile, type ModelFiles } from '../model/files.ts';
import { pairTemplate, type PairTemplate } from './post-processor.ts';
import { sentenceEncoder, type SentenceEncoder } from './sentence-encoder.ts';
import { longestFirstLengths } from './truncation.ts';
import { wordPieceTokenizerJson } from './wordpiece-vocab.ts';
import { modelMaxPositions } from '../model/architecture.ts';

/** One tokenised (premise, hypothesis) pair; its attention mask is all ones until padded. */
export interface EncodedPair { inputIds: number[]; tokenTypeIds: number[] }

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** transformers writes a huge sentinel (1e30) as model_max_length when a checkpoint names none. */
const SANE_MAX_LENGTH = 1e6;
const DEFAULT_MAX_LENGTH = 512;

export interface PairTokenizerOptions {
  /** Used when tokenizer_config.json has no sane model_max_length. */
  maxLength?: number;
  /** Positions the model can embed; caps maxLength. */
  maxPositions?: number;
}

/**
 * Tokenises sentence pairs as `AutoTokenizer(...)(premise, hypothesis, truncation=True)` does with the
 * Rust fast tokenizers: each sentence encoded alone, then `longest_first` truncation to
 * max_length minus the template's special tokens, then the post-processor's template and type ids.
 */
export class PairTokenizer {
  private constructor(
    private readonly encodeSentence: SentenceEncoder,
    private readonly template: PairTemplate,
    readonly maxLength: number,
    readonly padTokenId: number,
    private readonly unknownTokenId: number | null = null,
  ) {}

  /**
   * The words of `text` the vocabulary does not cover (each read as the unknown token), in order; Han
   * characters count one by one, as BERT's pre-tokenizer splits them.
   */
  unknownWords(text: string): string[] {
    if (this.unknownTokenId === null) return [];
    const words = text.match(/\p{Script=Han}|[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
    return words.filter((word) => this.encodeSentence(word).includes(this.unknownTokenId!));
  }

  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown, opts: PairTokenizerOptions = {}): PairTokenizer {
    if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
      throw new Error('tokenizer.json has no "model" object: is it a Hugging Face tokenizers file (not a slow tokenizer\'s vocab)?');
    }
    const config = tokenizerConfig === undefined || tokenizerConfig === null ? {} : tokenizerConfig;
    if (!isObject(config)) throw new Error('tokenizer_config.json is not a JSON object');
    let encodeSentence: SentenceEncoder;
    try {
      encodeSentence = sentenceEncoder(tokenizerJson, config);
    } catch (error) {
      throw new Error(`tokenizer.json cannot be used: ${(error as Error).message}`);
    }
    const template = pairTemplate(tokenizerJson.post_processor);
    let maxLength = saneMaxLength(config.model_max_length) ?? opts.maxLength ?? DEFAULT_MAX_LENGTH;
    if (opts.maxPositions !== undefined) maxLength = Math.min(maxLength, opts.maxPositions);
    if (maxLength <= template.addedTokens) {
      throw new Error(`max length ${maxLength} leaves no room for text beside the ${template.addedTokens} special tokens of a pair`);
    }
    return new PairTokenizer(encodeSentence, template, maxLength, padTokenId(tokenizerJson, config), unknownTokenId(tokenizerJson.model));
  }

  encodePair(premise: string, hypothesis: string): EncodedPair {
    const first = this.encodeSentence(premise);
    const second = this.encodeSentence(hypothesis);
    const [keepFirst, keepSecond] = longestFirstLengths(first.length, second.length, this.maxLength - this.template.addedTokens);
    return this.template.apply(first.slice(0, keepFirst), second.slice(0, keepSecond));
  }
}

/** The id the tokenizer gives words it does not know: WordPiece/BPE's unk_token, Unigram's unk_id. */
function unknownTokenId(model: Json): number | null {
  if (typeof model.unk_id === 'number') return model.unk_id;
  if (typeof model.unk_token === 'string' && isObject(model.vocab) && typeof model.vocab[model.unk_token] === 'number') return model.vocab[model.unk_token] as number;
  return null;
}

function saneMaxLength(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < SANE_MAX_LENGTH ? value : undefined;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** The pad token's id: tokenizer_config's pad_token, else tokenizer.json's padding, else the usual [PAD] / <pad>. */
function padTokenId(tokenizerJson: Json, config: Json): number {
  const model = tokenizerJson.model as Json;
  const ids = new Map<string, number>();
  if (isObject(model.vocab)) for (const [token, id] of Object.entries(model.vocab)) ids.set(token, Number(id));
  if (Array.isArray(model.vocab)) model.vocab.forEach((entry, id) => Array.isArray(entry) && ids.set(String(entry[0]), id));
  if (Array.isArray(tokenizerJson.added_tokens)) {
    for (const added of tokenizerJson.added_tokens) if (isObject(added)) ids.set(String(added.content), Number(added.id));
  }
  const padding = isObject(tokenizerJson.padding) ? tokenizerJson.padding : {};
  const candidates = [tokenContent(config.pad_token), tokenContent(padding.pad_token), '[PAD]', '<pad>'];
  for (const token of candidates) if (token !== undefined && ids.has(token)) return ids.get(token)!;
  if (typeof padding.pad_id === 'number') return padding.pad_id;
  throw new Error(`tokenizer has no pad token: none of ${candidates.filter(Boolean).join(', ')} is in its vocabulary; set pad_token in tokenizer_config.json`);
}

export interface ModelConfigForTokenizer { max_position_embeddings?: number; model_type?: string }

export interface TokenizerFiles {
  /** tokenizer.json as the repository has it, or as built from its vocab.txt: what a checkpoint keeps. */
  tokenizerJsonBytes: Uint8Array;
  tokenizerJson: unknown;
  /** tokenizer_config.json, or {} when the repository has none. */
  tokenizerConfig: Json;
}

/**
 * tokenizer.json and tokenizer_config.json (optional) of a model repository; without tokenizer.json, a WordPiece
 * vocab.txt built into one as transformers converts it (src/tokenize/wordpiece-vocab.ts).
 */
export async function loadTokenizerFiles(files: ModelFiles): Promise<TokenizerFiles> {
  let tokenizerConfig: unknown = {};
  try {
    tokenizerConfig = await fetchJson(files, 'tokenizer_config.json');
  } catch (error) {
    if (!(error instanceof MissingFileError)) throw error;
  }
  const config = isObject(tokenizerConfig) ? tokenizerConfig : {};
  try {
    const tokenizerJsonBytes = new Uint8Array(await files.fetchBytes('tokenizer.json'));
    return { tokenizerJsonBytes, tokenizerJson: parseJsonFile(tokenizerJsonBytes, 'tokenizer.json', files), tokenizerConfig: config };
  } catch (error) {
    if (!(error instanceof MissingFileError) || error.fileName !== 'tokenizer.json') throw error;
    const tokenizerJson = await vocabTxtTokenizer(files, config);
    return { tokenizerJsonBytes: new TextEncoder().encode(JSON.stringify(tokenizerJson)), tokenizerJson, tokenizerConfig: config };
  }
}

export async function loadPairTokenizer(files: ModelFiles, modelConfig?: ModelConfigForTokenizer): Promise<PairTokenizer> {
  const { tokenizerJson, tokenizerConfig } = await loadTokenizerFiles(files);
  try {
    return PairTokenizer.fromJson(tokenizerJson, tokenizerConfig, { maxPositions: modelMaxPositions(modelConfig) });
  } catch (error) {
    throw new Error(`${(error as Error).message} (from ${files.describe})`);
  }
}

async function vocabTxtTokenizer(files: ModelFiles, tokenizerConfig: Json): Promise<unknown> {
  let vocab: ArrayBuffer;
  try {
    vocab = await files.fetchBytes('vocab.txt');
  } catch (error) {
    if (!(error instanceof MissingFileError)) throw error;
    throw new MissingFileError('tokenizer.json', files.describe, 'nor a WordPiece vocab.txt: this app reads tokenizer.json, or vocab.txt for BERT-style models; a sentencepiece.bpe.model alone is not supported');
  }
  return wordPieceTokenizerJson(new TextDecoder().decode(vocab), tokenizerConfig);
}
