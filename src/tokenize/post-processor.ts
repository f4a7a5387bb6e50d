/**
 * The special tokens and token types a tokenizer.json `post_processor` wraps around a sentence pair,
 * following the Rust crate: TemplateProcessing takes type ids from its template (a `$B` piece gives every
 * hypothesis token its type), BertProcessing types the hypothesis and its [SEP] 1, RobertaProcessing
 * sets every type to 0.
 */
export interface PairTemplate {
  /** How many special tokens the pair template adds; subtracted from max_length before truncation. */
  readonly addedTokens: number;
  apply(first: number[], second: number[]): { inputIds: number[]; tokenTypeIds: number[] };
}

type Piece = { kind: 'special'; ids: number[]; typeId: number } | { kind: 'sequence'; which: 'A' | 'B'; typeId: number };

function fromPieces(pieces: Piece[]): PairTemplate {
  const addedTokens = pieces.reduce((n, p) => n + (p.kind === 'special' ? p.ids.length : 0), 0);
  return {
    addedTokens,
    apply(first, second) {
      const inputIds: number[] = [];
      const tokenTypeIds: number[] = [];
      for (const piece of pieces) {
        const ids = piece.kind === 'special' ? piece.ids : piece.which === 'A' ? first : second;
        for (const id of ids) {
          inputIds.push(id);
          tokenTypeIds.push(piece.typeId);
        }
      }
      return { inputIds, tokenTypeIds };
    },
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function tokenPair(value: unknown, field: string, type: string): [string, number] {
  if (!Array.isArray(value) || typeof value[0] !== 'string' || !Number.isInteger(value[1])) {
    throw new Error(`tokenizer.json post_processor ${type} has no valid "${field}" (expected ["token", id])`);
  }
  return [value[0], value[1] as number];
}

function templatePieces(config: Json): Piece[] {
  const pair = config.pair;
  const specials = isObject(config.special_tokens) ? config.special_tokens : {};
  if (!Array.isArray(pair)) throw new Error('tokenizer.json post_processor TemplateProcessing has no "pair" template');
  return pair.map((entry): Piece => {
    if (isObject(entry) && isObject(entry.Sequence)) {
      const { id, type_id } = entry.Sequence;
      if (id !== 'A' && id !== 'B') throw new Error(`TemplateProcessing pair template names an unknown sequence ${JSON.stringify(id)}`);
      return { kind: 'sequence', which: id, typeId: Number(type_id ?? 0) };
    }
    if (isObject(entry) && isObject(entry.SpecialToken)) {
      const { id, type_id } = entry.SpecialToken;
      const special = specials[String(id)];
      if (!isObject(special) || !Array.isArray(special.ids)) {
        throw new Error(`TemplateProcessing uses special token ${JSON.stringify(id)} that its special_tokens do not define`);
      }
      return { kind: 'special', ids: special.ids.map(Number), typeId: Number(type_id ?? 0) };
    }
    throw new Error(`TemplateProcessing pair template has an entry it cannot read: ${JSON.stringify(entry)}`);
  });
}

export function pairTemplate(config: unknown): PairTemplate {
  if (config === null || config === undefined) {
    return fromPieces([{ kind: 'sequence', which: 'A', typeId: 0 }, { kind: 'sequence', which: 'B', typeId: 1 }]);
  }
  if (!isObject(config)) throw new Error('tokenizer.json post_processor is not an object');
  switch (config.type) {
    case 'TemplateProcessing':
      return fromPieces(templatePieces(config));
    case 'BertProcessing': {
      const [, cls] = tokenPair(config.cls, 'cls', 'BertProcessing');
      const [, sep] = tokenPair(config.sep, 'sep', 'BertProcessing');
      return fromPieces([
        { kind: 'special', ids: [cls], typeId: 0 }, { kind: 'sequence', which: 'A', typeId: 0 }, { kind: 'special', ids: [sep], typeId: 0 },
        { kind: 'sequence', which: 'B', typeId: 1 }, { kind: 'special', ids: [sep], typeId: 1 },
      ]);
    }
    case 'RobertaProcessing': {
      const [, cls] = tokenPair(config.cls, 'cls', 'RobertaProcessing');
      const [, sep] = tokenPair(config.sep, 'sep', 'RobertaProcessing');
      return fromPieces([
        { kind: 'special', ids: [cls], typeId: 0 }, { kind: 'sequence', which: 'A', typeId: 0 }, { kind: 'special', ids: [sep], typeId: 0 },
        { kind: 'special', ids: [sep], typeId: 0 }, { kind: 'sequence', which: 'B', typeId: 0 }, { kind: 'special', ids: [sep], typeId: 0 },
      ]);
    }
    case 'ByteLevel':
      // Only adjusts offsets; adds no tokens.
      return pairTemplate(null);
    case 'Sequence': {
      const processors = Array.isArray(config.processors) ? config.processors : [];
      const adding = processors.filter((p) => !(isObject(p) && p.type === 'ByteLevel'));
      if (adding.length > 1) throw new Error('tokenizer.json post_processor Sequence has more than one processor that adds tokens; not supported');
      return pairTemplate(adding[0] ?? null);
    }
    default:
      throw new Error(`tokenizer.json post_processor type ${JSON.stringify(config.type)} is not supported (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence are)`);
  }
}
