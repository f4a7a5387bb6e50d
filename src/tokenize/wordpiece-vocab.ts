/**
 * A fast tokenizer's `tokenizer.json` for a repository that has only the slow tokenizer's files: WordPiece's
 * `vocab.txt` (one token per line, the line number its id) and `tokenizer_config.json`, built exactly as
 * transformers' slow-to-fast conversion does (`BertConverter` in convert_slow_tokenizer.py): a BertNormalizer
 * from `do_lower_case` (default true, as BertTokenizer's), `strip_accents` (default null: follow lowercasing) and
 * `tokenize_chinese_chars` (default true); the Bert pre-tokenizer; `[CLS] A [SEP] B [SEP]` with type ids 0 then 1.
 */
type Json = Record<string, unknown>;

const SPECIAL_DEFAULTS = { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' } as const;

/** transformers' load_vocab: each line without its newline is a token, numbered from 0. */
export function parseVocabTxt(text: string): Map<string, number> {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => vocab.set(line.endsWith('\r') ? line.slice(0, -1) : line, id));
  return vocab;
}

export function wordPieceTokenizerJson(vocabText: string, tokenizerConfig: Json = {}): Json {
  const vocab = parseVocabTxt(vocabText);
  const special = (key: keyof typeof SPECIAL_DEFAULTS): string => {
    const value = tokenizerConfig[key];
    const content = typeof value === 'string' ? value : (value as { content?: unknown } | undefined)?.content;
    return typeof content === 'string' ? content : SPECIAL_DEFAULTS[key];
  };
  const idOf = (token: string) => {
    const id = vocab.get(token);
    if (id === undefined) throw new Error(`vocab.txt has no ${token} token, which the tokenizer needs`);
    return id;
  };
  const option = <T>(key: string, fallback: T): T => (key in tokenizerConfig ? (tokenizerConfig[key] as T) : fallback);
  const cls = special('cls_token');
  const sep = special('sep_token');
  const specials = (Object.keys(SPECIAL_DEFAULTS) as Array<keyof typeof SPECIAL_DEFAULTS>).map(special).filter((token) => vocab.has(token));
  const addedTokens = [...new Set(specials)]
    .map((content) => ({ id: vocab.get(content)!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => a.id - b.id);
  const token = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: option('tokenize_chinese_chars', true),
      strip_accents: option<boolean | null>('strip_accents', null),
      lowercase: option('do_lower_case', true),
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [token(cls, 0), sequence('A', 0), token(sep, 0)],
      pair: [token(cls, 0), sequence('A', 0), token(sep, 0), sequence('B', 1), token(sep, 1)],
      special_tokens: {
        [cls]: { id: cls, ids: [idOf(cls)], tokens: [cls] },
        [sep]: { id: sep, ids: [idOf(sep)], tokens: [sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: special('unk_token'),
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };
}
