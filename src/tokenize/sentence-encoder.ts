import { BertNormalizer, MetaspacePreTokenizer, Tokenizer } from '@huggingface/tokenizers';
import { bertNormalize, type BertNormalizerConfig } from './bert-normalizer.ts';

/**
 * Normalise → pre-tokenise → model for ONE sentence, without special tokens, by tokenizers.js, with two
 * parts swapped for the Rust crate's behaviour: the BertNormalizer (see bert-normalizer.ts) and Metaspace's
 * `split` (Rust splits the text into words before Unigram, tokenizers.js runs Unigram over the whole text,
 * which also lets it fuse unknown pieces across words).
 */
export type SentenceEncoder = (text: string) => number[];

type Json = Record<string, unknown>;

class RustBertNormalizer extends BertNormalizer {
  override normalize(text: string): string {
    return bertNormalize(text, this.config as BertNormalizerConfig);
  }
}

class SplittingMetaspace extends MetaspacePreTokenizer {
  private readonly beforeReplacement = new RegExp(`(?=${escapeRegExp(this.replacement)})`, 'u');

  override pre_tokenize_text(text: string, options?: Parameters<MetaspacePreTokenizer['pre_tokenize_text']>[1]): string[] {
    // Rust: split on the replacement, each piece keeping the replacement that starts it (MergedWithNext).
    return super.pre_tokenize_text(text, options).flatMap((piece) => piece.split(this.beforeReplacement).filter((p) => p.length > 0));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function sentenceEncoder(tokenizerJson: Json, tokenizerConfig: Json): SentenceEncoder {
  const { normalizer = null, pre_tokenizer = null, added_tokens = [] } = tokenizerJson;
  // The post-processor and decoder are ours to apply / not needed; leaving them out also avoids
  // tokenizers.js rejecting types it does not know.
  const tokenizer = new Tokenizer({ ...tokenizerJson, normalizer, pre_tokenizer, added_tokens, post_processor: null, decoder: null }, tokenizerConfig);
  const normalizerConfig = normalizer as Json | null;
  if (normalizerConfig?.type === 'BertNormalizer') {
    tokenizer.normalizer = new RustBertNormalizer(normalizerConfig as unknown as ConstructorParameters<typeof BertNormalizer>[0]);
  }
  const preTokenizerConfig = pre_tokenizer as Json | null;
  if (preTokenizerConfig?.type === 'Metaspace' && preTokenizerConfig.split !== false) {
    tokenizer.pre_tokenizer = new SplittingMetaspace(preTokenizerConfig as unknown as ConstructorParameters<typeof MetaspacePreTokenizer>[0]);
  }
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
}
