import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Loads in Node through tests/support/register-tfjs-resolve.mjs (the test command's --import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { batchTensors, sequenceClassifierFromBuffers, type EncodedBatch, type SequenceClassifier } from '../../src/model/classifier.ts';
import { readSafetensors, tensorToFloat32, writeSafetensors, type SafetensorsEntry } from '../../src/model/safetensors.ts';
import { checkpointFixtures, type CheckpointFixture } from '../fixtures/checkpoints.ts';
import { goldenInputs, toEncodedBatch } from '../reference/goldens.ts';

await tf.setBackend('cpu');
const fixtures = checkpointFixtures();
const IDS = ['fixtures/tiny-bert', 'fixtures/tiny-distilbert', 'fixtures/tiny-xlm-roberta'];

function load(fixture: CheckpointFixture): SequenceClassifier {
  return sequenceClassifierFromBuffers(fixture['config.json'], fixture['model.safetensors'].slice().buffer);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The same batch with `extra` more padding columns on the right. */
function padMore(batch: EncodedBatch, extra: number, padId: number): EncodedBatch {
  const seqLen = batch.seqLen + extra;
  const grow = (source: Int32Array, fill: number) => {
    const out = new Int32Array(batch.batchSize * seqLen).fill(fill);
    for (let r = 0; r < batch.batchSize; r++) out.set(source.subarray(r * batch.seqLen, (r + 1) * batch.seqLen), r * seqLen);
    return out;
  };
  return { inputIds: grow(batch.inputIds, padId), attentionMask: grow(batch.attentionMask, 0), tokenTypeIds: grow(batch.tokenTypeIds, 0), batchSize: batch.batchSize, seqLen };
}

for (const id of IDS) {
  test(`${id}: repeated forwards leave tf.memory().numTensors unchanged`, async () => {
    const model = load(fixtures[id]);
    const batch = toEncodedBatch(goldenInputs(model.config)[0]);
    const inputs = batchTensors(batch);
    await model.predictLogits(batch);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await model.predictLogits(batch);
      model.forward(inputs).dispose();
      model.forward(inputs, { training: true }).dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(Object.values(inputs));
    model.dispose();
  });

  test(`${id}: padding more does not change the logits; batch rows are independent`, async () => {
    const model = load(fixtures[id]);
    try {
      const batch = toEncodedBatch(goldenInputs(model.config)[0]);
      const logits = await model.predictLogits(batch);
      const padded = await model.predictLogits(padMore(batch, 5, model.config.padTokenId));
      assert.ok(maxAbsDiff(logits, padded) < 1e-5, `padding changed logits by ${maxAbsDiff(logits, padded)}`);
      const single: EncodedBatch = {
        inputIds: batch.inputIds.slice(batch.seqLen, 2 * batch.seqLen), attentionMask: batch.attentionMask.slice(batch.seqLen, 2 * batch.seqLen),
        tokenTypeIds: batch.tokenTypeIds.slice(batch.seqLen, 2 * batch.seqLen), batchSize: 1, seqLen: batch.seqLen,
      };
      const alone = await model.predictLogits(single);
      assert.ok(maxAbsDiff(alone, logits.subarray(3, 6)) < 1e-5);
    } finally {
      model.dispose();
    }
  });

  test(`${id}: dropout is on only when training, reproducible with a seed`, () => {
    const model = load(fixtures[id]);
    const inputs = batchTensors(toEncodedBatch(goldenInputs(model.config)[0]));
    try {
      const read = (t: tf.Tensor) => { const v = t.dataSync().slice(); t.dispose(); return v; };
      const evalA = read(model.forward(inputs));
      const evalB = read(model.forward(inputs, { training: false, seed: 3 }));
      assert.deepEqual(evalA, evalB);
      const trainA = read(model.forward(inputs, { training: true, seed: 3 }));
      const trainB = read(model.forward(inputs, { training: true, seed: 3 }));
      const trainC = read(model.forward(inputs, { training: true, seed: 4 }));
      assert.deepEqual(trainA, trainB);
      assert.ok(maxAbsDiff(trainA, evalA) > 1e-3, 'dropout had no effect');
      assert.ok(maxAbsDiff(trainA, trainC) > 1e-3, 'the seed did not change the dropout masks');
      const unseeded1 = read(model.forward(inputs, { training: true }));
      const unseeded2 = read(model.forward(inputs, { training: true }));
      assert.ok(maxAbsDiff(unseeded1, unseeded2) > 1e-3, 'successive unseeded training passes must draw new masks');
    } finally {
      tf.dispose(Object.values(inputs));
      model.dispose();
    }
  });

  test(`${id}: gradients flow to every parameter; feature-extraction trains only classifier*`, () => {
    const model = load(fixtures[id]);
    const inputs = batchTensors(toEncodedBatch(goldenInputs(model.config)[0]));
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), model.config.numLabels);
    try {
      const loss = () => tf.losses.softmaxCrossEntropy(labels, model.forward(inputs, { training: true, seed: 1 })) as tf.Scalar;
      const { grads, value } = tf.variableGrads(loss, model.parameters.map((p) => p.variable));
      for (const p of model.parameters) {
        const norm = tf.norm(grads[p.variable.name]).dataSync()[0];
        if (p.hfName.endsWith('token_type_embeddings.weight') && model.config.architecture !== 'bert') continue;
        assert.ok(Number.isFinite(norm) && norm > 0, `no gradient reaches ${p.hfName}`);
      }
      tf.dispose([value, ...Object.values(grads)]);

      model.setTrainable('feature-extraction');
      const trainable = model.parameters.filter((p) => p.trainable).map((p) => p.hfName);
      assert.ok(trainable.length > 0 && trainable.every((n) => n.startsWith('classifier')));
      assert.ok(model.parameters.every((p) => p.variable.trainable === p.trainable));
      if (model.config.architecture === 'roberta') assert.deepEqual(trainable, ['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias']);
      else assert.deepEqual(trainable, ['classifier.weight', 'classifier.bias'], 'the pooler / pre_classifier stay frozen');
      model.setTrainable('fine-tune');
      assert.ok(model.parameters.every((p) => p.trainable && p.variable.trainable));
    } finally {
      tf.dispose([labels, ...Object.values(inputs)]);
      model.dispose();
    }
  });

  test(`${id}: toSafetensors writes every weight under its HF name and reloads to the same logits`, async () => {
    const model = load(fixtures[id]);
    try {
      const bytes = model.toSafetensors();
      assert.deepEqual(await model.toSafetensorsAsync(), bytes);
      const file = readSafetensors(bytes);
      assert.deepEqual([...file.tensors.keys()].sort(), model.parameters.map((p) => p.hfName).sort());
      assert.equal(file.metadata.format, 'pt');
      const reloaded = sequenceClassifierFromBuffers(fixtures[id]['config.json'], bytes.slice().buffer);
      assert.deepEqual(reloaded.report, { initialised: [], ignored: [] });
      const batch = toEncodedBatch(goldenInputs(model.config)[1]);
      assert.deepEqual(await reloaded.predictLogits(batch), await model.predictLogits(batch));
      reloaded.dispose();
    } finally {
      model.dispose();
    }
  });
}

test('XLM-R positions start after the padding index: rows 0..pad of the position table are never read by real tokens', async () => {
  const fixture = fixtures['fixtures/tiny-xlm-roberta'];
  const file = readSafetensors(fixture['model.safetensors']);
  const entries: Record<string, SafetensorsEntry> = {};
  for (const name of file.tensors.keys()) entries[name] = { shape: file.tensors.get(name)!.shape, data: tensorToFloat32(file, name).slice() };
  const variant = (rows: number[]) => {
    const table = entries['roberta.embeddings.position_embeddings.weight'].data.slice() as Float32Array;
    for (const r of rows) table.fill(5, r * 32, (r + 1) * 32);
    const tensors = { ...entries, 'roberta.embeddings.position_embeddings.weight': { shape: [66, 32], data: table } };
    return sequenceClassifierFromBuffers(fixture['config.json'], writeSafetensors(tensors).buffer as ArrayBuffer);
  };
  const original = load(fixture);
  const belowOffset = variant([0, 1]);
  const firstReal = variant([2]);
  try {
    const batch = toEncodedBatch(goldenInputs(original.config)[0]);
    const logits = await original.predictLogits(batch);
    assert.ok(maxAbsDiff(await belowOffset.predictLogits(batch), logits) < 1e-6, 'rows 0 and 1 (below pad + 1) must not matter');
    assert.ok(maxAbsDiff(await firstReal.predictLogits(batch), logits) > 1e-2, 'row 2 is the first real token\'s position');
  } finally {
    for (const m of [original, belowOffset, firstReal]) m.dispose();
  }
});
