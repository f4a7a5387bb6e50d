/**
 * Trains the demo as the generator makes it now (in memory, nothing written) in Node, on tfjs's wasm backend with
 * the app's kernels and trainer, with DEMO_TRAINING's settings unless flags say otherwise, and prints the loss
 * points and each language's accuracy at each evaluation: for tuning the generator without rebuilding the app.
 * It draws the same sample, batches and dropout as `npm run train` and gave the same accuracies here; the figures
 * the README quotes come from `npm run train` (headless Chromium).
 *
 *   node --import tsx --import ./tests/support/register-tfjs-resolve.mjs scripts/demo/train-node.ts \
 *     [--seed N] [--epochs X] [--lr X] [--batch N] [--eval-steps N] [--logging-steps N]
 *     [--kinds]         accuracy by how each validation pair was built (pairs.ts kinds), per language
 *     [--lengths]       training pairs' loss by length after training
 *     [--record-steps]  every step's loss
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { installWasmKernels } from '../../src/backend/wasm/backend.ts';
import { loadWasmKernels, type WasmBackendLike } from '../../src/backend/wasm/kernels.ts';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { readNliFile } from '../../src/data/nli-files.ts';
import { sampleIndices } from '../../src/data/numpy-random.ts';
import { PairTokenizer } from '../../src/tokenize/pair-tokenizer.ts';
import { evaluate, train, TRAIN_DEFAULTS, type LabelledPair } from '../../src/train/trainer.ts';
import { DEMO_TRAINING } from '../../src/config/url-query.ts';
import { buildDemo } from './build-demo.ts';
import { DEMO_LANGUAGES } from './lexicon.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seed = flag('seed', TRAIN_DEFAULTS.seed);
const options = {
  ...TRAIN_DEFAULTS,
  seed,
  numTrainEpochs: flag('epochs', DEMO_TRAINING.numTrainEpochs),
  batchSize: flag('batch', DEMO_TRAINING.batchSize),
  learningRate: flag('lr', DEMO_TRAINING.learningRate),
  evalSteps: flag('eval-steps', DEMO_TRAINING.evalSteps),
  loggingSteps: flag('logging-steps', DEMO_TRAINING.loggingSteps),
  saveSteps: 0,
  recordSteps: args.includes('--record-steps'),
};

installWasmKernels();
await tf.setBackend('wasm');
await loadWasmKernels(tf.backend() as unknown as WasmBackendLike);

const { files, pairs } = buildDemo();
const text = (path: string) => JSON.parse(new TextDecoder().decode(files.get(path)));
const buffer = (path: string) => files.get(path)!.slice().buffer as ArrayBuffer;
const tokenizer = PairTokenizer.fromJson(text('model/tokenizer.json'), text('model/tokenizer_config.json'));
const encode = async (path: string): Promise<LabelledPair[]> =>
  (await readNliFile(buffer(path), path)).map((row) => ({ pair: tokenizer.encodePair(row.premise, row.hypothesis), label: row.label }));

const allTrain = await encode('xnli/en/train.parquet');
const trainSet = Array.from(sampleIndices(seed, allTrain.length, allTrain.length), (i) => allTrain[i]!);
const evalSets: Record<string, LabelledPair[]> = {};
for (const lang of DEMO_LANGUAGES) evalSets[lang] = await encode(`xnli/${lang}/validation.parquet`);

const config = text('model/config.json');
const model = sequenceClassifierFromBuffers(config, buffer('model/model.safetensors'));
const started = performance.now();
const losses: string[] = [];
const accuracy = new Map<number, Record<string, number>>();
const result = await train(model, {
  trainSet, evalSets, options, padTokenId: 0, maxLength: config.max_position_embeddings,
  hooks: {
    onMetrics: (points) => {
      for (const p of points) {
        if (p.key === 'loss') losses.push(`${p.step}:${p.value.toFixed(3)}`);
        const m = /^eval_(\w+)_accuracy$/.exec(p.key);
        if (m) {
          if (!accuracy.has(p.step)) accuracy.set(p.step, {});
          accuracy.get(p.step)![m[1]!] = p.value;
        }
      }
    },
  },
});
const seconds = (performance.now() - started) / 1000;
console.log(`seed ${seed}: ${result.totalSteps} steps in ${seconds.toFixed(1)} s (${(result.totalSteps / seconds).toFixed(1)} steps/s incl. evaluation)`);
console.log(`loss ${losses.join(' ')}`);
for (const [step, acc] of accuracy) {
  const en = acc.en ?? 0;
  console.log(`step ${String(step).padStart(5)}  ${DEMO_LANGUAGES.map((l) => `${l} ${(100 * (acc[l] ?? 0)).toFixed(1)}${l === 'en' ? '' : ` (${(100 * ((acc[l] ?? 0) - en)).toFixed(1)})`}`).join('  ')}`);
}
if (args.includes('--kinds')) {
  // Accuracy by how the pair was built (pairs.ts: label.builder), per language, after training.
  const kinds = [...new Set(pairs.validation.map((p) => p.kind))].sort();
  console.log(`kind   n   ${DEMO_LANGUAGES.join('     ')}`);
  for (const kind of kinds) {
    const cells: string[] = [];
    for (const lang of DEMO_LANGUAGES) {
      const subset = evalSets[lang]!.filter((_, i) => pairs.validation[i]!.kind === kind);
      cells.push((100 * (await evaluate(model, subset, 8, 0, config.max_position_embeddings)).accuracy).toFixed(0).padStart(4));
    }
    console.log(`${kind}  ${String(pairs.validation.filter((p) => p.kind === kind).length).padStart(3)}  ${cells.join('  ')}`);
  }
}
if (args.includes('--lengths')) {
  // Training pairs' loss by length (tokens), after training: what group-by-length ordering turns into a loss trend.
  const byLength = new Map<number, LabelledPair[]>();
  for (const e of trainSet) {
    const bucket = Math.floor(e.pair.inputIds.length / 3) * 3;
    if (!byLength.has(bucket)) byLength.set(bucket, []);
    byLength.get(bucket)!.push(e);
  }
  for (const [bucket, subset] of [...byLength].sort((a, b) => a[0] - b[0])) {
    const r = await evaluate(model, subset, 8, 0, config.max_position_embeddings);
    console.log(`length ${bucket}-${bucket + 2}: ${String(subset.length).padStart(4)} pairs, loss ${r.loss.toFixed(3)}, accuracy ${(100 * r.accuracy).toFixed(1)}`);
  }
}
if (options.recordSteps) console.log(`step losses ${result.stepLosses.map((l, i) => `${i + 1}:${l.toFixed(3)}`).join(' ')}`);
model.dispose();
