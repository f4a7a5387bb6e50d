import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeMlruns, localFileUri } from '../../src/tracking/node/write-mlruns.ts';
import { mlrunsTree, ERROR_TAG } from '../../src/tracking/mlflow-file-store.ts';
import { mlrunsZip, importMlrunsZip } from '../../src/tracking/mlruns-zip.ts';
import { experimentIdFor } from '../../src/tracking/mlflow-rules.ts';
import { zipSync, strToU8 } from 'fflate';
import type { RunRecord } from '../../src/train/run-record.ts';
import { readMlflowStore, treeFromDirectory, treeFromZip, type FileTree, type StoredStore } from '../support/mlflow-file-store-reader.ts';
import { historiesOf, trainingRun } from '../support/mlflow-run-fixtures.ts';

const finished = trainingRun({ runId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', runName: 'bert-base-multilingual-cased-fine-tune', status: 'FINISHED', steps: 3000 });
const failed = trainingRun({ runId: 'ffeeddccbbaa99887766554433221100', runName: 'xlm-roberta-base-fine-tune', status: 'FAILED', steps: 700, startTime: 1_700_100_000_000, error: 'loss became NaN at step 640: lower the learning rate' , nanFromStep: 640 });
const killed = trainingRun({ runId: '0123456789abcdef0123456789abcdef', runName: 'distilbert-base-multilingual-cased-feature-extraction', technique: 'feature-extraction', status: 'KILLED', steps: 250, startTime: 1_700_200_000_000 });
const awkward: RunRecord = {
  ...trainingRun({ runId: '99999999999999999999999999999999', runName: 'awkward keys', status: 'FINISHED', steps: 40, startTime: 1_700_300_000_000 }),
};
awkward.params = { ...awkward.params, 'label2id.entailment (0)': '0', 'bad:key': 'x', 'bad_key': 'real', '../escape': 'y', 'long_value': 'x'.repeat(501), 'ok_long': 'y'.repeat(500) };
awkward.tags = { ...awkward.tags, 'device/limits//max': '4', 'ünicode': 'z' };
awkward.metrics = [...awkward.metrics, { key: 'eval_zh-Hant:accuracy', value: 0.5, step: 40, timestamp: awkward.endTime! - 1 }, { key: 'eval_zh-Hant_accuracy', value: 0.25, step: 40, timestamp: awkward.endTime! - 1 }];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mlruns-test-'));
}

function storedRun(store: StoredStore, run: RunRecord) {
  for (const experiment of store.values()) {
    const found = experiment.runs.get(run.runId);
    if (found) return { experiment, run: found };
  }
  throw new Error(`run ${run.runId} not in store`);
}

function assertSameHistories(stored: Record<string, { value: number; step: number; timestamp: number }[]>, run: RunRecord) {
  const expected = historiesOf(run);
  assert.deepEqual(Object.keys(stored).sort(), Object.keys(expected).sort());
  for (const [key, points] of Object.entries(expected)) {
    assert.equal(stored[key].length, points.length, key);
    points.forEach((p, i) => {
      const s = stored[key][i];
      assert.equal(s.step, p.step, `${key}[${i}] step`);
      assert.equal(s.timestamp, p.timestamp, `${key}[${i}] timestamp`);
      assert.ok(Object.is(s.value, p.value) || s.value === p.value, `${key}[${i}] value ${s.value} != ${p.value}`);
    });
  }
}

test('the CLI writes <dir>/mlruns that a strict FileStore reader takes, with every point, status and end time', async () => {
  const dir = tmp();
  try {
    const mlruns = join(dir, 'mlruns');
    const tree = await writeMlruns(mlruns, [finished, failed, killed]);
    const store = readMlflowStore(treeFromDirectory(mlruns), { rootUri: localFileUri(mlruns), maxParamValueLength: 500 });
    assert.deepEqual([...store.values()].map((e) => e.meta.name).sort(), ['Default', 'xnli_feature-extraction', 'xnli_fine-tune']);
    assert.equal(store.get(experimentIdFor('xnli_fine-tune'))!.runs.size, 2);
    assert.deepEqual(tree.warnings, []);
    for (const [run, code] of [[finished, 3], [failed, 4], [killed, 5]] as const) {
      const { run: stored } = storedRun(store, run);
      assert.equal(stored.meta.status, code);
      assert.equal(stored.meta.end_time, run.endTime);
      assert.equal(stored.meta.start_time, run.startTime);
      assert.equal(stored.meta.run_name, run.runName);
      assert.equal(stored.meta.user_id, 'xnli-browser-trainer');
      assert.match(String(stored.meta.artifact_uri), /^file:\/\/\/.*\/mlruns\/\d+\/[0-9a-f]{32}\/artifacts$/);
      assertSameHistories(stored.metrics, run);
      assert.deepEqual(stored.params, run.params);
      for (const [k, v] of Object.entries(run.tags)) assert.equal(stored.tags[k], v);
      assert.equal(stored.tags['mlflow.source.type'], 'LOCAL');
    }
    assert.ok(finished.metrics.length > 1000, 'a realistic history has hundreds of points per metric');
    assert.equal(storedRun(store, failed).run.tags[ERROR_TAG], failed.error);
    assert.ok(storedRun(store, failed).run.metrics.loss.some((p) => Number.isNaN(p.value)), 'NaN losses are kept');
    const lossFile = readFileSync(join(mlruns, experimentIdFor('xnli_fine-tune'), failed.runId, 'metrics', 'loss'), 'utf8');
    assert.match(lossFile, /^\d+ nan 640$/m);
    assert.match(readFileSync(join(mlruns, experimentIdFor('xnli_fine-tune'), finished.runId, 'metrics', 'learning_rate'), 'utf8'), /^\d+ 4\.9833333333333336e-05 10\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second CLI run joins the same experiments; a grown run is rewritten; an MLflow-made experiment is reused by name', async () => {
  const dir = tmp();
  try {
    const mlruns = join(dir, 'mlruns');
    // A store as MLflow 2.x made it: Default, plus our experiment under a random id and a PyYAML-folded long line.
    mkdirSync(join(mlruns, '.trash'), { recursive: true });
    mkdirSync(join(mlruns, '0'));
    writeFileSync(join(mlruns, '0', 'meta.yaml'), `artifact_location: ${localFileUri(mlruns)}/0\ncreation_time: 1690000000000\nexperiment_id: '0'\nlast_update_time: 1690000000000\nlifecycle_stage: active\nname: Default\n`);
    mkdirSync(join(mlruns, '483920175629384756'));
    writeFileSync(join(mlruns, '483920175629384756', 'meta.yaml'), `artifact_location: ${localFileUri(mlruns)}/483920175629384756\ncreation_time: 1690000000001\nexperiment_id: '483920175629384756'\nlast_update_time: 1690000000001\nlifecycle_stage: active\nname: xnli_fine-tune\n`);
    const partial = { ...failed, status: 'RUNNING' as const, endTime: undefined, error: undefined, metrics: failed.metrics.slice(0, 50) };
    await writeMlruns(mlruns, [partial]);
    let store = readMlflowStore(treeFromDirectory(mlruns), { rootUri: localFileUri(mlruns) });
    assert.equal(storedRun(store, failed).run.meta.status, 1);
    assert.equal(storedRun(store, failed).run.meta.end_time, null);
    await writeMlruns(mlruns, [failed]);
    await writeMlruns(mlruns, [killed, finished]);
    store = readMlflowStore(treeFromDirectory(mlruns), { rootUri: localFileUri(mlruns) });
    assert.deepEqual([...store.get('483920175629384756')!.runs.keys()].sort(), [failed.runId, finished.runId].sort());
    assert.equal(store.get('483920175629384756')!.meta.creation_time, 1690000000001, 'existing experiment untouched');
    assertSameHistories(storedRun(store, failed).run.metrics, failed);
    assert.equal(storedRun(store, failed).run.meta.status, 4);
    assert.equal(store.size, 3);
    assert.deepEqual(readdirSync(mlruns).sort(), ['.trash', '0', '483920175629384756', experimentIdFor('xnli_feature-extraction')].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys MLflow would reject are mapped without collisions; over-long params are left out as the callback does', async () => {
  const dir = tmp();
  try {
    const mlruns = join(dir, 'mlruns');
    const tree = await writeMlruns(mlruns, [awkward]);
    const stored = storedRun(readMlflowStore(treeFromDirectory(mlruns), { maxParamValueLength: 500 }), awkward).run;
    assert.equal(stored.params['label2id.entailment _0_'], '0');
    assert.equal(stored.params['bad_key'], 'real', 'a valid key keeps its name');
    assert.equal(stored.params['bad_key_2'], 'x', 'the mapped key steps aside');
    assert.equal(stored.params['__/escape'], 'y');
    assert.equal(stored.params['long_value'], undefined);
    assert.equal(stored.params['ok_long'], 'y'.repeat(500));
    assert.equal(stored.tags['device/limits/max'], '4');
    assert.equal(stored.tags['_nicode'], 'z');
    assert.deepEqual(stored.metrics['eval_zh-Hant_accuracy'].map((p) => p.value), [0.25]);
    assert.deepEqual(stored.metrics['eval_zh-Hant_accuracy_2'].map((p) => p.value), [0.5]);
    assert.ok(existsSync(join(mlruns, experimentIdFor('xnli_fine-tune'), awkward.runId, 'tags', 'device', 'limits', 'max')));
    assert.ok(tree.warnings.some((w) => /long_value.*501 characters/.test(w)));
    assert.ok(tree.warnings.some((w) => /'bad:key'.*'bad_key_2'/.test(w)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the page's zip holds the same store, and imports back into the same runs", () => {
  const rootUri = 'file:///home/student/xnli/mlruns';
  const runs = [finished, failed, killed];
  const { zip } = mlrunsZip(runs, { rootUri, mtime: new Date(Date.UTC(2024, 0, 1)) });
  const store = readMlflowStore(treeFromZip(zip), { rootUri });
  for (const run of runs) assertSameHistories(storedRun(store, run).run.metrics, run);
  const again = mlrunsZip(runs, { rootUri, mtime: new Date(Date.UTC(2024, 0, 1)) }).zip;
  assert.deepEqual(again, zip, 'same runs, same bytes');
  const imported = importMlrunsZip(zip);
  assert.equal(imported.length, 3);
  for (const run of runs) {
    const back = imported.find((r) => r.runId === run.runId)!;
    assert.equal(back.experimentName, run.experimentName);
    assert.equal(back.status, run.status);
    assert.equal(back.endTime, run.endTime);
    assert.equal(back.error, run.error);
    assert.deepEqual(back.params, run.params);
    assert.deepEqual(back.tags, { 'mlflow.source.type': 'LOCAL', ...run.tags });
    assert.deepEqual(historiesOf(back), historiesOf(run));
  }
  const one = mlrunsZip([killed], { rootUri }).zip;
  const store1 = readMlflowStore(treeFromZip(one));
  assert.deepEqual([...store1.keys()].sort(), ['0', experimentIdFor('xnli_feature-extraction')].sort());
});

test('a hand-made zip of a folder above mlruns, deflated, imports too; a non-store zip says what is wrong', () => {
  const tree = mlrunsTree([killed], { rootUri: 'file:///x/mlruns' });
  const files: Record<string, Uint8Array> = {};
  for (const e of tree.entries) if (e.kind === 'file') files[`logs/mlruns/${e.path}`] = strToU8(e.contents);
  const runs = importMlrunsZip(zipSync(files, { level: 9 }));
  assert.deepEqual(historiesOf(runs[0]), historiesOf(killed));
  assert.throws(() => importMlrunsZip(zipSync({ 'notes.txt': strToU8('hi') })), /no MLflow experiment/);
  assert.throws(() => importMlrunsZip(strToU8('not a zip')), /not a readable zip/);
});

function validTree(): FileTree {
  return treeFromZip(mlrunsZip([killed], { rootUri: 'file:///s/mlruns' }).zip);
}
const runDir = `${experimentIdFor('xnli_feature-extraction')}/${killed.runId}`;

test('the strict reader rejects broken stores, each with the path and the rule', () => {
  const cases: [string, (t: FileTree) => void, RegExp][] = [
    ['two spaces in a metric line', (t) => t.set(`${runDir}/metrics/loss`, t.get(`${runDir}/metrics/loss`)!.replace(' ', '  ')), /metrics\/loss line 1: .*fields, expected exactly 3/],
    ['a blank line', (t) => t.set(`${runDir}/metrics/loss`, `${t.get(`${runDir}/metrics/loss`)}\n`), /blank line/],
    ['two fields', (t) => t.set(`${runDir}/metrics/epoch`, '1700000000000 0.5\n'), /expected exactly 3/],
    ['a fractional step', (t) => t.set(`${runDir}/metrics/epoch`, '1700000000000 0.5 1.5\n'), /step '1.5' is not an integer/],
    ['a fractional timestamp', (t) => t.set(`${runDir}/metrics/epoch`, '1700000000000.5 0.5 1\n'), /timestamp/],
    ['a value Python cannot parse', (t) => t.set(`${runDir}/metrics/epoch`, '1700000000000 NaNx 1\n'), /value 'NaNx'/],
    ['an empty metric file', (t) => t.set(`${runDir}/metrics/epoch`, ''), /empty/],
    ['a missing start_time', (t) => t.set(`${runDir}/meta.yaml`, t.get(`${runDir}/meta.yaml`)!.replace(/^start_time: .*\n/m, '')), /missing field start_time/],
    ['a status as text', (t) => t.set(`${runDir}/meta.yaml`, t.get(`${runDir}/meta.yaml`)!.replace(/^status: .*$/m, 'status: KILLED')), /field status should be int/],
    ['a killed run without end time', (t) => t.set(`${runDir}/meta.yaml`, t.get(`${runDir}/meta.yaml`)!.replace(/^end_time: .*$/m, 'end_time: null')), /needs an end_time/],
    ['a run id unlike its folder', (t) => t.set(`${runDir}/meta.yaml`, t.get(`${runDir}/meta.yaml`)!.replace(/^run_id: .*$/m, 'run_id: abc')), /differ from the folder/],
    ['an experiment id as an int', (t) => t.set('0/meta.yaml', t.get('0/meta.yaml')!.replace("experiment_id: '0'", 'experiment_id: 0')), /experiment_id should be string/],
    ['a relative artifact location', (t) => t.set('0/meta.yaml', t.get('0/meta.yaml')!.replace(/^artifact_location: .*$/m, 'artifact_location: mlruns/0')), /absolute file/],
    ['a bad metric key', (t) => t.set(`${runDir}/metrics/a:b`, '1 1.0 1\n'), /invalid metric name 'a:b'/],
    ['no Default experiment', (t) => { for (const k of [...t.keys()]) if (k === '0' || k.startsWith('0/')) t.delete(k); }, /Default experiment 0/],
    ['no artifacts folder', (t) => t.delete(`${runDir}/artifacts`), /artifacts\/: missing/],
    ['no mlflow.runName tag', (t) => t.delete(`${runDir}/tags/mlflow.runName`), /mlflow.runName/],
  ];
  assert.doesNotThrow(() => readMlflowStore(validTree()));
  for (const [name, breakIt, message] of cases) {
    const t = validTree();
    breakIt(t);
    assert.throws(() => readMlflowStore(t), message, name);
  }
});

const python = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
test('PyYAML reads every meta.yaml with the types MLflow expects, and Python parses every metric line', { skip: python.status !== 0 ? 'python3 with PyYAML not available' : false }, async () => {
  const dir = tmp();
  try {
    const mlruns = join(dir, 'mlruns');
    await writeMlruns(mlruns, [finished, failed, killed, awkward]);
    const script = `
import os, sys, yaml
root = sys.argv[1]
count = 0
for exp in os.listdir(root):
    if exp == '.trash': continue
    meta = yaml.safe_load(open(os.path.join(root, exp, 'meta.yaml')))
    assert isinstance(meta['experiment_id'], str) and meta['experiment_id'] == exp, meta
    assert isinstance(meta['creation_time'], int) and meta['artifact_location'].startswith('file:///'), meta
    for run in os.listdir(os.path.join(root, exp)):
        d = os.path.join(root, exp, run)
        if not os.path.isdir(d): continue
        r = yaml.safe_load(open(os.path.join(d, 'meta.yaml')))
        assert r['run_id'] == run and r['run_uuid'] == run and r['experiment_id'] == exp, r
        assert type(r['status']) is int and type(r['start_time']) is int and type(r['end_time']) is int, r
        assert r['tags'] == [] and r['source_type'] == 4 and r['lifecycle_stage'] == 'active', r
        assert isinstance(r['run_name'], str) and isinstance(r['user_id'], str), r
        for base, _, files in os.walk(os.path.join(d, 'metrics')):
            for f in files:
                for line in open(os.path.join(base, f)).readlines():
                    parts = line.strip().split(' ')
                    assert len(parts) == 3, line
                    int(parts[0]); float(parts[1]); int(parts[2]); count += 1
print(count)
`;
    const result = spawnSync('python3', ['-c', script, mlruns], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const points = [finished, failed, killed, awkward].reduce((n, r) => n + r.metrics.length, 0);
    assert.equal(Number(result.stdout.trim()), points);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a terminated run without an end time and a relative root are refused with a clear message', () => {
  assert.throws(() => mlrunsTree([{ ...killed, endTime: undefined }], { rootUri: 'file:///x' }), /KILLED but has no end time/);
  assert.throws(() => mlrunsTree([killed], { rootUri: 'logs/mlruns' }), /absolute file:\/\/ URI/);
});
