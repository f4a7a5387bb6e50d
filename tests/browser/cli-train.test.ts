// `xnli-train fine-tune|feature-extraction` end to end: the real command training in headless Chromium on local
// files, its outputs checked file by file, a checkpoint loaded back through `predict`, and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { sequenceClassifierFromBuffers } from '../../src/model/classifier.ts';
import { readSafetensors, tensorToFloat32 } from '../../src/model/safetensors.ts';
import { PairTokenizer } from '../../src/tokenize/pair-tokenizer.ts';
import { padBatch } from '../../src/tokenize/batch.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { xnliTrain } from '../support/run-cli.ts';
import { jsonl, markerPairs } from '../support/marker-task.ts';

let work: string;
let modelDir: string;

before(async () => {
  const hubRoot = await ensureHubFixtures();
  work = await mkdtemp(join(tmpdir(), 'xnli-train-cli-'));
  modelDir = join(work, 'tiny-bert');
  await cp(join(hubRoot, 'fixtures', 'tiny-bert'), modelDir, { recursive: true });
  await writeFile(join(work, 'train.jsonl'), jsonl(markerPairs(240, 1)));
  await writeFile(join(work, 'en.jsonl'), jsonl(markerPairs(60, 2)));
  const de = markerPairs(60, 3);
  const parquet = parquetWriteBuffer({
    columnData: [
      { name: 'premise', data: de.map((r) => r.premise), type: 'STRING' },
      { name: 'hypothesis', data: de.map((r) => r.hypothesis), type: 'STRING' },
      { name: 'label', data: de.map((r) => BigInt(r.label)), type: 'INT64' },
    ],
  });
  await writeFile(join(work, 'de.parquet'), new Uint8Array(parquet));
  await writeFile(join(work, 'pairs.jsonl'), jsonl([{ premise: 'the happy son', hypothesis: 'what' }, { premise: 'die kalt der', hypothesis: 'why not' }]));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const commonArgs = () => [
  '--model-names', modelDir, '--train-file', join(work, 'train.jsonl'),
  '--eval-file', `en=${join(work, 'en.jsonl')}`, '--eval-file', `de=${join(work, 'de.parquet')}`,
  '--num-train-epochs', '3', '--logging-steps', '30', '--eval-steps', '45', '--save-steps', '45', '--backend', 'wasm',
];

test('fine-tune from local files: learns the task, writes HF checkpoints, run JSON and an MLflow store', async () => {
  const out = join(work, 'fine-tune');
  const result = await xnliTrain(['fine-tune', ...commonArgs(), '--learning-rate', '2e-3', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /step 30\/90 \| epoch 1\.00 \| loss \d\.\d{4} \| lr \d\.\d\de-\d \| \d+ tok\/s \| ETA/);
  assert.match(result.stderr, /step 45 accuracy en \d+\.\d%\n/);
  assert.match(result.stderr, /step 45 accuracy de \d+\.\d%\n/);
  assert.match(result.stdout, /run\s+en\s+de\n[- ]+\ntiny-bert-fine-tune\s+\d+\.\d\s+\d+\.\d/);

  // The per-run JSON (MLflow REST shape + full histories).
  const runFiles = await readdir(join(out, 'runs'));
  assert.equal(runFiles.length, 1);
  const runJson = JSON.parse(await readFile(join(out, 'runs', runFiles[0]), 'utf8'));
  assert.equal(runJson.run.info.status, 'FINISHED');
  const history = runJson.metric_history as Record<string, Array<{ step: number; value: number }>>;
  assert.deepEqual(history.loss.map((p) => p.step), [30, 60, 90]);
  history.learning_rate.forEach((p) => assert.ok(Math.abs(p.value - 2e-3 * (1 - p.step / 90)) < 1e-15, `learning rate at step ${p.step}: ${p.value}`));
  assert.deepEqual(history.learning_rate.map((p) => p.step), [30, 60, 90]);
  assert.deepEqual(history.eval_en_accuracy.map((p) => p.step), [45, 90]);
  for (const key of ['grad_norm', 'epoch', 'eval_de_loss', 'eval_de_runtime', 'eval_de_samples_per_second', 'train_runtime', 'train_loss', 'total_flos', 'padding_efficiency']) {
    assert.ok(history[key]?.length > 0, `${key} is logged`);
  }
  const finalAccuracy = history.eval_en_accuracy.at(-1)!.value;
  assert.ok(finalAccuracy > 0.75, `learned the marker task in Chromium: en accuracy ${finalAccuracy} (chance 0.33)`);
  const params = Object.fromEntries((runJson.run.data.params as Array<{ key: string; value: string }>).map((p) => [p.key, p.value]));
  assert.equal(params.learning_rate, '0.002');
  assert.equal(params.per_device_train_batch_size, '8');
  assert.equal(params.model_type, 'bert');
  assert.equal(params.train_sample_count, '240');
  assert.match(params.train_sample_sha256, /^[0-9a-f]{64}$/);

  // The MLflow file store: experiment xnli_fine-tune with this run.
  const experiments = (await readdir(join(out, 'mlruns'))).filter((name) => /^\d+$/.test(name) && name !== '0');
  assert.equal(experiments.length, 1);
  assert.match(await readFile(join(out, 'mlruns', experiments[0], 'meta.yaml'), 'utf8'), /name: xnli_fine-tune/);
  const lossLines = (await readFile(join(out, 'mlruns', experiments[0], runJson.run.info.run_id, 'metrics', 'loss'), 'utf8')).trim().split('\n');
  assert.equal(lossLines.length, 3);
  for (const line of lossLines) assert.match(line, /^\d{13} \d+(\.\d+)? (30|60|90)$/);

  // Checkpoints in the Hugging Face layout, every save-steps and at the end.
  const checkpointsDir = join(out, 'checkpoints', 'tiny-bert-fine-tune');
  assert.deepEqual((await readdir(checkpointsDir)).sort(), ['checkpoint-45', 'checkpoint-90']);
  const final = join(checkpointsDir, 'checkpoint-90');
  assert.deepEqual((await readdir(final)).sort(), ['config.json', 'model.safetensors', 'optimizer.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json']);
  const config = JSON.parse(await readFile(join(final, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(config.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
  assert.deepEqual(config.label2id, { entailment: 0, neutral: 1, contradiction: 2 });
  const state = JSON.parse(await readFile(join(final, 'trainer_state.json'), 'utf8'));
  assert.equal(state.global_step, 90);
  assert.equal(state.max_steps, 90);
  assert.ok(state.log_history.some((entry: Record<string, number>) => entry.step === 90 && 'eval_en_accuracy' in entry));
  const original = readSafetensors(await readFile(join(modelDir, 'model.safetensors')));
  const trained = readSafetensors(await readFile(join(final, 'model.safetensors')));
  for (const [name, info] of original.tensors) {
    if (name.endsWith('position_ids')) continue;
    assert.deepEqual(trained.tensors.get(name)?.shape, info.shape, `${name} is saved under its Hugging Face name and shape`);
  }
  const optimizer = readSafetensors(await readFile(join(final, 'optimizer.safetensors')));
  assert.equal(optimizer.metadata?.step, '90');
  assert.ok(optimizer.tensors.has('classifier.weight.exp_avg'));

  // The checkpoint loads again through `predict`, giving the logits the saved weights give here in Node.
  const predictions = await xnliTrain(['predict', '--model', final, '--input', join(work, 'pairs.jsonl'), '--backend', 'wasm']);
  assert.equal(predictions.code, 0, predictions.stderr);
  const lines = predictions.stdout.trim().split('\n').map((line) => JSON.parse(line) as { logits: number[]; premise: string; hypothesis: string });
  await tf.setBackend('cpu');
  const model = sequenceClassifierFromBuffers(config, (await readFile(join(final, 'model.safetensors'))).buffer as ArrayBuffer);
  const tokenizer = PairTokenizer.fromJson(JSON.parse(await readFile(join(final, 'tokenizer.json'), 'utf8')), JSON.parse(await readFile(join(final, 'tokenizer_config.json'), 'utf8')));
  for (const line of lines) {
    const expected = await model.predictLogits(padBatch([tokenizer.encodePair(line.premise, line.hypothesis)], tokenizer.padTokenId));
    line.logits.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-4, `logit ${i}: ${value} vs ${expected[i]}`));
  }
  model.dispose();
});

test('feature-extraction trains exactly the parameters named classifier*', async () => {
  const out = join(work, 'feature-extraction');
  const result = await xnliTrain(['feature-extraction', ...commonArgs(), '--max-steps', '6', '--save-steps', '6', '--learning-rate', '1e-2', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  const original = readSafetensors(await readFile(join(modelDir, 'model.safetensors')));
  const trained = readSafetensors(await readFile(join(out, 'checkpoints', 'tiny-bert-feature-extraction', 'checkpoint-6', 'model.safetensors')));
  for (const name of trained.tensors.keys()) {
    const before = tensorToFloat32(original, name);
    const after = tensorToFloat32(trained, name);
    const changed = after.some((v, i) => v !== before[i]);
    assert.equal(changed, name.startsWith('classifier'), `${name} ${changed ? 'changed' : 'stayed'} under feature-extraction`);
  }
});

test('a model folder with only pytorch_model.bin and vocab.txt trains, and its checkpoints hold safetensors and a tokenizer.json', async () => {
  const slow = join(work, 'tiny-bert-slow');
  await cp(join(await ensureHubFixtures(), 'fixtures', 'tiny-bert-slow'), slow, { recursive: true });
  const out = join(work, 'slow');
  const result = await xnliTrain(['feature-extraction', ...commonArgs().map((a) => (a === modelDir ? slow : a)), '--max-steps', '6', '--save-steps', '6', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  const checkpoint = join(out, 'checkpoints', 'tiny-bert-slow-feature-extraction', 'checkpoint-6');
  const tokenizer = JSON.parse(await readFile(join(checkpoint, 'tokenizer.json'), 'utf8')) as { model: { type: string } };
  assert.equal(tokenizer.model.type, 'WordPiece');
  assert.ok(readSafetensors(await readFile(join(checkpoint, 'model.safetensors'))).tensors.has('classifier.weight'));
});

test('bad command lines get one clear line and exit code 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['fine-tune', '--eval-datasets-names', 'en'], /name at least one model \(--model-names\)/],
    [['fine-tune', '--model-names', 'x/y', '--eval-datasets-names', 'xx'], /XNLI has no language "xx"; choose from: ar bg de/],
    [['fine-tune', '--model-names', 'x/y', '--eval-datasets-names', 'en', '--train-file', join(work, 'missing.jsonl')], /--train-file .*missing\.jsonl does not exist/],
    [['fine-tune', '--model-names', 'x/y', '--eval-datasets-names', 'en', '--backend', 'tpu'], /backend must be one of auto, webgpu, webgl, wasm, cpu/],
    [['fine-tune', '--model-names', 'x/y', '--batch-size', 'eight'], /--batch-size takes an integer, got "eight"/],
    [['fine-tune', '--model-names', 'x/y', '--eval-datasets-names', 'en', '--mlflow-tracking-uri', 's3://bucket'], /scheme .* is not supported/],
  ];
  for (const [args, message] of cases) {
    const result = await xnliTrain(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  }
});

test('a model that does not exist fails with exit code 1 and says so', async () => {
  const result = await xnliTrain(['fine-tune', '--model-names', join(work, 'no-such-model'), '--train-file', join(work, 'train.jsonl'), '--eval-file', `en=${join(work, 'en.jsonl')}`, '--output-dir', join(work, 'bad')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no-such-model does not exist/);
});
