/**
 * The demo tokenizer: a WordPiece vocabulary holding every word of the sample whole, in the exact
 * tokenizer.json shape of bert-base-multilingual-cased (cased, CJK characters split, no accent stripping).
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const MODEL_MAX_LENGTH = 64;

/** BERT's CJK ideograph blocks (the ones BertNormalizer's handle_chinese_chars surrounds with spaces). */
function isChineseChar(code: number): boolean {
  return (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || (code >= 0x20000 && code <= 0x2a6df)
    || (code >= 0x2a700 && code <= 0x2b73f) || (code >= 0x2b740 && code <= 0x2b81f) || (code >= 0x2b820 && code <= 0x2ceaf)
    || (code >= 0xf900 && code <= 0xfaff) || (code >= 0x2f800 && code <= 0x2fa1f);
}

/** BERT's punctuation: ASCII symbols and every Unicode P category. */
function isPunctuation(char: string): boolean {
  const code = char.codePointAt(0)!;
  if ((code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126)) return true;
  return /\p{P}/u.test(char);
}

/**
 * The words BertNormalizer (lowercase false) + BertPreTokenizer make of a text: whitespace splits,
 * each punctuation mark and each CJK character stands alone. Enough for this sample's clean text.
 */
export function bertWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  const flush = () => {
    if (current) words.push(current);
    current = '';
  };
  for (const char of text) {
    if (/\s/u.test(char)) flush();
    else if (isPunctuation(char) || isChineseChar(char.codePointAt(0)!)) {
      flush();
      words.push(char);
    } else current += char;
  }
  flush();
  return words;
}

/** Special tokens first ([PAD] = 0), then the words in code-point order: the same input always gives the same ids. */
export function buildVocabulary(words: Iterable<string>): string[] {
  const unique = [...new Set(words)].filter((w) => !(SPECIAL_TOKENS as readonly string[]).includes(w));
  unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...SPECIAL_TOKENS, ...unique];
}

export function tokenizerJson(vocabulary: string[]): Record<string, unknown> {
  const id = (token: string) => vocabulary.indexOf(token);
  const special = (content: string) => ({ id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const specialToken = (token: string, typeId: number) => ({ SpecialToken: { id: token, type_id: typeId } });
  const sequence = (name: 'A' | 'B', typeId: number) => ({ Sequence: { id: name, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [specialToken('[CLS]', 0), sequence('A', 0), specialToken('[SEP]', 0)],
      pair: [specialToken('[CLS]', 0), sequence('A', 0), specialToken('[SEP]', 0), sequence('B', 1), specialToken('[SEP]', 1)],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocabulary.map((token, i) => [token, i])),
    },
  };
}

export function tokenizerConfigJson(): Record<string, unknown> {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_lower_case: false,
    mask_token: '[MASK]',
    model_max_length: MODEL_MAX_LENGTH,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}
