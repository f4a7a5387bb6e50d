// The seed's own command (its write-up's usage example), through the CLI, against the Hub-like server laid out as
// the four repositories are today: under their current ids (google-bert/, FacebookAI/, distilbert/), with the files
// each one holds (the weights in several formats, vocab.txt beside tokenizer.json, xlm-roberta-base without a
// tokenizer_config.json), pretraining checkpoints without a classification head, and the short ids redirecting as
// the Hub's do. It must work with and without HF_TOKEN (with one, a redirected request would be preflighted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type RequestInfo, type TestHub } from '../support/hub-server.ts';
import { ensureBuiltApp } from '../../cli/app-build.ts';
import { LEGACY_MODEL_IDS } from '../../src/hub/model-ids.ts';
import { hubFixtureRepos } from '../fixtures/write-fixtures.ts';
import { syntheticXnliRows, xnliParquet } from '../support/xnli-parquet.ts';
import { xnliTrain } from '../support/run-cli.ts';

const LANGUAGES = ['en', 'de', 'fr', 'es', 'ar', 'zh'];
let work: string;
let server: TestHub;
const requests: RequestInfo[] = [];

/** Where each current repository's tiny stand-in comes from, and the other files the real repository holds. */
const LAYOUT: Record<string, { from: string; tokenizer: string; extra: string[]; noTokenizerConfig?: boolean }> = {
  'google-bert/bert-base-multilingual-cased': { from: 'fixtures/tiny-bert-pretraining', tokenizer: 'tokenizers/wordpiece-cased', extra: ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'vocab.txt'] },
  'google-bert/bert-base-multilingual-uncased': { from: 'fixtures/tiny-bert-pretraining', tokenizer: 'tokenizers/wordpiece-uncased', extra: ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'vocab.txt'] },
  'FacebookAI/xlm-roberta-base': { from: 'fixtures/tiny-xlm-roberta-pretraining', tokenizer: 'tokenizers/unigram', extra: ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'sentencepiece.bpe.model', 'rust_model.ot'], noTokenizerConfig: true },
  'distilbert/distilbert-base-multilingual-cased': { from: 'fixtures/tiny-distilbert-pretraining', tokenizer: 'tokenizers/wordpiece-cased', extra: ['pytorch_model.bin', 'tf_model.h5', 'vocab.txt'] },
};

before(async () => {
  await ensureBuiltApp(() => {});
  work = await mkdtemp(join(tmpdir(), 'hub-seed-'));
  const fixtures = hubFixtureRepos();
  for (const [repo, layout] of Object.entries(LAYOUT)) {
    const dir = join(work, 'hub', ...repo.split('/'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), fixtures[layout.from]!['config.json']!);
    await writeFile(join(dir, 'model.safetensors'), fixtures[layout.from]!['model.safetensors']!);
    await writeFile(join(dir, 'tokenizer.json'), fixtures[layout.tokenizer]!['tokenizer.json']!);
    if (!layout.noTokenizerConfig) await writeFile(join(dir, 'tokenizer_config.json'), fixtures[layout.tokenizer]!['tokenizer_config.json']!);
    // Present as in the real repository, never read: safetensors and tokenizer.json are preferred.
    for (const name of layout.extra) await writeFile(join(dir, name), `not read: ${name}\n`);
  }
  for (const language of LANGUAGES) {
    for (const [split, count] of [['train', 48], ['validation', 16]] as const) {
      const folder = join(work, 'hub', 'datasets', 'facebook', 'xnli', language, split);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, '0000.parquet'), xnliParquet(syntheticXnliRows(count, `${language}-${split}`)));
    }
  }
  server = await startTestHub({ hubRoot: join(work, 'hub'), storageRedirect: true, renamed: { ...LEGACY_MODEL_IDS }, onRequest: (info) => requests.push(info) });
});

after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

for (const token of [undefined, 'hf_seed_command_token']) {
  test(`the seed's feature-extraction command trains all four models ${token ? 'with' : 'without'} HF_TOKEN`, { timeout: 600_000 }, async () => {
    requests.length = 0;
    const out = join(work, token ? 'logs-token' : 'logs');
    const result = await xnliTrain([
      'feature-extraction',
      '--model-names', ...Object.keys(LEGACY_MODEL_IDS),
      '--eval-datasets-names', ...LANGUAGES,
      '--output-dir', out,
      '--hub-endpoint', server.url, '--backend', 'wasm', '--num-train-batches', '16', '--num-train-epochs', '1',
    ], token ? { HF_TOKEN: token } : {});
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const experiment = join(out, 'mlruns');
    const runs = (await readdir(experiment, { recursive: true })).filter((path) => path.endsWith('meta.yaml') && path.split('/').length === 3);
    assert.equal(runs.length, 4, `one MLflow run per model: ${runs.join(', ')}`);
    for (const legacy of Object.keys(LEGACY_MODEL_IDS)) {
      const underShortId = requests.filter((r) => r.path.startsWith(`/${legacy}/`) || r.path.startsWith(`/api/models/${legacy}/`));
      assert.deepEqual(underShortId.map((r) => r.path), [], `${legacy} is asked for by its current id from the start`);
    }
    assert.ok(requests.every((r) => !/pytorch_model\.bin|tf_model|flax_model|vocab\.txt|sentencepiece/.test(r.path)), 'only safetensors and tokenizer.json are read');
    if (token) assert.ok(requests.some((r) => r.path.includes('/resolve/') && r.authorization === `Bearer ${token}`), 'the files carry the token');
  });
}
