import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { train, TRAIN_DEFAULTS, type LabelledPair } from '../../src/train/trainer.ts';
import { linearScheduleRate } from '../../src/train/schedule.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { decodeFloat32, loadTrainGoldens, parityTrainOptions, TRAIN_PARITY, TRAIN_REGENERATE_COMMAND, trainExamples, withoutDropout, relativeNormError, isKeyBias } from '../reference/train-parity.ts';

const goldens = loadTrainGoldens();
const fixtures = checkpointFixtures();



for (const golden of goldens.cases) {
  test(`${golden.technique} of ${golden.fixture} matches PyTorch's AdamW, clipping and schedule step by step (CPU)`, async (t) => {
    await tf.setBackend('cpu');
    const config = withoutDropout(fixtures[golden.fixture]['config.json'] as Record<string, unknown>);
    const model = sequenceClassifierFromBuffers(config, fixtures[golden.fixture]['model.safetensors'].slice().buffer, { seed: TRAIN_PARITY.initSeed });
    const source = createHash('sha256').update(model.toSafetensors()).digest('hex');
    assert.equal(source, goldens.sources[golden.fixture], `the fixture changed since the goldens were made: run ${TRAIN_REGENERATE_COMMAND}`);
    const trainSet: LabelledPair[] = trainExamples(model.config.modelType, model.config.vocabSize).map((e) => ({ pair: { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds }, label: e.label }));
    const frozenBefore = new Map(model.parameters.map((p) => [p.hfName, Array.from(p.variable.dataSync().slice(0, 8))]));
    const initial = new Map(model.parameters.map((p) => [p.hfName, p.variable.dataSync().slice()]));
    let worst = 0;
    const result = await train(model, { trainSet, options: { ...TRAIN_DEFAULTS, ...parityTrainOptions(golden.technique), recordSteps: true }, padTokenId: config.pad_token_id as number, maxLength: 64 });

    for (let k = 0; k < TRAIN_PARITY.steps; k++) {
      assert.ok(Math.abs(result.stepLosses[k] - golden.losses[k]) / golden.losses[k] < 1e-4, `loss at step ${k + 1}: ${result.stepLosses[k]} vs ${golden.losses[k]}`);
      assert.ok(Math.abs(result.stepGradNorms[k] - golden.gradNorms[k]) / golden.gradNorms[k] < 1e-4, `grad norm at step ${k + 1}: ${result.stepGradNorms[k]} vs ${golden.gradNorms[k]}`);
      assert.equal(linearScheduleRate(TRAIN_PARITY.learningRate, k, TRAIN_PARITY.steps), golden.learningRates[k]);
    }
    const trained = new Set(Object.keys(golden.finalWeights));
    for (const p of model.parameters) {
      if (trained.has(p.hfName) && isKeyBias(p.hfName)) {
        // softmax ignores a constant added to every key's score, so the key bias's gradient is exactly 0 and
        // both sides feed Adam only float rounding noise (|g| ≪ ε): its steps are bounded, their sign is not.
        const before = initial.get(p.hfName)!;
        const after = p.variable.dataSync();
        const moved = Math.max(...Array.from(after, (v, i) => Math.abs(v - before[i])));
        assert.ok(moved <= TRAIN_PARITY.learningRate * TRAIN_PARITY.steps, `${p.hfName} moved ${moved}, more than noise allows`);
      } else if (trained.has(p.hfName)) {
        const error = relativeNormError(p.variable.dataSync() as Float32Array, decodeFloat32(golden.finalWeights[p.hfName]));
        worst = Math.max(worst, error);
        assert.ok(error < 1e-4, `${p.hfName} after ${TRAIN_PARITY.steps} steps: relative error ${error}`);
      } else {
        assert.deepEqual(Array.from(p.variable.dataSync().slice(0, 8)), frozenBefore.get(p.hfName), `${p.hfName} is frozen under ${golden.technique} but changed`);
      }
    }
    assert.equal(trained.size, model.parameters.filter((p) => p.trainable).length, 'the same parameters train on both sides');
    t.diagnostic(`worst relative weight error ${worst.toExponential(2)}`);
    model.dispose();
  });
}
