import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readNliFile } from '../../src/data/nli-files.ts';
import type { NliRow } from '../../src/data/xnli-facts.ts';
import { readSafetensors, tensorToFloat32 } from '../../src/model/safetensors.ts';
import { PairTokenizer } from '../../src/tokenize/pair-tokenizer.ts';
import { buildDemo, DEMO_SIZES, LABEL_NAMES, type DemoExample } from '../../scripts/demo/build-demo.ts';
import { DEMO_LANGUAGES, INCOMPATIBLE_VERBS } from '../../scripts/demo/lexicon.ts';
import { DEFAULT_DEMO_DIR } from '../../scripts/demo/make-demo.ts';
import { TIE_COSINE } from '../../scripts/demo/model.ts';
import { ENGLISH_PAIR_WORDS, type ClausePair } from '../../scripts/demo/pairs.ts';
import { renderClause, type Clause } from '../../scripts/demo/render.ts';
import { DEMO_TRAINING } from '../../src/config/url-query.ts';
import { stepsPerEpoch } from '../../src/train/trainer.ts';

const REGENERATE = 'run node --import tsx scripts/demo/make-demo.ts and commit public/demo';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const demo = buildDemo();

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(DEFAULT_DEMO_DIR, join(e.parentPath, e.name)).split('\\').join('/'));
}

async function readDemoBytes(path: string): Promise<ArrayBuffer> {
  const buf = await readFile(join(DEFAULT_DEMO_DIR, path));
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

async function readRows(path: string): Promise<NliRow[]> {
  return readNliFile(await readDemoBytes(path), path);
}

test('the committed demo files are exactly what the script generates now', async () => {
  const committed = [...(await listFiles(join(DEFAULT_DEMO_DIR, 'model'))), ...(await listFiles(join(DEFAULT_DEMO_DIR, 'xnli'))), 'examples.json'].sort();
  assert.deepEqual(committed, [...demo.files.keys()].sort(), `public/demo holds other files than the generator writes: ${REGENERATE}`);
  for (const [path, bytes] of demo.files) {
    const onDisk = new Uint8Array(await readDemoBytes(path));
    assert.equal(sha256(onDisk), sha256(bytes), `public/demo/${path} is stale: ${REGENERATE}`);
  }
});

test('the generator is deterministic and the demo stays small', () => {
  const again = buildDemo();
  for (const [path, bytes] of demo.files) assert.equal(sha256(again.files.get(path)!), sha256(bytes), `${path} differs between two runs`);
  const total = [...demo.files.values()].reduce((sum, b) => sum + b.byteLength, 0);
  assert.ok(total < 1024 * 1024, `the demo is ${total} bytes; keep it under 1 MiB`);
});

test('the sample reads back in the XNLI schema, balanced, in every language, parallel across languages', async () => {
  const train = await readRows('xnli/en/train.parquet');
  assert.equal(train.length, DEMO_SIZES.train);
  const count = (rows: NliRow[]) => [0, 1, 2].map((label) => rows.filter((r) => r.label === label).length);
  assert.deepEqual(count(train), [1000, 1000, 1000]);
  assert.equal(new Set(train.map((r) => `${r.premise}\u0000${r.hypothesis}`)).size, train.length, 'train pairs repeat');

  const english = await readRows('xnli/en/validation.parquet');
  const trainPairs = new Set(train.map((r) => `${r.premise}\u0000${r.hypothesis}`));
  assert.ok(english.every((r) => !trainPairs.has(`${r.premise}\u0000${r.hypothesis}`)), 'a validation pair also occurs in train');
  for (const lang of DEMO_LANGUAGES) {
    const rows = await readRows(`xnli/${lang}/validation.parquet`);
    assert.equal(rows.length, DEMO_SIZES.validation, lang);
    assert.deepEqual(count(rows), [100, 100, 100], lang);
    assert.deepEqual(rows.map((r) => r.label), english.map((r) => r.label), `${lang} validation is not parallel to en`);
    assert.ok(rows.every((r) => r.premise.length > 0 && r.hypothesis.length > 0 && r.premise !== '' && /[.。]$/u.test(r.premise)), lang);
  }
  const arabic = await readRows('xnli/ar/validation.parquet');
  const chinese = await readRows('xnli/zh/validation.parquet');
  assert.ok(arabic.every((r) => /[\u0600-\u06ff]/u.test(r.premise)), 'Arabic validation is not in Arabic script');
  assert.ok(chinese.every((r) => /[\u4e00-\u9fff]/u.test(r.premise)), 'Chinese validation is not in Han characters');
});

/**
 * The label of a clause pair under the lexicon's semantics, derived independently of the builders in pairs.ts:
 * another subject or a compatible verb says something new (neutral), an incompatible verb, another place or the
 * opposite polarity contradicts, and otherwise the hypothesis is entailed when it says no more than the premise
 * (for a negated premise: when it says no less, "does not sleep" ⊨ "does not sleep in the park").
 */
function judge(p: Clause, h: Clause): number {
  const modifiers = ['adjective', 'place', 'time'] as const;
  const adds = modifiers.some((m) => h[m] !== null && p[m] === null);
  const drops = modifiers.some((m) => p[m] !== null && h[m] === null);
  const incompatible = INCOMPATIBLE_VERBS.some(([a, b]) => (a === p.verb && b === h.verb) || (a === h.verb && b === p.verb));
  if (h.subject !== p.subject) return 1;
  if (h.verb !== p.verb) return incompatible ? 2 : 1;
  if (p.negated !== h.negated) return 2;
  if (p.place !== null && h.place !== null && p.place !== h.place) return 2;
  if (modifiers.some((m) => p[m] !== null && h[m] !== null && p[m] !== h[m])) throw new Error('a pair with a changed modifier other than the place');
  if (!p.negated) return adds ? 1 : 0;
  return drops ? 1 : 0;
}

test('the labels follow from construction: an independent judge of each clause pair agrees, and the files hold those pairs', async () => {
  const check = (pairs: ClausePair[], rows: NliRow[], split: string) => {
    assert.equal(rows.length, pairs.length, split);
    pairs.forEach((pair, i) => {
      assert.equal(judge(pair.premise, pair.hypothesis), pair.label, `${split} ${i}: ${JSON.stringify(pair)}`);
      assert.equal(rows[i]!.premise, renderClause(pair.premise, 'en'), `${split} ${i}`);
      assert.equal(rows[i]!.hypothesis, renderClause(pair.hypothesis, 'en'), `${split} ${i}`);
      assert.equal(rows[i]!.label, pair.label, `${split} ${i}`);
    });
  };
  check(demo.pairs.train, await readRows('xnli/en/train.parquet'), 'train');
  check(demo.pairs.validation, await readRows('xnli/en/validation.parquet'), 'validation');
  // Every label is made in several ways (pairs.ts), none of them missing from the training sample.
  const kinds = new Set(demo.pairs.train.map((p) => p.kind));
  for (const kind of ['0.0', '0.1', '0.2', '1.0', '1.1', '1.2', '1.3', '2.0', '2.1', '2.2', '2.3']) assert.ok(kinds.has(kind), `no training pair of kind ${kind}`);
});

test('every English pair has one length, 16 tokens, so that length-grouped batches are not ordered by difficulty', async () => {
  const tokenizerJson = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer.json')));
  const tokenizerConfig = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer_config.json')));
  const pairs = PairTokenizer.fromJson(tokenizerJson, tokenizerConfig);
  for (const file of ['xnli/en/train.parquet', 'xnli/en/validation.parquet']) {
    for (const row of await readRows(file)) assert.equal(pairs.encodePair(row.premise, row.hypothesis).inputIds.length, ENGLISH_PAIR_WORDS + 3, `${file}: "${row.premise}" / "${row.hypothesis}"`);
  }
});

test('DEMO_TRAINING trains on the whole sample, logs at the last step and evaluates 4-8 times', () => {
  assert.equal(DEMO_TRAINING.numTrainExamples, DEMO_SIZES.train, 'numTrainExamples must be the sample\'s size (the page shows it)');
  const perEpoch = stepsPerEpoch(DEMO_SIZES.train, DEMO_TRAINING.batchSize);
  const steps = perEpoch * DEMO_TRAINING.numTrainEpochs;
  assert.ok(Number.isInteger(steps));
  assert.equal(steps % DEMO_TRAINING.loggingSteps, 0, 'the last step is a logging step, so the last loss point averages as many steps as the others');
  assert.equal(perEpoch % DEMO_TRAINING.loggingSteps, 0, 'every epoch ends on a logging step');
  assert.ok(steps / DEMO_TRAINING.loggingSteps >= 30, `${steps / DEMO_TRAINING.loggingSteps} loss points`);
  assert.equal(steps % DEMO_TRAINING.evalSteps, 0, 'the last evaluation is on the evaluation grid');
  assert.ok(steps / DEMO_TRAINING.evalSteps >= 4 && steps / DEMO_TRAINING.evalSteps <= 8, `${steps / DEMO_TRAINING.evalSteps} evaluations`);
});

test('examples.json: one validation pair per language, in the demo vocabulary, every label, the label true by construction', async () => {
  const examples = JSON.parse(new TextDecoder().decode(demo.files.get('examples.json'))) as DemoExample[];
  assert.deepEqual(examples.map((e) => e.language).sort(), [...DEMO_LANGUAGES].sort(), 'one example per demo language');
  assert.deepEqual([...new Set(examples.map((e) => e.label))].sort(), [...LABEL_NAMES].sort(), 'all three labels');
  const tokenizerJson = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer.json')));
  const tokenizerConfig = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer_config.json')));
  const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  const pairs = PairTokenizer.fromJson(tokenizerJson, tokenizerConfig);
  const unkId = tokenizerJson.model.vocab['[UNK]'];
  for (const example of examples) {
    assert.deepEqual(Object.keys(example).sort(), ['hypothesis', 'label', 'language', 'premise']);
    const rows = await readRows(`xnli/${example.language}/validation.parquet`);
    const row = rows.find((r) => r.premise === example.premise && r.hypothesis === example.hypothesis);
    assert.ok(row, `${example.language} example is not a validation pair: ${example.premise} / ${example.hypothesis}`);
    assert.equal(LABEL_NAMES[row.label], example.label, `${example.language} example's label`);
    const index = rows.indexOf(row);
    assert.equal(judge(demo.pairs.validation[index]!.premise, demo.pairs.validation[index]!.hypothesis), row.label);
    for (const text of [example.premise, example.hypothesis]) {
      const { tokens } = tokenizer.encode(text, { add_special_tokens: false });
      assert.ok(!tokens.includes('[UNK]'), `tokenizers.js gives [UNK] in "${text}": ${tokens.join(' ')}`);
      assert.equal(tokens.join(''), text.replace(/\s/gu, ''), `tokens do not spell "${text}"`);
    }
    assert.ok(!pairs.encodePair(example.premise, example.hypothesis).inputIds.includes(unkId), `[UNK] in the ${example.language} example`);
  }
});

test('the tokenizer covers every word of the sample: tokenizers.js and the pair tokenizer find no [UNK]', async () => {
  const tokenizerJson = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer.json')));
  const tokenizerConfig = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer_config.json')));
  const unkId = tokenizerJson.model.vocab['[UNK]'];
  const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  const pairs = PairTokenizer.fromJson(tokenizerJson, tokenizerConfig);
  assert.equal(pairs.maxLength, 64);
  assert.equal(pairs.padTokenId, 0);
  const files = ['xnli/en/train.parquet', ...DEMO_LANGUAGES.map((lang) => `xnli/${lang}/validation.parquet`)];
  for (const file of files) {
    const rows = await readRows(file);
    for (const row of rows.slice(0, 20)) {
      for (const text of [row.premise, row.hypothesis]) {
        const { tokens } = tokenizer.encode(text, { add_special_tokens: false });
        assert.ok(!tokens.includes('[UNK]'), `${file}: tokenizers.js gives [UNK] in "${text}": ${tokens.join(' ')}`);
        assert.equal(tokens.join(''), text.replace(/\s/gu, ''), `${file}: tokens do not spell "${text}"`);
      }
    }
    for (const row of rows) {
      const { inputIds, tokenTypeIds } = pairs.encodePair(row.premise, row.hypothesis);
      assert.ok(!inputIds.includes(unkId), `${file}: [UNK] in "${row.premise}" / "${row.hypothesis}"`);
      assert.ok(inputIds.length <= 64 && tokenTypeIds.includes(1));
    }
  }
  const chinese = tokenizer.encode('男人在公园里睡觉。', { add_special_tokens: false }).tokens;
  assert.deepEqual(chinese, ['男', '人', '在', '公', '园', '里', '睡', '觉', '。'], 'Chinese characters are not single tokens');
});

test('word embeddings are aligned across languages: each word is nearest to its translation', () => {
  const file = readSafetensors(demo.files.get('model/model.safetensors')!);
  const embeddings = tensorToFloat32(file, 'bert.embeddings.word_embeddings.weight');
  const hidden = file.tensors.get('bert.embeddings.word_embeddings.weight')!.shape[1];
  assert.equal(file.tensors.get('bert.embeddings.word_embeddings.weight')!.shape[0], demo.vocabulary.length);
  const vector = (word: string) => {
    const row = demo.vocabulary.indexOf(word);
    assert.ok(row >= 0, `${word} is not in the vocabulary`);
    return embeddings.subarray(row * hidden, (row + 1) * hidden);
  };
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    return dot / Math.sqrt(na * nb);
  };
  // Each language is tied to English at its own cosine (model.ts TIE_COSINE): closely for de/fr/es, less for ar/zh.
  for (const [english, word, lang] of [['dog', 'Hund', 'de'], ['dog', 'chien', 'fr'], ['dog', 'perro', 'es'], ['dog', 'الكلب', 'ar'], ['dog', '狗', 'zh'], ['sleeps', 'schläft', 'de']] as const) {
    assert.ok(Math.abs(cosine(vector(english), vector(word)) - TIE_COSINE[lang]) < 1e-4, `${english} / ${word}: cosine ${cosine(vector(english), vector(word))}, not ${TIE_COSINE[lang]}`);
  }
  assert.ok(TIE_COSINE.de > TIE_COSINE.ar && TIE_COSINE.fr > TIE_COSINE.zh && TIE_COSINE.en === 1);
  assert.ok(Math.abs(cosine(vector('dog'), vector('Küche'))) < 0.6);
  assert.ok(cosine(vector('sleeps'), vector('dort')) > cosine(vector('sleeps'), vector('court')));

  // Every word that renders exactly one concept: its nearest English single-concept word renders the same concept.
  const single = [...demo.conceptsOfWord].filter(([, concepts]) => concepts.size === 1).map(([word, concepts]) => [word, [...concepts][0]] as const);
  const englishWords = new Set(demo.vocabulary.filter((w) => /^[a-z]+$/u.test(w)));
  const englishSingle = single.filter(([word]) => englishWords.has(word) && !['the', 'does', 'not', 'today'].includes(word));
  assert.ok(englishSingle.length >= 25, `only ${englishSingle.length} English content words`);
  let checked = 0;
  for (const [word, concept] of single) {
    if (englishWords.has(word) || !englishSingle.some(([, c]) => c === concept)) continue;
    const nearest = englishSingle.reduce((best, candidate) => (cosine(vector(word), vector(candidate[0])) > cosine(vector(word), vector(best[0])) ? candidate : best));
    assert.equal(nearest[1], concept, `${word} (${concept}) is nearest to "${nearest[0]}" (${nearest[1]})`);
    checked++;
  }
  assert.ok(checked >= 100, `only ${checked} foreign words checked`);
  assert.deepEqual([...vector('[PAD]')], new Array(hidden).fill(0), '[PAD] embedding must be zero as in HF init');
});

test('the model folder is Hub-shaped: config, weights under HF names, vocab.txt matching tokenizer.json', () => {
  const config = JSON.parse(new TextDecoder().decode(demo.files.get('model/config.json')));
  assert.equal(config.model_type, 'bert');
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(config.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
  assert.equal(config.vocab_size, demo.vocabulary.length);
  const file = readSafetensors(demo.files.get('model/model.safetensors')!);
  const names = [...file.tensors.keys()];
  for (const name of ['bert.embeddings.position_embeddings.weight', 'bert.encoder.layer.1.attention.self.query.weight', 'bert.encoder.layer.1.output.LayerNorm.bias', 'bert.pooler.dense.weight', 'classifier.weight', 'classifier.bias']) {
    assert.ok(names.includes(name), `${name} missing`);
  }
  assert.deepEqual(file.tensors.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape, [128, 64]);
  assert.deepEqual(file.tensors.get('classifier.weight')!.shape, [3, 64]);
  // Layer 0 compares words (model.ts): its query and key are one matrix, blind to which sentence a token is in.
  const query = tensorToFloat32(file, 'bert.encoder.layer.0.attention.self.query.weight');
  assert.deepEqual([...query], [...tensorToFloat32(file, 'bert.encoder.layer.0.attention.self.key.weight')]);
  const types = tensorToFloat32(file, 'bert.embeddings.token_type_embeddings.weight');
  for (let row = 0; row < 64; row++) {
    for (let t = 0; t < 2; t++) {
      let dot = 0;
      for (let i = 0; i < 64; i++) dot += query[row * 64 + i]! * types[t * 64 + i]!;
      assert.ok(Math.abs(dot) < 1e-4, `query row ${row} sees token type ${t}: ${dot}`);
    }
  }
  const parameters = [...file.tensors.values()].reduce((sum, t) => sum + t.byteLength / 4, 0);
  assert.ok(parameters > 50_000 && parameters < 150_000, `${parameters} parameters; the README calls it a 0.1M-parameter model`);
  const vocabTxt = new TextDecoder().decode(demo.files.get('model/vocab.txt')).trimEnd().split('\n');
  const tokenizerVocab = JSON.parse(new TextDecoder().decode(demo.files.get('model/tokenizer.json'))).model.vocab;
  vocabTxt.forEach((token, id) => assert.equal(tokenizerVocab[token], id, token));
});
