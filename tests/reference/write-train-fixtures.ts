/**
 * Writes the optimizer-parity inputs for train_reference.py to tests/fixtures/generated/train/<name>/:
 * config.json without dropout, model.safetensors as our loader builds it (so a new head is the same on both
 * sides) and examples.json.
 *
 *   node --import tsx tests/reference/write-train-fixtures.ts && /usr/bin/python3 tests/reference/train_reference.py
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { GENERATED_TRAIN_DIR, TRAIN_PARITY, TRAIN_PARITY_FIXTURES, trainExamples, withoutDropout } from './train-parity.ts';

await tf.setBackend('cpu');
const fixtures = checkpointFixtures();
for (const id of TRAIN_PARITY_FIXTURES) {
  const dir = join(GENERATED_TRAIN_DIR, id.replace(/^fixtures\//, ''));
  await mkdir(dir, { recursive: true });
  const config = withoutDropout(fixtures[id]['config.json'] as Record<string, unknown>);
  const model = sequenceClassifierFromBuffers(config, fixtures[id]['model.safetensors'].slice().buffer, { seed: TRAIN_PARITY.initSeed });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  await writeFile(join(dir, 'model.safetensors'), model.toSafetensors());
  await writeFile(join(dir, 'examples.json'), JSON.stringify({ id, settings: TRAIN_PARITY, examples: trainExamples(model.config.modelType, model.config.vocabSize) }) + '\n');
  model.dispose();
  console.log(`wrote ${dir}`);
}
