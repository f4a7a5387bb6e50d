/**
 * Writes every checkpoint fixture, with the inputs the logit goldens use, to
 * tests/fixtures/generated/models/<name>/ for tests/reference/model_reference.py.
 * Headless fixtures also get model.full.safetensors: the model as our loader builds it (head initialised
 * with GOLDEN_INIT_SEED), from which the Python reads only the head tensors its own loading finds missing.
 *
 *   node --import tsx tests/reference/write-model-fixtures.ts && /usr/bin/python3 tests/reference/model_reference.py
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { checkpointFixtures, writeCheckpointFixture } from '../fixtures/checkpoints.ts';
import { GENERATED_MODELS_DIR, GOLDEN_INIT_SEED, goldenInputs } from './goldens.ts';

await tf.setBackend('cpu');
for (const [id, checkpoint] of Object.entries(checkpointFixtures())) {
  const dir = join(GENERATED_MODELS_DIR, id.replace(/^fixtures\//, ''));
  await writeCheckpointFixture(dir, checkpoint);
  const bytes = checkpoint['model.safetensors'];
  const model = sequenceClassifierFromBuffers(checkpoint['config.json'], bytes.slice().buffer, { seed: GOLDEN_INIT_SEED });
  if (model.report.initialised.length > 0) await writeFile(join(dir, 'model.full.safetensors'), model.toSafetensors());
  await writeFile(join(dir, 'inputs.json'), JSON.stringify({ id, batches: goldenInputs(model.config) }) + '\n');
  model.dispose();
  console.log(`wrote ${dir}`);
}
