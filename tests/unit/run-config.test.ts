import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainArgs, TRAIN_FLAGS, UsageError } from '../../src/config/train-args.ts';
import { REFERENCE_DEFAULTS, validateRunConfig } from '../../src/config/run-config.ts';

test('the reference command line parses to the reference defaults', () => {
  const config = parseTrainArgs(['feature-extraction', '--model-names', 'bert-base-multilingual-cased', 'xlm-roberta-base', '--eval-datasets-names', 'en', 'de', 'fr', 'es', 'ar', 'zh', '--output-dir', '/tmp/logs']);
  assert.equal(config.technique, 'feature-extraction');
  assert.deepEqual(config.modelNames, ['bert-base-multilingual-cased', 'xlm-roberta-base']);
  assert.deepEqual(config.evalLanguages, ['en', 'de', 'fr', 'es', 'ar', 'zh']);
  assert.equal(config.outputDir, '/tmp/logs');
  assert.equal(config.batchSize, 8);
  assert.equal(config.numTrainExamples, 15000);
  assert.equal(config.numTrainEpochs, 3);
  assert.equal(config.evalSteps, 500);
  assert.equal(config.seed, 73);
  assert.equal(config.learningRate, 5e-5);
  assert.equal(config.shuffle, true);
  assert.deepEqual(validateRunConfig(config), []);
});

test('our extra flags, --flag=value, --num-train-samples and --eval-file', () => {
  const config = parseTrainArgs(['fine-tune', '--model-names=m', '--num-train-samples', '64', '--num-train-epochs', '0.5', '--learning-rate', '1e-3', '--logging-steps', '5', '--save-steps', '7', '--max-steps', '9', '--max-length', '128', '--backend', 'cpu', '--train-file', 'train.jsonl', '--eval-file', 'de=de.parquet', '--no-shuffle', '--hub-endpoint', 'http://127.0.0.1:9'], { HF_ENDPOINT: 'http://ignored' });
  assert.equal(config.numTrainExamples, 64);
  assert.equal(config.numTrainEpochs, 0.5);
  assert.equal(config.learningRate, 1e-3);
  assert.equal(config.loggingSteps, 5);
  assert.equal(config.saveSteps, 7);
  assert.equal(config.maxSteps, 9);
  assert.equal(config.maxLength, 128);
  assert.equal(config.backend, 'cpu');
  assert.equal(config.trainFile, 'train.jsonl');
  assert.deepEqual(config.evalFiles, { de: 'de.parquet' });
  assert.deepEqual(config.evalLanguages, ['de'], 'a language given by file is evaluated');
  assert.equal(config.shuffle, false);
  assert.equal(config.hubEndpoint, 'http://127.0.0.1:9');
  assert.deepEqual(validateRunConfig(config), []);
  assert.equal(parseTrainArgs(['fine-tune'], { HF_ENDPOINT: 'http://mirror' }).hubEndpoint, 'http://mirror', 'HF_ENDPOINT is the default endpoint');
});

test('bad command lines are usage errors that say what to do', () => {
  assert.throws(() => parseTrainArgs(['train']), /technique: fine-tune or feature-extraction/);
  assert.throws(() => parseTrainArgs(['fine-tune', '--bogus']), (e: Error) => e instanceof UsageError && /unknown argument "--bogus"/.test(e.message));
  assert.throws(() => parseTrainArgs(['fine-tune', '--batch-size', 'eight']), /--batch-size takes an integer, got "eight"/);
  assert.throws(() => parseTrainArgs(['fine-tune', '--seed']), /--seed needs a value/);
  assert.throws(() => parseTrainArgs(['fine-tune', '--model-names']), /--model-names needs at least one value/);
  assert.throws(() => parseTrainArgs(['fine-tune', '--eval-file', 'de']), /--eval-file takes LANG=PATH/);
});

test('validation names each bad setting and the allowed values', () => {
  const errors = validateRunConfig({ ...REFERENCE_DEFAULTS, modelNames: [], evalLanguages: ['xx'], batchSize: 0, learningRate: 2, backend: 'tpu' as never, maxSteps: 0 });
  assert.ok(errors.some((e) => /at least one model/.test(e)));
  assert.ok(errors.some((e) => /XNLI has no language "xx"; choose from: ar bg de el en es fr hi ru sw th tr ur vi zh/.test(e)));
  assert.ok(errors.some((e) => /batch size must be a positive integer/.test(e)));
  assert.ok(errors.some((e) => /learning rate must be in \(0, 1\)/.test(e)));
  assert.ok(errors.some((e) => /backend must be one of auto, webgpu, webgl, wasm, cpu/.test(e)));
  assert.ok(errors.some((e) => /max steps/.test(e)));
});

test('the usage text lists every flag of the settings table with its default, wrapped under its column', async () => {
  const { TRAIN_USAGE } = await import('../../cli/train-command.ts');
  const lines = TRAIN_USAGE.split('\n');
  for (const flag of TRAIN_FLAGS) {
    assert.ok(lines.some((line) => line.startsWith(`  ${flag} `) || line.includes(`alias ${flag}`)), `${flag} is missing from the usage text`);
  }
  assert.match(TRAIN_USAGE, /--batch-size N +training batch size \(default: 8\)/);
  assert.match(TRAIN_USAGE, /--hub-endpoint URL +Hub or mirror \(default: \$HF_ENDPOINT or https:\/\/huggingface\.co\)/);
  assert.match(TRAIN_USAGE, /--num-train-batches N .*; alias --num-train-samples/);
  for (const line of TRAIN_USAGE.split('\n')) assert.ok(line.length <= 118, `too long: ${line}`);
});
