import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEncoderConfig } from '../../src/model/config.ts';
import { XNLI_LABELS } from '../../src/data/xnli-facts.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { SeededRandom } from '../../src/random.ts';

const fixtures = checkpointFixtures();

test('bert config: sizes, dropouts, labels, activation', () => {
  const config = parseEncoderConfig(fixtures['fixtures/tiny-bert']['config.json']);
  assert.equal(config.architecture, 'bert');
  assert.deepEqual([config.hiddenSize, config.numLayers, config.numHeads, config.intermediateSize, config.vocabSize], [32, 2, 4, 64, 1000]);
  assert.equal(config.typeVocabSize, 2);
  assert.equal(config.padTokenId, 0);
  assert.equal(config.classifierDropout, 0.1, 'classifier_dropout null falls back to hidden_dropout_prob');
  assert.deepEqual(config.id2label, XNLI_LABELS);
  assert.equal(config.numLabels, 3);
  assert.equal(config.hiddenAct, 'gelu');
  const base = parseEncoderConfig(fixtures['fixtures/tiny-bert-base']['config.json']);
  assert.equal(base.hiddenDropout, 0.2);
  assert.equal(base.classifierDropout, 0.3);
  assert.equal(parseEncoderConfig(fixtures['fixtures/tiny-bert-pretraining']['config.json']).hiddenAct, 'gelu_tanh');
});

test('distilbert config uses its own field names and a fixed LayerNorm eps', () => {
  const config = parseEncoderConfig({ ...fixtures['fixtures/tiny-distilbert']['config.json'], dropout: 0.15, attention_dropout: 0.05, seq_classif_dropout: 0.25 });
  assert.equal(config.architecture, 'distilbert');
  assert.deepEqual([config.hiddenSize, config.numLayers, config.numHeads, config.intermediateSize], [32, 2, 4, 64]);
  assert.deepEqual([config.hiddenDropout, config.attentionDropout, config.classifierDropout], [0.15, 0.05, 0.25]);
  assert.equal(config.layerNormEps, 1e-12);
  assert.equal(config.typeVocabSize, 0);
});

test('xlm-roberta config: pad id 1, one token type, roberta code path', () => {
  const config = parseEncoderConfig(fixtures['fixtures/tiny-xlm-roberta-pretraining']['config.json']);
  assert.equal(config.modelType, 'xlm-roberta');
  assert.equal(config.architecture, 'roberta');
  assert.equal(config.padTokenId, 1);
  assert.equal(config.typeVocabSize, 1);
  assert.equal(config.maxPositionEmbeddings, 66);
  assert.equal(config.hiddenAct, 'relu');
  assert.deepEqual(config.id2label, XNLI_LABELS, 'no id2label: XNLI labels');
});

test('labels: HF default LABEL_i names count as absent, real names are kept', () => {
  const base = fixtures['fixtures/tiny-bert']['config.json'];
  assert.deepEqual(parseEncoderConfig({ ...base, id2label: { 0: 'LABEL_0', 1: 'LABEL_1' } }).id2label, XNLI_LABELS);
  assert.deepEqual(parseEncoderConfig({ ...base, id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' } }).id2label, XNLI_LABELS);
  const two = parseEncoderConfig({ ...base, id2label: { 1: 'positive', 0: 'negative' } });
  assert.deepEqual(two.id2label, ['negative', 'positive']);
  assert.equal(two.numLabels, 2);
  assert.equal(parseEncoderConfig({ ...base, id2label: undefined }).numLabels, 3);
});

test('unsupported model types and activations are refused with the supported list', () => {
  assert.throws(() => parseEncoderConfig({ model_type: 'gpt2' }), /model_type "gpt2" is not supported; supported model types: bert, distilbert, xlm-roberta, roberta/);
  assert.throws(() => parseEncoderConfig({}), /model_type undefined is not supported/);
  assert.throws(() => parseEncoderConfig({ ...fixtures['fixtures/tiny-bert']['config.json'], hidden_act: 'swish' }), /hidden_act "swish" is not supported; use gelu, gelu_new/);
  assert.throws(() => parseEncoderConfig({ ...fixtures['fixtures/tiny-bert']['config.json'], position_embedding_type: 'relative_key' }), /position_embedding_type "relative_key" is not supported/);
  assert.throws(() => parseEncoderConfig({ ...fixtures['fixtures/tiny-bert']['config.json'], hidden_size: '32' }), /hidden_size must be an integer, got "32"/);
  assert.throws(() => parseEncoderConfig([1]), /not a JSON object/);
});

test('seeded PRNG: reproducible, seed-sensitive, standard normal', () => {
  const a = new SeededRandom('x').normalArray(20000);
  const b = new SeededRandom('x').normalArray(20000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(new SeededRandom('y').normalArray(10), a.subarray(0, 10));
  assert.notDeepEqual(new SeededRandom(1).normalArray(10), new SeededRandom(2).normalArray(10));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.04, `variance ${variance}`);
  const uniform = new SeededRandom(7);
  for (let i = 0; i < 1000; i++) {
    const u = uniform.uniform();
    assert.ok(u >= 0 && u < 1);
  }
});
