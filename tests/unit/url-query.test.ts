import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromQuery, configToQuery, DEMO_TRAIN_FILE, demoEvalFile } from '../../src/config/url-query.ts';
import { REFERENCE_DEFAULTS, type RunConfig } from '../../src/config/run-config.ts';
import { parseEncoderConfig } from '../../src/model/config.ts';
import { estimateTrainingMemory, memoryWarnings } from '../../src/model/memory-estimate.ts';

test('a set-up survives the round trip through a link', () => {
  const config: RunConfig = { ...REFERENCE_DEFAULTS, evalFiles: {}, technique: 'feature-extraction', modelNames: ['FacebookAI/xlm-roberta-base', 'distilbert/distilbert-base-multilingual-cased'], evalLanguages: ['en', 'sw'], batchSize: 32, learningRate: 2e-5, numTrainEpochs: 1.5, seed: 0, shuffle: false };
  const query = configToQuery(config);
  assert.equal(query.get('batch-size'), '32');
  assert.equal(query.has('eval-steps'), false, 'defaults stay out of the link');
  const { config: back, errors } = configFromQuery(query);
  assert.deepEqual(errors, []);
  assert.deepEqual(back, config);
});

test('data=demo points every language at the embedded files and is written back as data=demo', () => {
  const { config, errors } = configFromQuery('model-names=./demo/model&eval-datasets-names=en,zh&data=demo');
  assert.deepEqual(errors, []);
  assert.equal(config.trainFile, DEMO_TRAIN_FILE);
  assert.deepEqual(config.evalFiles, { en: demoEvalFile('en'), zh: demoEvalFile('zh') });
  assert.equal(configToQuery(config).get('data'), 'demo');
  assert.match(configFromQuery('model-names=./demo/model&eval-datasets-names=en,sw&data=demo').errors.join('\n'), /offline demo has no sw data/);
});

test('every bad value in a link is listed, and the base keeps its value', () => {
  const { config, errors } = configFromQuery('batch-size=abc&seed=1.5&technique=transfer&backend=tpu&learning-rate=5&eval-datasets-names=en,xx&colour=blue&data=web');
  assert.equal(config.batchSize, REFERENCE_DEFAULTS.batchSize);
  assert.equal(config.technique, 'fine-tune');
  const text = errors.join('\n');
  for (const pattern of [/batch-size=abc: not an integer; the form keeps 8/, /seed=1\.5: not an integer/, /technique=transfer/, /backend=tpu/, /learning rate must be in \(0, 1\), got 5/, /XNLI has no language "xx"/, /colour=blue: unknown setting/, /data=web/]) {
    assert.match(text, pattern);
  }
  assert.equal(errors.length, 8, text);
  // A link that names no model is not an error: the form's own models stay.
  assert.deepEqual(configFromQuery('batch-size=16').errors, []);
});

test('memory estimate: parameter counts of mBERT, and what fine-tuning adds over feature extraction', () => {
  // bert-base-multilingual-cased's config.json fields.
  const mbert = parseEncoderConfig({ model_type: 'bert', vocab_size: 119547, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2 });
  const fine = estimateTrainingMemory(mbert, 'fine-tune', 8, 128);
  const frozen = estimateTrainingMemory(mbert, 'feature-extraction', 8, 128);
  // 177,853,440 in BertModel (pooler included) + the 3-label classifier.
  assert.equal(fine.parameters, 177_853_440 + 768 * 3 + 3);
  assert.equal(frozen.trainableParameters, 768 * 3 + 3);
  // AdamW's two moments per trainable parameter and its transient; raw and clipped gradients.
  assert.equal(fine.gradientBytes, 2 * 4 * fine.trainableParameters);
  assert.ok(fine.optimizerBytes >= 2 * 4 * fine.trainableParameters);
  assert.ok(fine.totalBytes > 3 * frozen.totalBytes);
  assert.equal(fine.largestTensor.name, 'word embeddings');
  assert.match(memoryWarnings(fine, { maxStorageBufferBindingSize: 128 * 2 ** 20 }).join(), /word embeddings \(350 MiB\) exceed this GPU's largest buffer \(128 MiB\)/);
  assert.deepEqual(memoryWarnings(fine, { maxStorageBufferBindingSize: 2 ** 31 }), []);
});
