// Local XNLI files for offline use: the original XNLI-1.0 TSV, XNLI-MT's training TSV, JSONL and parquet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readNliFile } from '../../src/data/nli-files.ts';
import { xnliParquet } from '../support/xnli-parquet.ts';

const XNLI_HEADER = ['language', 'gold_label', 'sentence1_binary_parse', 'sentence2_binary_parse', 'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2', 'promptID', 'pairID', 'genre'];
const line = (language: string, label: string, s1: string, s2: string, id: number) => [language, label, '( x )', '( y )', '(ROOT x)', '(ROOT y)', s1, s2, String(id), String(id), 'fiction'].join('\t');
const XNLI_TSV = [
  XNLI_HEADER.join('\t'),
  line('de', 'neutral', 'Er sagte "Hallo".', 'Er grüßte.', 1),
  line('en', 'contradiction', 'He said "hello".', 'He was silent.', 1),
  line('de', 'entailment', 'Sie lief.', 'Sie bewegte sich.', 2),
  line('zh', 'contradiction', '他走了。', '他留下了。', 3),
  '',
].join('\n');
const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

test('XNLI-1.0 TSV: one language picked by the language column, labels by name, quotes kept literally', async () => {
  assert.deepEqual(await readNliFile(bytes(XNLI_TSV), 'xnli.dev.tsv', { language: 'de' }), [
    { premise: 'Er sagte "Hallo".', hypothesis: 'Er grüßte.', label: 1 },
    { premise: 'Sie lief.', hypothesis: 'Sie bewegte sich.', label: 0 },
  ]);
  assert.deepEqual(await readNliFile(bytes(XNLI_TSV), 'xnli.dev.tsv', { language: 'zh' }), [{ premise: '他走了。', hypothesis: '他留下了。', label: 2 }]);
});

test('XNLI-1.0 TSV: a language the file lacks, no language for a multilingual file, and a bad label are named', async () => {
  await assert.rejects(readNliFile(bytes(XNLI_TSV), 'xnli.dev.tsv', { language: 'sw' }), /^Error: xnli\.dev\.tsv has no rows in language "sw"; it has de, en, zh\.$/);
  await assert.rejects(readNliFile(bytes(XNLI_TSV), 'xnli.dev.tsv'), /xnli\.dev\.tsv holds several languages \(de, en, zh\); say which one to read/);
  const bad = XNLI_TSV.replace('neutral', '-');
  await assert.rejects(readNliFile(bytes(bad), 'xnli.dev.tsv', { language: 'de' }), /xnli\.dev\.tsv line 2: label "-" is not entailment, neutral or contradiction/);
  await assert.rejects(readNliFile(bytes('a\tb\n1\t2\n'), 'other.tsv'), /other\.tsv is not an XNLI TSV file: its header needs gold_label, sentence1, sentence2/);
});

test('XNLI-MT training TSV (premise, hypo, label with "contradictory")', async () => {
  const text = 'premise\thypo\tlabel\nA man eats .\tA person eats .\tentailment\nIt rains .\tIt is dry .\tcontradictory\n';
  assert.deepEqual(await readNliFile(bytes(text), 'multinli.train.fr.tsv'), [
    { premise: 'A man eats .', hypothesis: 'A person eats .', label: 0 },
    { premise: 'It rains .', hypothesis: 'It is dry .', label: 2 },
  ]);
});

test('parquet and JSONL in the XNLI schema read alike; unknown formats are refused with the accepted ones', async () => {
  const rows = [{ premise: 'p1', hypothesis: 'h1', label: 0 }, { premise: 'p2', hypothesis: 'h2', label: 2 }];
  assert.deepEqual(await readNliFile(xnliParquet(rows).slice().buffer as ArrayBuffer, 'en.parquet'), rows);
  assert.deepEqual(await readNliFile(bytes(rows.map((r) => JSON.stringify(r)).join('\n')), 'en.jsonl'), rows);
  await assert.rejects(readNliFile(bytes(''), 'en.csv'), /give a \.parquet, \.jsonl or XNLI \.tsv file/);
  const truncated = xnliParquet(rows).slice(0, 40);
  await assert.rejects(readNliFile(truncated.buffer as ArrayBuffer, 'cut.parquet'), /cut\.parquet is not a readable XNLI parquet file/);
});
