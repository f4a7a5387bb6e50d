import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadSequenceClassifier, sequenceClassifierFromBuffers, type SequenceClassifier } from '../../src/model/classifier.ts';
import { readSafetensors, tensorToFloat32, writeSafetensors, type SafetensorsEntry } from '../../src/model/safetensors.ts';
import { checkpointFixtures, writeCheckpointFixture, type CheckpointFixture } from '../fixtures/checkpoints.ts';
import { folderFiles } from '../support/folder-files.ts';

await tf.setBackend('cpu');
const fixtures = checkpointFixtures();

function load(fixture: CheckpointFixture, seed?: number): SequenceClassifier {
  return sequenceClassifierFromBuffers(fixture['config.json'], fixture['model.safetensors'].slice().buffer, { seed });
}

/** The fixture's tensors as writable entries, to build broken variants. */
function entriesOf(fixture: CheckpointFixture): Record<string, SafetensorsEntry> {
  const file = readSafetensors(fixture['model.safetensors']);
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, info] of file.tensors) {
    if (info.dtype === 'F32') entries[name] = { shape: info.shape, data: tensorToFloat32(file, name).slice() };
  }
  return entries;
}

function withTensors(fixture: CheckpointFixture, entries: Record<string, SafetensorsEntry>): CheckpointFixture {
  return { 'config.json': fixture['config.json'], 'model.safetensors': writeSafetensors(entries) };
}

function values(model: SequenceClassifier, name: string): number[] {
  return [...model.parameter(name).dataSync()];
}

const HEADS = {
  bert: ['classifier.weight', 'classifier.bias'],
  distilbert: ['pre_classifier.weight', 'pre_classifier.bias', 'classifier.weight', 'classifier.bias'],
  roberta: ['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias'],
};

test('legacy gamma/beta names and the no-prefix base model load to the same encoder as the prefixed checkpoint', () => {
  const modern = load(fixtures['fixtures/tiny-bert']);
  const legacy = load(fixtures['fixtures/tiny-bert-pretraining']);
  const unprefixed = load(fixtures['fixtures/tiny-bert-base']);
  try {
    for (const p of modern.parameters) {
      if (p.hfName.startsWith('classifier')) continue;
      assert.deepEqual(values(legacy, p.hfName), values(modern, p.hfName), p.hfName);
      assert.deepEqual(values(unprefixed, p.hfName), values(modern, p.hfName), p.hfName);
    }
    assert.ok(modern.parameters.some((p) => p.hfName === 'bert.encoder.layer.1.output.LayerNorm.weight'));
    assert.ok(modern.parameters.every((p) => p.hfName.startsWith('bert.') || p.hfName.startsWith('classifier')));
  } finally {
    for (const m of [modern, legacy, unprefixed]) m.dispose();
  }
});

test('headless checkpoints initialise exactly the head, report ignored tensors, and the with-head fixture loads everything', () => {
  const cases: [string, string[], RegExp | null][] = [
    ['fixtures/tiny-bert', [], /^bert\.embeddings\.position_ids$/],
    ['fixtures/tiny-bert-pretraining', HEADS.bert, /^cls\./],
    ['fixtures/tiny-bert-base', HEADS.bert, null],
    ['fixtures/tiny-distilbert-pretraining', HEADS.distilbert, /^vocab_(transform|layer_norm|projector)\./],
    ['fixtures/tiny-distilbert', [], null],
    ['fixtures/tiny-xlm-roberta-pretraining', HEADS.roberta, /^(lm_head\.|roberta\.pooler\.)/],
    ['fixtures/tiny-xlm-roberta', [], null],
  ];
  for (const [id, initialised, ignoredPattern] of cases) {
    const model = load(fixtures[id]);
    try {
      assert.deepEqual(model.report.initialised, initialised, id);
      if (ignoredPattern) {
        assert.ok(model.report.ignored.length > 0, `${id} should report ignored tensors`);
        for (const name of model.report.ignored) assert.match(name, ignoredPattern, id);
      } else {
        assert.deepEqual(model.report.ignored, [], id);
      }
    } finally {
      model.dispose();
    }
  }
  const xlmr = load(fixtures['fixtures/tiny-xlm-roberta-pretraining']);
  assert.ok(xlmr.report.ignored.includes('roberta.pooler.dense.weight'));
  assert.ok(xlmr.report.ignored.includes('lm_head.decoder.weight'));
  xlmr.dispose();
});

test('new heads: HF init (normal(0, initializer_range) weights, zero biases), deterministic per seed', () => {
  const fixture = fixtures['fixtures/tiny-distilbert-pretraining'];
  const a = load(fixture, 7);
  const b = load(fixture, 7);
  const c = load(fixture, 8);
  try {
    for (const name of HEADS.distilbert) assert.deepEqual(values(a, name), values(b, name), name);
    assert.notDeepEqual(values(a, 'classifier.weight'), values(c, 'classifier.weight'));
    assert.deepEqual(values(a, 'pre_classifier.bias'), new Array(32).fill(0));
    const w = values(a, 'pre_classifier.weight');
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(std - 0.2) < 0.02, `std ${std} vs initializer_range 0.2`);
    assert.deepEqual(values(a, 'distilbert.embeddings.word_embeddings.weight'), values(c, 'distilbert.embeddings.word_embeddings.weight'), 'the seed only touches new weights');
  } finally {
    for (const m of [a, b, c]) m.dispose();
  }
});

test('a tensor of the wrong shape is an error naming it and the expected shape', () => {
  const fixture = fixtures['fixtures/tiny-bert'];
  const entries = entriesOf(fixture);
  entries['bert.encoder.layer.1.intermediate.dense.weight'] = { shape: [32, 64], data: new Float32Array(32 * 64) };
  assert.throws(() => load(withTensors(fixture, entries)),
    /tensor bert\.encoder\.layer\.1\.intermediate\.dense\.weight has shape \[32, 64\] but bert\.encoder\.layer\.1\.intermediate\.dense\.weight needs \[64, 32\]/);
  const twoLabels = entriesOf(fixture);
  twoLabels['classifier.weight'] = { shape: [2, 32], data: new Float32Array(64) };
  assert.throws(() => load(withTensors(fixture, twoLabels)), /tensor classifier\.weight has shape \[2, 32\] but classifier\.weight needs \[3, 32\]/);
});

test('a missing encoder tensor is an error naming it', () => {
  const fixture = fixtures['fixtures/tiny-xlm-roberta'];
  const entries = entriesOf(fixture);
  delete entries['roberta.encoder.layer.0.attention.self.key.bias'];
  assert.throws(() => load(withTensors(fixture, entries)), /lacks the tensor roberta\.encoder\.layer\.0\.attention\.self\.key\.bias \(shape \[32\]\)/);
  const numTensors = tf.memory().numTensors;
  assert.throws(() => load(withTensors(fixture, { ...entriesOf(fixture), 'roberta.encoder.layer.1.output.dense.bias': { shape: [5], data: new Float32Array(5) } })), /needs \[32\]/);
  assert.equal(tf.memory().numTensors, numTensors, 'a failed load frees the variables it made');
});

test('F16 and BF16 checkpoints load to the rounded float32 weights', () => {
  const fixture = fixtures['fixtures/tiny-distilbert'];
  const reference = load(fixture);
  const halves: Record<string, SafetensorsEntry> = {};
  const file = readSafetensors(fixture['model.safetensors']);
  for (const name of file.tensors.keys()) {
    const v = tensorToFloat32(file, name);
    const bits = new Uint16Array(new Float32Array(v).buffer).filter((_, i) => i % 2 === 1);
    halves[name] = { dtype: 'BF16', shape: file.tensors.get(name)!.shape, data: bits };
  }
  const bf16 = load(withTensors(fixture, halves));
  try {
    const exact = values(reference, 'classifier.weight');
    const truncated = values(bf16, 'classifier.weight');
    exact.forEach((v, i) => assert.ok(Math.abs(v - truncated[i]) <= Math.abs(v) * 2 ** -7));
  } finally {
    reference.dispose();
    bf16.dispose();
  }
});

test('loadSequenceClassifier reads a folder, reports progress, and explains a missing model.safetensors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'model-'));
  try {
    await writeCheckpointFixture(dir, fixtures['fixtures/tiny-xlm-roberta']);
    const stages: string[] = [];
    let lastLoaded = 0;
    const model = await loadSequenceClassifier(folderFiles(dir), { onProgress: (p) => { stages.push(p.stage); if (p.loaded) lastLoaded = p.loaded; } });
    assert.deepEqual([...new Set(stages)], ['config', 'weights', 'variables']);
    assert.equal(lastLoaded, model.parameters.length);
    model.dispose();
    await unlink(join(dir, 'model.safetensors'));
    await assert.rejects(loadSequenceClassifier(folderFiles(dir)), /^Error: no weights in .*model-.*: it has none of model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin, pytorch_model\.bin\.index\.json( \(.*\))?; pick a model repository that has them\.$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Logits of a fixed batch, to compare two loadings of the same weights. */
function logitsOf(model: SequenceClassifier): Float32Array {
  const ids = tf.tensor2d([[2, 17, 40, 3, 90, 33, 3, 0]], [1, 8], 'int32');
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 0]], [1, 8], 'int32');
  const types = tf.tensor2d([[0, 0, 0, 0, 1, 1, 1, 0]], [1, 8], 'int32');
  const logits = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types }, { training: false });
  const values = logits.dataSync() as Float32Array;
  tf.dispose([ids, mask, types, logits]);
  return values;
}

test('weights as pytorch_model.bin (a real torch.save, both formats) or as safetensors shards load as model.safetensors does', async () => {
  const fixture = fixtures['fixtures/tiny-bert'];
  const reference = sequenceClassifierFromBuffers(fixture['config.json'], fixture['model.safetensors'].slice().buffer);
  const expected = logitsOf(reference);
  reference.dispose();
  const dir = await mkdtemp(join(tmpdir(), 'model-'));
  try {
    await writeCheckpointFixture(dir, fixture);
    await unlink(join(dir, 'model.safetensors'));
    for (const format of ['zip', 'legacy']) {
      await copyFile(join(import.meta.dirname, '..', 'reference', 'goldens', 'torch', `tiny-bert.${format}.bin`), join(dir, 'pytorch_model.bin'));
      const model = await loadSequenceClassifier(folderFiles(dir));
      assert.deepEqual(logitsOf(model), expected, `pytorch_model.bin (${format})`);
      model.dispose();
    }
    await unlink(join(dir, 'pytorch_model.bin'));
    const file = readSafetensors(fixture['model.safetensors']);
    const names = [...file.tensors.keys()].filter((name) => file.tensors.get(name)!.dtype === 'F32');
    const shard = (part: string[]) => writeSafetensors(Object.fromEntries(part.map((name) => [name, { shape: file.tensors.get(name)!.shape, data: tensorToFloat32(file, name).slice() }])));
    const half = Math.floor(names.length / 2);
    await writeFile(join(dir, 'model-00001-of-00002.safetensors'), shard(names.slice(0, half)));
    await writeFile(join(dir, 'model-00002-of-00002.safetensors'), shard(names.slice(half)));
    const weightMap = Object.fromEntries(names.map((name, i) => [name, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const sharded = await loadSequenceClassifier(folderFiles(dir));
    assert.deepEqual(logitsOf(sharded), expected, 'model.safetensors.index.json');
    sharded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('unsupported model_type is refused before any weight is read', () => {
  assert.throws(() => sequenceClassifierFromBuffers({ model_type: 't5' }, new ArrayBuffer(0)), /supported model types: bert, distilbert, xlm-roberta, roberta/);
});
