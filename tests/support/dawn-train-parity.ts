// The optimizer-parity cases (tests/reference/goldens/training.json) trained on WebGPU in Node through Dawn, one
// JSON line per case on stdout: run by tests/unit/train-parity-dawn.test.ts in a child process with Dawn's
// environment (bench/dawn.ts). Arguments: `engine` or `tfjs` (tfjs-webgpu's own kernels).
import { installDawn, releaseDawn } from '../../bench/dawn.ts';
import { initBackend } from '../../src/backend/index.ts';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { train, TRAIN_DEFAULTS } from '../../src/train/trainer.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { loadTrainGoldens, TRAIN_PARITY, trainExamples, withoutDropout } from '../reference/train-parity.ts';

await installDawn();
const info = await initBackend('webgpu', { fallback: false });
console.log(JSON.stringify({ backend: info.backend }));
const webgpuEngine = process.argv[2] !== 'tfjs';
const fixtures = checkpointFixtures();
for (const golden of loadTrainGoldens().cases) {
  const config = withoutDropout(fixtures[golden.fixture]['config.json'] as Record<string, unknown>);
  const model = sequenceClassifierFromBuffers(config, fixtures[golden.fixture]['model.safetensors'].slice().buffer, { seed: TRAIN_PARITY.initSeed });
  const examples = trainExamples(model.config.modelType, model.config.vocabSize).map((e) => ({ pair: { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds }, label: e.label }));
  const result = await train(model, examples, {}, {
    ...TRAIN_DEFAULTS, webgpuEngine, technique: golden.technique, batchSize: TRAIN_PARITY.batchSize, maxSteps: TRAIN_PARITY.steps,
    learningRate: TRAIN_PARITY.learningRate, maxGradNorm: TRAIN_PARITY.maxGradNorm, shuffle: false, loggingSteps: 1000, evalSteps: 1000, saveSteps: 1000, recordSteps: true,
  }, {}, model.config.padTokenId, model.config.maxPositionEmbeddings);
  const weights: Record<string, number[]> = {};
  for (const p of model.parameters.filter((q) => q.trainable)) weights[p.hfName] = Array.from(await p.variable.data());
  console.log(JSON.stringify({ fixture: golden.fixture, technique: golden.technique, losses: result.stepLosses, gradNorms: result.stepGradNorms, weights }));
  model.dispose();
}
await releaseDawn();
process.exit(0);
