// `xnli-train ... --resume-from-checkpoint`: the CLI and its browser killed for real (SIGKILL to the whole process
// tree, mid-job and mid-checkpoint), then the same command continues the job and ends as an uninterrupted one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, watch } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { killForReal, startXnliTrain, xnliTrain, type CliProcess } from '../support/run-cli.ts';
import { descendants, killAll } from '../../cli/process-tree.ts';
import { jsonl, markerPairs } from '../support/marker-task.ts';
import { readMlflowStore, treeFromDirectory } from '../support/mlflow-file-store-reader.ts';
import { FakeMlflowServer } from '../support/mlflow-fake-server.ts';
import { importRunJson } from '../../src/tracking/run-json.ts';
import type { RunRecord } from '../../src/train/run-record.ts';
import { comparableHistory, loggedTwice, TIMINGS } from '../support/metric-history.ts';

let work: string;
let cache: string;
let bert: string;
let distil: string;
let reference: string;

const BERT_RUN = 'tiny-bert-fine-tune';
const DISTIL_RUN = 'tiny-distilbert-fine-tune';
/** 240 pairs, batch 8, 2 epochs. */
const TOTAL_STEPS = 60;

const args = (models: string[], out: string) => [
  'fine-tune', '--model-names', ...models, '--train-file', join(work, 'train.jsonl'), '--eval-file', `en=${join(work, 'en.jsonl')}`,
  '--num-train-epochs', '2', '--logging-steps', '5', '--eval-steps', '20', '--save-steps', '10', '--learning-rate', '2e-3',
  '--backend', 'cpu', '--output-dir', out,
];
// One download cache and browser profile for the whole file: the runs of a job share them as a user's would.
const env = () => ({ XNLI_TRAIN_CACHE: cache });

before(async () => {
  const hubRoot = await ensureHubFixtures();
  work = await mkdtemp(join(tmpdir(), 'xnli-cli-resume-'));
  cache = join(work, 'cache');
  bert = join(work, 'tiny-bert');
  distil = join(work, 'tiny-distilbert');
  await cp(join(hubRoot, 'fixtures', 'tiny-bert'), bert, { recursive: true });
  await cp(join(hubRoot, 'fixtures', 'tiny-distilbert'), distil, { recursive: true });
  await writeFile(join(work, 'train.jsonl'), jsonl(markerPairs(240, 1)));
  await writeFile(join(work, 'en.jsonl'), jsonl(markerPairs(30, 2)));
  // The uninterrupted job every resumed one must match.
  reference = join(work, 'reference');
  const result = await xnliTrain(args([bert, distil], reference), env());
  assert.equal(result.code, 0, result.stderr);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const exists = (path: string) => stat(path).then(() => true, () => false);

async function runsIn(out: string): Promise<RunRecord[]> {
  const dir = join(out, 'runs');
  return Promise.all((await readdir(dir)).map(async (name) => importRunJson(await readFile(join(dir, name), 'utf8'))));
}

const runNamed = async (out: string, name: string) => {
  const found = (await runsIn(out)).filter((run) => run.runName === name);
  assert.equal(found.length, 1, `one run ${name} in ${out}: ${found.length}`);
  return found[0];
};

const finalWeights = (out: string, run: string) => readFile(join(out, 'checkpoints', run, `checkpoint-${TOTAL_STEPS}`, 'model.safetensors'));


async function waitFor(what: string, check: () => Promise<boolean>, cli: CliProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    const { code, stderr } = cli.output();
    if (code !== null) throw new Error(`xnli-train ended before ${what}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`no ${what} in time: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The runs of a resumed job must be the reference's: same ids as before the kill, finished, bit-identical weights. */
async function assertMatchesReference(out: string, runNames: string[], idsBefore: Map<string, string>) {
  for (const name of runNames) {
    const [run, expected] = [await runNamed(out, name), await runNamed(reference, name)];
    assert.equal(run.status, 'FINISHED', `${name} finished`);
    if (idsBefore.has(name)) assert.equal(run.runId, idsBefore.get(name), `${name} is the interrupted run itself, not a new one`);
    assert.deepEqual(loggedTwice(run.metrics), [], `${name}: no step logged twice`);
    assert.deepEqual(comparableHistory(run.metrics), comparableHistory(expected.metrics), `${name}: the history of an uninterrupted run`);
    assert.ok((await finalWeights(out, name)).equals(await finalWeights(reference, name)), `${name}: model.safetensors byte-identical to the uninterrupted run's`);
  }
  for (const dir of await readdir(join(out, 'checkpoints'))) {
    const left = (await readdir(join(out, 'checkpoints', dir))).filter((name) => name.endsWith('.partial'));
    assert.deepEqual(left, [], `no half-written checkpoint left in checkpoints/${dir}`);
  }
}

test('killed during the second model of a two-model job, the same command with --resume-from-checkpoint finishes the job as if never killed', async () => {
  const out = join(work, 'two-models');
  const cli = startXnliTrain(args([bert, distil], out), env());
  await waitFor(`a checkpoint of ${DISTIL_RUN}`, () => exists(join(out, 'checkpoints', DISTIL_RUN, 'checkpoint-10')), cli);
  await killForReal(cli);
  const killed = await runNamed(out, DISTIL_RUN);
  assert.equal(killed.status, 'RUNNING', 'the kill left the second run unfinished (make the job longer if it finished first)');
  const ids = new Map([[BERT_RUN, (await runNamed(out, BERT_RUN)).runId], [DISTIL_RUN, killed.runId]]);

  const again = await xnliTrain(args([bert, distil], out), env());
  assert.equal(again.code, 2, `starting over is refused: ${again.stderr}`);
  assert.match(again.stderr.trim(), /^xnli-train fine-tune: .* holds an unfinished run of .*tiny-distilbert .*add --resume-from-checkpoint/);
  assert.equal(again.stderr.trim().split('\n').length, 1, `one line: ${again.stderr}`);

  const runJsonBefore = await readFile(join(out, 'runs', `${DISTIL_RUN}-${killed.runId}.json`), 'utf8');
  const otherBatch = await xnliTrain([...args([bert, distil], out), '--batch-size', '16', '--resume-from-checkpoint'], env());
  assert.equal(otherBatch.code, 1, otherBatch.stderr);
  assert.match(otherBatch.stderr, /cannot resume tiny-distilbert-fine-tune from checkpoint-\d+ of tiny-distilbert-fine-tune: its batch size was 8, this job's is 16/);
  assert.equal(await readFile(join(out, 'runs', `${DISTIL_RUN}-${killed.runId}.json`), 'utf8'), runJsonBefore, 'a refused resume changes nothing');

  const resumed = await xnliTrain([...args([bert, distil], out), '--resume-from-checkpoint'], env());
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resume: .*tiny-bert: tiny-bert-fine-tune finished; not trained again/);
  assert.match(resumed.stderr, /resume: .*tiny-distilbert: tiny-distilbert-fine-tune \(interrupted\) continues from checkpoint-\d+/);
  assert.doesNotMatch(resumed.stderr, /tiny-bert-fine-tune: step/, 'the finished model is not trained again');
  assert.match(resumed.stdout, /tiny-bert-fine-tune\s+\d+\.\d\ntiny-distilbert-fine-tune\s+\d+\.\d/, 'the summary lists both runs');
  assert.equal((await runsIn(out)).length, 2, 'one run JSON per model');
  await assertMatchesReference(out, [BERT_RUN, DISTIL_RUN], ids);

  // The MLflow file store: one run per model, the interrupted one FINISHED, its metric files without repeats.
  const store = readMlflowStore(treeFromDirectory(join(out, 'mlruns')));
  const runs = [...store.values()].flatMap((experiment) => [...experiment.runs.entries()]);
  assert.equal(runs.length, 2, `one MLflow run per model: ${runs.map(([id]) => id)}`);
  const [, distilRun] = runs.find(([id]) => id === killed.runId)!;
  assert.equal(distilRun.meta.status, 3, 'FINISHED in the file store');
  assert.deepEqual(loggedTwice(Object.entries(distilRun.metrics).flatMap(([key, points]) => points.map((p) => ({ key, step: p.step })))), []);
});

test('killed while a checkpoint is being written, the resumed run starts from the last complete one and ends identical', async () => {
  const out = join(work, 'mid-checkpoint');
  const cli = startXnliTrain(args([bert], out), env());
  const folder = join(out, 'checkpoints', BERT_RUN);
  await waitFor('the first checkpoint', () => exists(join(folder, 'checkpoint-10')), cli);
  // The moment the next checkpoint's staging folder appears, the whole process tree dies.
  const killedMidWrite = new Promise<void>((resolve) => {
    const watcher = watch(folder, (_event, name) => {
      if (!name?.endsWith('.partial')) return;
      watcher.close();
      void killForReal(cli).then(() => resolve());
    });
  });
  await killedMidWrite;
  const left = (await readdir(folder)).filter((name) => name.endsWith('.partial'));
  assert.equal(left.length, 1, `the kill came mid-write: ${await readdir(folder)}`);
  const complete = (await readdir(folder)).filter((name) => /^checkpoint-\d+$/.test(name)).map((name) => Number(name.slice(11)));
  const lastComplete = Math.max(...complete);
  const id = (await runNamed(out, BERT_RUN)).runId;

  const resumed = await xnliTrain([...args([bert], out), '--resume-from-checkpoint'], env());
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`continues from checkpoint-${lastComplete}\\n`));
  await assertMatchesReference(out, [BERT_RUN], new Map([[BERT_RUN, id]]));
});

test('--resume-from-checkpoint PATH continues from that checkpoint; a live MLflow server keeps one run, each step logged once', async () => {
  const mlflow = await new FakeMlflowServer().start();
  try {
    const out = join(work, 'mlflow-server');
    const command = [...args([bert], out), '--mlflow-tracking-uri', mlflow.url];
    const cli = startXnliTrain(command, env());
    // Killed once the server holds points logged after checkpoint-10: the resumed run logs those steps again.
    const lossSteps = () => [...mlflow.runs.values()].flatMap((run) => run.metrics.filter((m) => m.key === 'loss').map((m) => m.step));
    await waitFor('losses after checkpoint-20 on the server', async () => lossSteps().some((step) => step > 25), cli);
    await killForReal(cli);
    const id = (await runNamed(out, BERT_RUN)).runId;

    const from = join(out, 'checkpoints', BERT_RUN, 'checkpoint-10');
    const resumed = await xnliTrain([...command, '--resume-from-checkpoint', from], env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /continues from checkpoint-10\n/);
    await assertMatchesReference(out, [BERT_RUN], new Map([[BERT_RUN, id]]));

    assert.equal(mlflow.runs.size, 1, 'one run on the server');
    const [serverRun] = mlflow.runs.values();
    assert.equal(serverRun.info.status, 'FINISHED');
    assert.deepEqual(loggedTwice(serverRun.metrics), [], 'no step logged twice on the server');
    const expected = await runNamed(reference, BERT_RUN);
    const keySteps = (points: Array<{ key: string; step: number }>) => points.filter((p) => !TIMINGS.test(p.key)).map((p) => `${p.key}@${p.step}`).sort();
    assert.deepEqual(keySteps(serverRun.metrics), keySteps(expected.metrics), 'the server holds every step of an uninterrupted run once');
  } finally {
    await mlflow.down();
  }
});

test('a renderer that dies mid-run (as the OOM killer ends it) is reported with what was happening and the memory, and the run resumes', async () => {
  const out = join(work, 'renderer-crash');
  const cli = startXnliTrain(args([bert], out), env());
  await waitFor('the first checkpoint', () => exists(join(out, 'checkpoints', BERT_RUN, 'checkpoint-10')), cli);
  const renderers = descendants(cli.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      return false;
    }
  });
  assert.ok(renderers.length > 0, 'found the CLI browser\'s renderer');
  killAll(renderers);
  const result = await cli.exited;
  assert.equal(result.code, 1, result.stderr);
  const last = result.stderr.trim().split('\n').at(-1)!;
  assert.match(last, /^xnli-train fine-tune: the browser crashed while (training tiny-bert-fine-tune, step \d+ of 60|evaluating tiny-bert-fine-tune on en at step \d+|saving checkpoint-\d+ of tiny-bert-fine-tune); the browser was using up to [\d.]+ GiB \(its largest process [\d.]+ GiB\), most likely out of memory: .*--resume-from-checkpoint/);
  assert.doesNotMatch(result.stderr, /Target crashed/);
  assert.equal((await runNamed(out, BERT_RUN)).status, 'FAILED', 'the run is marked failed, with the reason');

  const resumed = await xnliTrain([...args([bert], out), '--resume-from-checkpoint'], env());
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /\(failed\) continues from checkpoint-\d+\n/);
  assert.ok((await finalWeights(out, BERT_RUN)).equals(await finalWeights(reference, BERT_RUN)), 'identical to the uninterrupted run');
});
