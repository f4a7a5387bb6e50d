"""Independent Python reference for sentence-pair tokenisation as the Rust `tokenizers` crate does it
(the `AutoTokenizer(...)(premise, hypothesis, truncation=True)` of the reference run). No tokenizers
library exists here, so each stage is written out from the Rust semantics:

  BertNormalizer   clean text (drop NUL, U+FFFD and every C* category except \\t\\n\\r; White_Space -> ' '),
                   spaces around CJK ideographs, strip accents (NFD, drop Mn) when strip_accents is null and
                   lowercase is set, THEN lowercase character by character (no final-sigma rule)
  BertPreTokenizer split on White_Space, isolate every punctuation char (ASCII punctuation or Unicode P*)
  WordPiece        greedy longest match, '##' continuations, whole word -> unk when a piece is missing
                   or the word has more than max_input_chars_per_word characters
  NFKC + Replace(' {2,}', ' ') -> Metaspace (replace ' ' by U+2581, prepend one, split before each U+2581)
  Unigram          best-score segmentation per word (the crate's best_path_ends_at walk, first best wins),
                   unknown characters scored min_score - 10 and consecutive unknowns fused into one <unk>
  truncation       longest_first to max_length minus the template's special tokens, in the crate's closed form
  templates        TemplateProcessing (type ids from the template) and RobertaProcessing (all types 0)

Reads tests/fixtures/generated/tokenizers/<name>/ (written by write-tokenizer-fixtures.ts) and writes
tests/reference/goldens/tokenization.json.
"""
import hashlib
import json
import os
import re
import string
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures', 'generated', 'tokenizers')
OUT = os.path.join(HERE, 'goldens', 'tokenization.json')

WHITE_SPACE = set('\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000') | {chr(c) for c in range(0x2000, 0x200B)}
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
              (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]
METASPACE = '\u2581'


def is_cjk(ch):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def bert_normalize(text, cfg):
    lowercase = cfg.get('lowercase', True)
    if cfg.get('clean_text', True):
        kept = []
        for ch in text:
            if ch in '\t\n\r':
                kept.append(' ')
            elif ord(ch) == 0 or ord(ch) == 0xFFFD or unicodedata.category(ch).startswith('C'):
                continue
            else:
                kept.append(' ' if ch in WHITE_SPACE else ch)
        text = ''.join(kept)
    if cfg.get('handle_chinese_chars', True):
        text = ''.join(' %s ' % ch if is_cjk(ch) else ch for ch in text)
    strip = cfg.get('strip_accents')
    if strip is None:
        strip = lowercase
    if strip:
        text = ''.join(ch for ch in unicodedata.normalize('NFD', text) if unicodedata.category(ch) != 'Mn')
    if lowercase:
        text = ''.join(ch.lower() for ch in text)
    return text


def is_bert_punctuation(ch):
    return ch in string.punctuation or unicodedata.category(ch).startswith('P')


def bert_pre_tokenize(text):
    words, current = [], ''
    for ch in text:
        if ch in WHITE_SPACE:
            if current:
                words.append(current)
            current = ''
        elif is_bert_punctuation(ch):
            if current:
                words.append(current)
            words.append(ch)
            current = ''
        else:
            current += ch
    if current:
        words.append(current)
    return words


def wordpiece(word, model):
    vocab, prefix = model['vocab'], model.get('continuing_subword_prefix', '##')
    unk = vocab[model['unk_token']]
    if len(word) > model.get('max_input_chars_per_word', 100):
        return [unk]
    ids, start = [], 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = (prefix if start > 0 else '') + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [unk]
        ids.append(found)
        start = end
    return ids


def apply_normalizer(text, cfg):
    if cfg is None:
        return text
    kind = cfg['type']
    if kind == 'BertNormalizer':
        return bert_normalize(text, cfg)
    if kind == 'Sequence':
        for sub in cfg['normalizers']:
            text = apply_normalizer(text, sub)
        return text
    if kind in ('NFC', 'NFD', 'NFKC', 'NFKD'):
        return unicodedata.normalize(kind, text)
    if kind == 'Replace':
        pattern = cfg['pattern']
        regex = pattern['Regex'] if 'Regex' in pattern else re.escape(pattern['String'])
        return re.sub(regex, cfg['content'], text)
    raise SystemExit('reference has no normalizer %s' % kind)


def metaspace(text, cfg):
    rep = cfg.get('replacement', METASPACE)
    text = text.replace(' ', rep)
    # The crate's NormalizedString.prepend does nothing on an empty string.
    if text and cfg.get('prepend_scheme', 'always') == 'always' and not text.startswith(rep):
        text = rep + text
    if not cfg.get('split', True):
        return [text] if text else []
    words, current = [], ''
    for ch in text:
        if ch == rep and current:
            words.append(current)
            current = ''
        current += ch
    if current:
        words.append(current)
    return words


class Unigram:
    def __init__(self, model):
        self.pieces = {piece: (i, score) for i, (piece, score) in reversed(list(enumerate(model['vocab'])))}
        self.unk_id = model['unk_id']
        self.unk_score = min(score for _, score in model['vocab']) - 10.0
        self.max_piece = max(len(p) for p, _ in model['vocab'])

    def encode(self, word):
        """Piece ids of one pre-tokenized word: best total score, ties going to the first candidate met."""
        n = len(word)
        best = [None] * (n + 1)  # best[end] = (score, start, id)
        best[0] = (0.0, None, None)
        for start in range(n):
            here = best[start][0]
            has_single = False
            for end in range(start + 1, min(n, start + self.max_piece) + 1):
                entry = self.pieces.get(word[start:end])
                if entry is None:
                    continue
                candidate = here + entry[1]
                if best[end] is None or candidate > best[end][0]:
                    best[end] = (candidate, start, entry[0])
                if end == start + 1:
                    has_single = True
            if not has_single:
                candidate = here + self.unk_score
                if best[start + 1] is None or candidate > best[start + 1][0]:
                    best[start + 1] = (candidate, start, self.unk_id)
        pieces, end = [], n
        while end > 0:
            _, start, piece_id = best[end]
            if piece_id == self.unk_id and pieces and pieces[-1] == self.unk_id:
                pass  # fuse consecutive unknowns
            else:
                pieces.append(piece_id)
            end = start
        return pieces[::-1]


def added_token_ids(tok):
    return {t['content']: t['id'] for t in tok.get('added_tokens', [])}


def encode_sentence(text, tok):
    model = tok['model']
    normalized = apply_normalizer(text, tok.get('normalizer'))
    pre = tok.get('pre_tokenizer') or {}
    if pre.get('type') == 'BertPreTokenizer':
        words = bert_pre_tokenize(normalized)
    elif pre.get('type') == 'Metaspace':
        words = metaspace(normalized, pre)
    else:
        raise SystemExit('reference has no pre-tokenizer %s' % pre.get('type'))
    if model['type'] == 'WordPiece':
        return [i for w in words for i in wordpiece(w, model)]
    if model['type'] == 'Unigram':
        unigram = Unigram(model)
        return [i for w in words for i in unigram.encode(w)]
    raise SystemExit('reference has no model %s' % model['type'])


def pair_template(post):
    """List of ('special', id, type) / ('seq', 'A'|'B', type) for a pair."""
    if post['type'] == 'TemplateProcessing':
        out = []
        for piece in post['pair']:
            if 'Sequence' in piece:
                out.append(('seq', piece['Sequence']['id'], piece['Sequence']['type_id']))
            else:
                special = post['special_tokens'][piece['SpecialToken']['id']]
                out.extend(('special', i, piece['SpecialToken']['type_id']) for i in special['ids'])
        return out
    if post['type'] == 'RobertaProcessing':
        cls, sep = post['cls'][1], post['sep'][1]
        return [('special', cls, 0), ('seq', 'A', 0), ('special', sep, 0), ('special', sep, 0), ('seq', 'B', 0), ('special', sep, 0)]
    raise SystemExit('reference has no post-processor %s' % post['type'])


def longest_first(n_a, n_b, budget):
    if n_a + n_b <= budget:
        return n_a, n_b
    short, long_ = min(n_a, n_b), max(n_a, n_b)
    long_keep = short if short > budget else max(short, budget - short)
    short_keep = short
    if short_keep + long_keep > budget:
        short_keep, long_keep = budget // 2, budget // 2 + budget % 2
    # The first sentence takes the "short" slot unless it is strictly the longer one.
    return (long_keep, short_keep) if n_a > n_b else (short_keep, long_keep)


def encode_pair(tok, premise, hypothesis, max_length):
    template = pair_template(tok['post_processor'])
    added = sum(1 for kind, _, _ in template if kind == 'special')
    a, b = encode_sentence(premise, tok), encode_sentence(hypothesis, tok)
    keep_a, keep_b = longest_first(len(a), len(b), max_length - added)
    seqs = {'A': a[:keep_a], 'B': b[:keep_b]}
    ids, types = [], []
    for kind, value, type_id in template:
        chunk = [value] if kind == 'special' else seqs[value]
        ids += chunk
        types += [type_id] * len(chunk)
    return ids, types, (len(a), len(b))


LONG_EN = ('The government is not responsible for the weather, and everyone really likes the newest benefits '
           'because the children were so happy yesterday at the station with his brother.')
LONG_DE = 'Er verstand nicht, was am Bahnhof geschah, also rief er seinen Bruder an, weil es zu kalt war über Nacht.'
LONG_ZH = '他不明白车站发生了什么，所以他给他的兄弟打了电话。每个人都非常喜欢最新的福利。'

# (name, premise, hypothesis, max_length or None for model_max_length)
PAIRS = [
    ('en', "He didn't understand what was happening at the station, so he called his brother.", 'He called his brother.', None),
    ('de', 'Die Straße war über Nacht geschlossen, weil es zu kalt war.', 'Die neuen Rechte sind schön genug.', None),
    ('fr', "L'été dernier, nous sommes allés à la mer avec nos élèves.", 'Les nouveaux droits sont assez agréables.', None),
    ('es', '¿Dónde está el niño? ¡Está en la montaña!', 'No entendía lo que pasaba en la estación.', None),
    ('ar', 'لم يفهم ما كان يحدث في المحطة، لذلك اتصل بأخيه.', 'المُدرّس في المدرسة.', None),
    ('el', 'Ο δρόμος ήταν κλειστός όλη τη νύχτα.', 'ΟΔΟΣ ήταν κλειστός.', None),
    ('zh', '他不明白车站发生了什么，所以他给他的兄弟打了电话。', '新的权利已经足够好了。', None),
    ('mixed', 'The new rights 新的权利 sind schön, très agréables y más recientes.', 'الجميع يحب 最新的福利 really.', None),
    ('accents', 'ÉLÈVES Agréables ÜBER Montaña Estación Frère', 'élèves agréables über montaña estación frère', None),
    ('unknown', 'København is cold 🙂🙂 today, Þórr said.', 'a' * 120 + ' ok ﬁne ＡＢＣ', None),
    ('whitespace-control', 'The\tnew\nrights\r\nare   nice\u200b enou\u00adgh\u0000.\u3000Yes', 'wor\u0378ld a\U00020000b 中\U0002A700国', None),
    ('empty-hypothesis', 'The new rights are nice enough.', '', None),
    ('trunc-only-longer-second-16', 'Nice enough.', LONG_EN, 16),
    ('trunc-only-longer-first-24', LONG_DE, 'Die neuen Rechte.', 24),
    ('trunc-both-halves-16', LONG_EN, LONG_DE, 16),
    ('trunc-both-halves-17', LONG_DE, LONG_EN, 17),
    ('trunc-both-halves-24', LONG_ZH, LONG_EN, 24),
    ('trunc-equal-lengths-23', LONG_EN, LONG_EN, 23),
    ('trunc-one-over-16', 'The new rights are nice enough.', 'Everyone really likes the newest benefits.', 16),
]


def file_hash(folder):
    digest = hashlib.sha256()
    for name in ('tokenizer.json', 'tokenizer_config.json'):
        with open(os.path.join(folder, name), 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def main():
    names = ['wordpiece-cased', 'wordpiece-uncased', 'unigram']
    goldens = {'fixtureHashes': {}, 'cases': []}
    for name in names:
        folder = os.path.join(FIXTURES, name)
        if not os.path.isdir(folder):
            sys.exit('%s is missing: run node --import tsx tests/reference/write-tokenizer-fixtures.ts first' % folder)
        goldens['fixtureHashes'][name] = file_hash(folder)
        with open(os.path.join(folder, 'tokenizer.json'), encoding='utf-8') as f:
            tok = json.load(f)
        with open(os.path.join(folder, 'tokenizer_config.json'), encoding='utf-8') as f:
            config = json.load(f)
        for case, premise, hypothesis, max_length in PAIRS:
            max_length = max_length or config['model_max_length']
            ids, types, lengths = encode_pair(tok, premise, hypothesis, max_length)
            goldens['cases'].append({
                'fixture': name, 'name': case, 'premise': premise, 'hypothesis': hypothesis, 'maxLength': max_length,
                'inputIds': ids, 'tokenTypeIds': types, 'attentionMask': [1] * len(ids), 'sentenceLengths': list(lengths),
            })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(goldens, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote %d cases to %s' % (len(goldens['cases']), OUT))


if __name__ == '__main__':
    main()
