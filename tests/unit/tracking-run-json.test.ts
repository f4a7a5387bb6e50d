import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importRunJson, runJson } from '../../src/tracking/run-json.ts';
import { mlrunsZip } from '../../src/tracking/mlruns-zip.ts';
import { experimentIdFor } from '../../src/tracking/mlflow-rules.ts';
import { latestMetrics } from '../../src/train/run-record.ts';
import { readMlflowStore, treeFromZip } from '../support/mlflow-file-store-reader.ts';
import { historiesOf, trainingRun } from '../support/mlflow-run-fixtures.ts';

const rootUri = 'file:///home/student/logs/mlruns';
const run = trainingRun({ runId: '1234567890abcdef1234567890abcdef', runName: 'mbert-fine-tune', status: 'FAILED', steps: 900, nanFromStep: 850, error: 'out of GPU memory: use a smaller batch' });

test("run JSON has MLflow's REST shape: info, latest metrics, params, tags, and every history", () => {
  const doc = runJson(run, { rootUri });
  const info = doc.run.info;
  assert.equal(info.run_id, run.runId);
  assert.equal(info.run_uuid, run.runId);
  assert.equal(info.status, 'FAILED');
  assert.equal(info.end_time, run.endTime);
  assert.equal(info.experiment_id, experimentIdFor('xnli_fine-tune'));
  assert.equal(info.artifact_uri, `${rootUri}/${experimentIdFor('xnli_fine-tune')}/${run.runId}/artifacts`);
  const latest = latestMetrics(run);
  assert.equal(doc.run.data.metrics.length, Object.keys(latest).length);
  for (const m of doc.run.data.metrics) {
    const expected = latest[m.key];
    assert.ok(Number.isNaN(expected) ? m.value === 'NaN' : m.value === expected, m.key);
  }
  assert.deepEqual(Object.fromEntries(doc.run.data.params.map((p) => [p.key, p.value])), run.params);
  assert.equal(doc.run.data.tags.find((t) => t.key === 'mlflow.runName')?.value, run.runName);
  const text = JSON.stringify(doc);
  assert.ok(!/\bnull\b/.test(text), 'no NaN turned into null');
  assert.match(text, /"value":"NaN"/);
});

test('the in-app history, the file-store export and the JSON export hold the same points; both import back', () => {
  const fromJson = importRunJson(JSON.stringify(runJson(run, { rootUri })));
  assert.deepEqual(historiesOf(fromJson), historiesOf(run));
  assert.equal(fromJson.error, run.error);
  assert.equal(fromJson.status, run.status);
  assert.equal(fromJson.experimentName, run.experimentName);
  assert.deepEqual(fromJson.params, run.params);

  const store = readMlflowStore(treeFromZip(mlrunsZip([run], { rootUri }).zip));
  const stored = store.get(experimentIdFor('xnli_fine-tune'))!.runs.get(run.runId)!;
  const fileHistories = Object.fromEntries(Object.entries(stored.metrics).map(([k, points]) => [k, points.map(({ value, step, timestamp }) => ({ value, step, timestamp }))]));
  assert.deepEqual(fileHistories, historiesOf(run));
  assert.deepEqual(fileHistories, historiesOf(fromJson));
});

test('importing says what is wrong with a file that is not a run JSON', () => {
  assert.throws(() => importRunJson('{'), /not a run JSON export: invalid JSON/);
  assert.throws(() => importRunJson('{"run": {}}'), /missing run.info/);
  const doc = runJson(run, { rootUri });
  const broken = JSON.parse(JSON.stringify(doc));
  broken.metric_history.loss[0].value = 'lots';
  assert.throws(() => importRunJson(broken), /metric 0 \(loss\) value should be a number/);
  const noHistory = JSON.parse(JSON.stringify(doc));
  delete noHistory.metric_history;
  assert.equal(importRunJson(noHistory).metrics.length, doc.run.data.metrics.length, 'a plain runs/get answer imports its latest values');
});
