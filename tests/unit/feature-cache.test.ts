// Feature-extraction with the encoder-output cache (--feature-extraction-cache): only the head trains, on
// features computed once per example and reused after that; the cache is refused with fine-tuning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { train, TRAIN_DEFAULTS, type LabelledPair } from '../../src/train/trainer.ts';
import { FeatureCache } from '../../src/train/feature-cache.ts';
import { parseTrainArgs, UsageError } from '../../src/config/train-args.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';

await tf.setBackend('cpu');
const fixture = checkpointFixtures()['fixtures/tiny-bert'];
const tinyBert = () => sequenceClassifierFromBuffers(fixture['config.json'], fixture['model.safetensors'].slice().buffer);

function pairs(count: number): LabelledPair[] {
  return Array.from({ length: count }, (_, i) => ({ pair: { inputIds: [2, 5 + (i % 7), 9 + (i % 3), 3, 11 + (i % 5), 3], tokenTypeIds: [0, 0, 0, 0, 1, 1] }, label: i % 3 }));
}

test('the cached run trains only the head, on eval-mode features reused from the second epoch', async () => {
  const model = tinyBert();
  const before = model.parameters.map((p) => ({ name: p.hfName, values: Array.from(p.variable.dataSync()) }));
  const examples = pairs(12);
  const options = { ...TRAIN_DEFAULTS, technique: 'feature-extraction' as const, featureCache: true, batchSize: 4, numTrainEpochs: 2, loggingSteps: 3, evalSteps: 0, saveSteps: 0 };
  const result = await train(model, { trainSet: examples, options });
  assert.equal(result.globalStep, 6);
  for (const [i, p] of model.parameters.entries()) {
    const changed = Array.from(p.variable.dataSync()).some((v, j) => v !== before[i]!.values[j]);
    assert.equal(changed, p.hfName.startsWith('classifier'), `${p.hfName} ${changed ? 'changed' : 'stayed'}`);
  }
  const cache = new FeatureCache(model);
  const first = await cache.batch([0, 1], () => ({ inputIds: tf.tensor2d([[2, 5, 9, 3, 11, 3], [2, 6, 10, 3, 12, 3]], [2, 6], 'int32'), attentionMask: tf.ones([2, 6], 'int32') as tf.Tensor2D, tokenTypeIds: tf.tensor2d([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 1, 1]], [2, 6], 'int32') }));
  const again = await cache.batch([1, 0], () => { throw new Error('cached rows are not recomputed'); });
  assert.deepEqual(Array.from(again.dataSync().slice(0, first.shape[1])), Array.from(first.dataSync().slice(first.shape[1])));
  assert.equal(cache.computed, 2);
  assert.equal(cache.reused, 2);
  tf.dispose([first, again]);
  model.dispose();
});

test('the cache is refused with fine-tuning, in the trainer and on the command line', async () => {
  const model = tinyBert();
  await assert.rejects(train(model, { trainSet: pairs(4), options: { ...TRAIN_DEFAULTS, featureCache: true, batchSize: 4, maxSteps: 1 } }), /feature-extraction only|needs technique feature-extraction/);
  model.dispose();
  assert.throws(() => parseTrainArgs(['fine-tune', '--feature-extraction-cache', '--model-names', 'x', '--eval-datasets-names', 'de']), UsageError);
  assert.equal(parseTrainArgs(['feature-extraction', '--feature-extraction-cache']).featureExtractionCache, true);
});
