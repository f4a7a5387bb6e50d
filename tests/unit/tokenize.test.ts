import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PairTokenizer, loadPairTokenizer } from '../../src/tokenize/pair-tokenizer.ts';
import { wordPieceTokenizerJson } from '../../src/tokenize/wordpiece-vocab.ts';
import { MissingFileError } from '../../src/model/files.ts';
import { padBatch } from '../../src/tokenize/batch.ts';
import { longestFirstLengths } from '../../src/tokenize/truncation.ts';
import { tokenizerFixtures, type TokenizerFixtureName } from '../fixtures/tokenizers.ts';
import { vocabTxt } from '../fixtures/write-fixtures.ts';
import { loadTokenizerGoldens, writeTokenizerFixtures } from '../reference/tokenizer-goldens.ts';
import { folderFiles } from '../support/folder-files.ts';

const fixtures = tokenizerFixtures();
const goldens = loadTokenizerGoldens();

function tokenizerFor(name: TokenizerFixtureName, maxLength: number): PairTokenizer {
  const fixture = fixtures[name];
  return PairTokenizer.fromJson(fixture['tokenizer.json'], { ...fixture['tokenizer_config.json'], model_max_length: maxLength });
}

test('every pair tokenises to the ids, token types and mask of the independent Python reference', () => {
  for (const golden of goldens.cases) {
    const tokenizer = tokenizerFor(golden.fixture, golden.maxLength);
    const pair = tokenizer.encodePair(golden.premise, golden.hypothesis);
    const batch = padBatch([pair], tokenizer.padTokenId);
    const where = `${golden.fixture} / ${golden.name}`;
    assert.deepEqual(Array.from(batch.inputIds), golden.inputIds, `${where}: input ids`);
    assert.deepEqual(Array.from(batch.tokenTypeIds), golden.tokenTypeIds, `${where}: token types`);
    assert.deepEqual(Array.from(batch.attentionMask), golden.attentionMask, `${where}: attention mask`);
  }
});

test('the goldens exercise both cases of longest_first: only the longer sentence cut, and both cut to half', () => {
  const truncated = goldens.cases.filter((c) => c.maxLength < 512);
  const added = (c: (typeof truncated)[number]) => (c.fixture === 'unigram' ? 4 : 3);
  const onlyLonger = truncated.filter((c) => Math.min(...c.sentenceLengths) + added(c) < c.maxLength && c.inputIds.length === c.maxLength
    && c.inputIds.length - added(c) - Math.min(...c.sentenceLengths) < Math.max(...c.sentenceLengths));
  const both = truncated.filter((c) => Math.min(...c.sentenceLengths) > (c.maxLength - added(c)) / 2);
  assert.ok(onlyLonger.length >= 3, 'cases where only the longer sentence is cut');
  assert.ok(both.length >= 3, 'cases where both sentences are cut');
  assert.ok(both.some((c) => (c.maxLength - added(c)) % 2 === 1), 'an odd budget, where one sentence keeps one token more');
});

test('truncation keeps every special token and the budget exactly', () => {
  for (const golden of goldens.cases.filter((c) => c.maxLength < 512)) {
    const pair = tokenizerFor(golden.fixture, golden.maxLength).encodePair(golden.premise, golden.hypothesis);
    const ids = pair.inputIds;
    assert.equal(ids.length, golden.maxLength, `${golden.fixture} / ${golden.name}`);
    if (golden.fixture === 'unigram') {
      assert.equal(ids[0], 0);
      assert.equal(ids.at(-1), 2);
      assert.equal(ids.filter((id) => id === 2).length, 3, 'three </s>: after the premise, before and after the hypothesis');
      assert.ok(pair.tokenTypeIds.every((t) => t === 0), 'RobertaProcessing types every token 0');
    } else {
      assert.equal(ids[0], 2);
      assert.equal(ids.at(-1), 3);
      const firstSep = ids.indexOf(3);
      assert.ok(firstSep > 1 && firstSep < ids.length - 2, 'premise and hypothesis both keep tokens');
      assert.deepEqual(pair.tokenTypeIds, ids.map((_, i) => (i <= firstSep ? 0 : 1)));
    }
  }
});

test('longest_first lengths follow the Rust crate (max_length 7)', () => {
  // The crate's own table (utils/truncation.rs tests): lengths 0, 2, 4, 8.
  const expected: [number, number, number, number][] = [
    [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
    [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
    [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
    [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
  ];
  for (const [a, b, keepA, keepB] of expected) assert.deepEqual(longestFirstLengths(a, b, 7), [keepA, keepB], `${a}+${b}`);
  assert.deepEqual(longestFirstLengths(5, 9, 0), [0, 0]);
});

test('padBatch pads on the right to the longest pair, or to a longer bucket length', () => {
  const pairs = [{ inputIds: [2, 7, 3], tokenTypeIds: [0, 0, 0] }, { inputIds: [2, 8, 9, 3, 5], tokenTypeIds: [0, 0, 0, 1, 1] }];
  const batch = padBatch(pairs, 1);
  assert.equal(batch.batchSize, 2);
  assert.equal(batch.seqLen, 5);
  assert.deepEqual(Array.from(batch.inputIds), [2, 7, 3, 1, 1, 2, 8, 9, 3, 5]);
  assert.deepEqual(Array.from(batch.attentionMask), [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(batch.tokenTypeIds), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  const bucketed = padBatch(pairs, 0, 8);
  assert.equal(bucketed.seqLen, 8);
  assert.equal(bucketed.inputIds.length, 16);
  assert.throws(() => padBatch([], 0), /at least one pair/);
  assert.throws(() => padBatch([{ inputIds: [1, 2], tokenTypeIds: [0] }], 0), /2 input ids but 1 token types/);
});

test('a whole batch of real pairs pads each row with the pad id, mask 0 and type 0', () => {
  const unigram = goldens.cases.filter((c) => c.fixture === 'unigram' && c.maxLength === 512);
  const tokenizer = tokenizerFor('unigram', 512);
  assert.equal(tokenizer.padTokenId, 1);
  const batch = padBatch(unigram.map((c) => tokenizer.encodePair(c.premise, c.hypothesis)), tokenizer.padTokenId);
  assert.equal(batch.seqLen, Math.max(...unigram.map((c) => c.inputIds.length)));
  unigram.forEach((golden, row) => {
    const slice = (a: Int32Array) => Array.from(a.subarray(row * batch.seqLen, (row + 1) * batch.seqLen));
    const padding = batch.seqLen - golden.inputIds.length;
    assert.deepEqual(slice(batch.inputIds), [...golden.inputIds, ...Array(padding).fill(1)]);
    assert.deepEqual(slice(batch.attentionMask), [...golden.attentionMask, ...Array(padding).fill(0)]);
    assert.deepEqual(slice(batch.tokenTypeIds), [...golden.tokenTypeIds, ...Array(padding).fill(0)]);
  });
});

test('loadPairTokenizer reads the files, caps the length by the model positions, and says what is wrong', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokenize-'));
  try {
    const folders = await writeTokenizerFixtures(dir);
    const bert = await loadPairTokenizer(folderFiles(folders['wordpiece-cased']), { model_type: 'bert', max_position_embeddings: 512 });
    assert.equal(bert.maxLength, 512);
    assert.equal(bert.padTokenId, 0);
    const xlmr = await loadPairTokenizer(folderFiles(folders.unigram), { model_type: 'xlm-roberta', max_position_embeddings: 514 });
    assert.equal(xlmr.maxLength, 512);
    const small = await loadPairTokenizer(folderFiles(folders.unigram), { model_type: 'xlm-roberta', max_position_embeddings: 66 });
    assert.equal(small.maxLength, 64);
    assert.equal(small.encodePair('x '.repeat(100), 'y '.repeat(100)).inputIds.length, 64);

    const noConfig = join(dir, 'no-config');
    await mkdir(noConfig);
    await writeFile(join(noConfig, 'tokenizer.json'), JSON.stringify(fixtures['wordpiece-uncased']['tokenizer.json']));
    const defaults = await loadPairTokenizer(folderFiles(noConfig));
    assert.equal(defaults.maxLength, 512);
    assert.equal(defaults.padTokenId, 0);

    const empty = join(dir, 'empty');
    await mkdir(empty);
    await assert.rejects(loadPairTokenizer(folderFiles(empty)), (error: Error) => error.message.includes('tokenizer.json') && error.message.includes(empty));

    const broken = join(dir, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, 'tokenizer.json'), '{"model": ');
    await assert.rejects(loadPairTokenizer(folderFiles(broken)), /tokenizer\.json from .*broken is not valid JSON/);

    const slow = join(dir, 'slow');
    await mkdir(slow);
    await writeFile(join(slow, 'tokenizer.json'), '{"vocab": ["a"]}');
    await assert.rejects(loadPairTokenizer(folderFiles(slow)), /has no "model" object.*slow/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('model_max_length: a sane value wins, the transformers sentinel falls back to opts or 512', () => {
  const json = fixtures['wordpiece-cased']['tokenizer.json'];
  assert.equal(PairTokenizer.fromJson(json, { model_max_length: 128 }, { maxLength: 64 }).maxLength, 128);
  assert.equal(PairTokenizer.fromJson(json, { model_max_length: 1e30 }, { maxLength: 64 }).maxLength, 64);
  assert.equal(PairTokenizer.fromJson(json, undefined).maxLength, 512);
  assert.throws(() => PairTokenizer.fromJson(json, { model_max_length: 3 }), /leaves no room/);
  const unsupported = { ...json, post_processor: { type: 'Frobnicate' } };
  assert.throws(() => PairTokenizer.fromJson(unsupported, {}), /post_processor type "Frobnicate" is not supported/);
  assert.throws(() => PairTokenizer.fromJson('nope', {}), /no "model" object/);
});

/** vocab.txt as the slow tokenizer has it. */
const vocabTxtOf = (name: TokenizerFixtureName) => vocabTxt(fixtures[name]['tokenizer.json']);

test('vocab.txt with tokenizer_config.json becomes the tokenizer.json transformers\' conversion makes, and tokenises as the Python reference', () => {
  for (const name of ['wordpiece-cased', 'wordpiece-uncased'] as const) {
    const config = fixtures[name]['tokenizer_config.json'] as Record<string, unknown>;
    const built = wordPieceTokenizerJson(vocabTxtOf(name), config);
    assert.deepEqual(built, fixtures[name]['tokenizer.json'], `${name}: tokenizer.json`);
    for (const golden of goldens.cases.filter((c) => c.fixture === name)) {
      const tokenizer = PairTokenizer.fromJson(built, { ...config, model_max_length: golden.maxLength });
      assert.deepEqual(tokenizer.encodePair(golden.premise, golden.hypothesis).inputIds, golden.inputIds.filter((_, i) => golden.attentionMask[i] === 1), `${name} / ${golden.name}`);
    }
  }
  const defaults = wordPieceTokenizerJson(vocabTxtOf('wordpiece-cased')) as { normalizer: Record<string, unknown> };
  assert.equal(defaults.normalizer.lowercase, true, 'BertTokenizer lowercases unless told not to');
  assert.throws(() => wordPieceTokenizerJson('a\nb\n'), /vocab\.txt has no \[CLS\] token/);
});

test('a repository with vocab.txt and no tokenizer.json loads; with neither, the error says what is read', async () => {
  const files = (names: Record<string, string>) => ({
    describe: 'org/slow@main',
    async fetchBytes(name: string) {
      if (!(name in names)) throw new MissingFileError(name, 'org/slow@main');
      return new TextEncoder().encode(names[name]).buffer as ArrayBuffer;
    },
  });
  const config = JSON.stringify(fixtures['wordpiece-uncased']['tokenizer_config.json']);
  const slow = await loadPairTokenizer(files({ 'vocab.txt': vocabTxtOf('wordpiece-uncased'), 'tokenizer_config.json': config }));
  const fast = PairTokenizer.fromJson(fixtures['wordpiece-uncased']['tokenizer.json'], fixtures['wordpiece-uncased']['tokenizer_config.json']);
  assert.deepEqual(slow.encodePair('Héllo WORLD, again!', 'A second sentence.'), fast.encodePair('Héllo WORLD, again!', 'A second sentence.'));
  await assert.rejects(loadPairTokenizer(files({ 'sentencepiece.bpe.model': 'x' })), /tokenizer\.json not found in org\/slow@main \(nor a WordPiece vocab\.txt/);
});
