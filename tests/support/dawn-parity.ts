// WebGPU in Node through Dawn, in a child process of tests/unit/train-parity-dawn.test.ts (with bench/dawn.ts's
// environment), one JSON line per result on stdout:
//   train [engine|tfjs]  the optimizer-parity cases (tests/reference/goldens/training.json), trained by the app's
//                        trainer with the WebGPU engine or tfjs-webgpu's own kernels
//   predict              predictPairs on 40 pairs, on the engine and on tfjs-webgpu: both logits
import { installDawn, releaseDawn } from '../../bench/dawn.ts';
import { initBackend } from '../../src/backend/index.ts';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { train, TRAIN_DEFAULTS } from '../../src/train/trainer.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';
import { FIXTURE_SENTENCES, tokenizerFixtures } from '../fixtures/tokenizers.ts';
import { PairTokenizer } from '../../src/tokenize/pair-tokenizer.ts';
import { ENGINE_PREDICT_MIN_PAIRS, predictPairs } from '../../src/predict.ts';
import { loadTrainGoldens, parityTrainOptions, TRAIN_PARITY, trainExamples, withoutDropout } from '../reference/train-parity.ts';

await installDawn();
const info = await initBackend('webgpu', { fallback: false });
console.log(JSON.stringify({ backend: info.backend }));
const [mode, engineArgument] = process.argv.slice(2);
const fixtures = checkpointFixtures();
if (mode === 'predict') await comparePredictions();
else await trainCases(engineArgument !== 'tfjs');
await releaseDawn();
process.exit(0);

async function comparePredictions() {
  const fixture = fixtures['fixtures/tiny-bert'];
  const model = sequenceClassifierFromBuffers(fixture['config.json'], fixture['model.safetensors'].slice().buffer, { seed: TRAIN_PARITY.initSeed });
  const tokenizerFiles = tokenizerFixtures()['wordpiece-cased'];
  const tokenizer = PairTokenizer.fromJson(tokenizerFiles['tokenizer.json'], tokenizerFiles['tokenizer_config.json'], { maxPositions: model.config.maxPositionEmbeddings });
  const pairs = Array.from({ length: ENGINE_PREDICT_MIN_PAIRS + 8 }, (_, i) => ({
    premise: FIXTURE_SENTENCES.slice(0, 1 + (i % 5)).join(' '),
    hypothesis: FIXTURE_SENTENCES[(i * 7) % FIXTURE_SENTENCES.length]!,
  }));
  for (const webgpuEngine of [true, false]) {
    const predictions = await predictPairs(model, tokenizer, pairs, { webgpuEngine });
    console.log(JSON.stringify({ webgpuEngine, logits: predictions.map((p) => p.logits), labels: predictions.map((p) => p.label) }));
  }
  model.dispose();
}

async function trainCases(webgpuEngine: boolean) {
  for (const golden of loadTrainGoldens().cases) {
    const config = withoutDropout(fixtures[golden.fixture]['config.json'] as Record<string, unknown>);
    const model = sequenceClassifierFromBuffers(config, fixtures[golden.fixture]['model.safetensors'].slice().buffer, { seed: TRAIN_PARITY.initSeed });
    const examples = trainExamples(model.config.modelType, model.config.vocabSize).map((e) => ({ pair: { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds }, label: e.label }));
    const result = await train(model, { trainSet: examples, options: { ...TRAIN_DEFAULTS, ...parityTrainOptions(golden.technique), webgpuEngine, recordSteps: true }, padTokenId: model.config.padTokenId, maxLength: model.config.maxPositionEmbeddings });
    const weights: Record<string, number[]> = {};
    for (const p of model.parameters.filter((q) => q.trainable)) weights[p.hfName] = Array.from(await p.variable.data());
    console.log(JSON.stringify({ fixture: golden.fixture, technique: golden.technique, losses: result.stepLosses, gradNorms: result.stepGradNorms, weights }));
    model.dispose();
  }
}
