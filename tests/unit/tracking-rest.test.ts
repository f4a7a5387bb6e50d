import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryQueueStorage, MlflowApiError, MlflowRestLogger, MlflowUnreachableError, type MlflowRestOptions } from '../../src/tracking/mlflow-rest.ts';
import { jsonFileQueueStorage } from '../../src/tracking/node/json-file-queue-storage.ts';
import type { RunRecord } from '../../src/train/run-record.ts';
import { FakeMlflowServer } from '../support/mlflow-fake-server.ts';
import { historiesOf, trainingRun } from '../support/mlflow-run-fixtures.ts';

function assertServerHolds(server: FakeMlflowServer, runId: string, run: RunRecord) {
  const stored = server.runs.get(runId)!;
  const expected = historiesOf(run);
  for (const [key, points] of Object.entries(expected)) {
    const got = stored.metrics.filter((m) => m.key === key);
    assert.equal(got.length, points.length, `${key}: ${got.length} stored, ${points.length} logged`);
    points.forEach((p, i) => {
      assert.equal(got[i].step, p.step);
      assert.equal(got[i].timestamp, p.timestamp);
      assert.ok(Object.is(got[i].value, p.value), `${key}[${i}]`);
    });
  }
  assert.equal(stored.metrics.length, run.metrics.length, 'no point stored twice');
}

function options(server: FakeMlflowServer, extra: Partial<MlflowRestOptions> = {}): MlflowRestOptions {
  return { trackingUri: server.url, storage: new MemoryQueueStorage(), autoFlush: false, retryDelaysMs: [], ...extra };
}

test('a run logs live: experiment created, params in batches of 100, metrics within 1000 a batch, NaN as "NaN", status and end time', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const run = trainingRun({ runId: 'a'.repeat(32), runName: 'bert-fine-tune', status: 'RUNNING', steps: 2000, nanFromStep: 1900 });
    for (let i = 0; i < 130; i++) run.params[`config.extra_${i}`] = String(i);
    run.params.long = 'z'.repeat(600);
    const warnings: string[] = [];
    const logger = await MlflowRestLogger.open(run, options(server, { onWarning: (w) => warnings.push(w) }));
    const first = await logger.flush();
    assert.deepEqual(first, { done: true, pending: 0 });
    const later = trainingRun({ runId: 'a'.repeat(32), runName: 'bert-fine-tune', status: 'FINISHED', steps: 2000, nanFromStep: 1900 }).metrics.slice(run.metrics.length);
    await logger.logMetrics(later);
    run.metrics.push(...later);
    await logger.finish('FINISHED', run.startTime + 99_000);
    await logger.flush();

    const [experiment] = server.experiments.values();
    assert.equal(experiment.name, 'xnli_fine-tune');
    const stored = server.runs.get(logger.serverRunId!)!;
    assert.equal(stored.info.experiment_id, experiment.experiment_id);
    assert.equal(stored.info.status, 'FINISHED');
    assert.equal(stored.info.end_time, run.startTime + 99_000);
    assert.equal(stored.info.start_time, run.startTime);
    assert.equal(stored.params.get('config.extra_129'), '129');
    assert.equal(stored.params.has('long'), false);
    assert.ok(warnings.some((w) => /param 'long' left out/.test(w)));
    assert.equal(stored.tags.get('backend'), 'webgpu');
    assertServerHolds(server, logger.serverRunId!, run);
    assert.ok(server.metricsOf(logger.serverRunId!, 'loss').some((m) => Number.isNaN(m.value)));
    const batches = server.requests.filter((r) => r.endpoint === 'runs/log-batch').map((r) => r.body);
    assert.ok(batches.every((b) => b.params.length <= 100 && b.tags.length <= 100 && b.metrics.length <= 1000 && b.params.length + b.tags.length + b.metrics.length <= 1000));
    assert.ok(batches.some((b) => b.metrics.length === 1000 - b.params.length - b.tags.length), 'batches are filled to the limit');
    assert.ok(batches.flatMap((b) => b.metrics).every((m: any) => Number.isInteger(m.step) && Number.isInteger(m.timestamp) && (typeof m.value === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(m.value))));
    assert.deepEqual(server.requests.slice(0, 3).map((r) => r.endpoint), ['experiments/get-by-name', 'experiments/create', 'runs/create']);
  } finally {
    await server.down();
  }
});

test('an existing experiment is found by name, not created again', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const id = server.createExperiment('xnli_feature-extraction');
    const run = trainingRun({ runId: 'b'.repeat(32), runName: 'x', technique: 'feature-extraction', status: 'KILLED', steps: 30 });
    const logger = await MlflowRestLogger.open(run, options(server));
    await logger.finish('KILLED', run.endTime!);
    await logger.flush();
    assert.equal(server.experiments.size, 1);
    assert.equal(server.runs.get(logger.serverRunId!)!.info.experiment_id, id);
    assert.equal(server.runs.get(logger.serverRunId!)!.info.status, 'KILLED');
  } finally {
    await server.down();
  }
});

test('a server that goes away mid-run: points queue in the persisted file, survive a restart, and flush once each when it is back', async () => {
  const server = await new FakeMlflowServer().start();
  const dir = mkdtempSync(join(tmpdir(), 'mlflow-queue-'));
  try {
    const full = trainingRun({ runId: 'c'.repeat(32), runName: 'xlmr', status: 'FINISHED', steps: 1500 });
    const run: RunRecord = { ...full, status: 'RUNNING', endTime: undefined, metrics: full.metrics.slice(0, 300) };
    const queueFile = join(dir, 'mlflow-queue.json');
    const logger = await MlflowRestLogger.open(run, options(server, { storage: jsonFileQueueStorage(queueFile) }));
    await logger.flush();
    await server.down();
    await logger.logMetrics(full.metrics.slice(300, 900));
    await assert.rejects(logger.flush(), (e: Error) => e instanceof MlflowUnreachableError && /unreachable.*stay queued/.test(e.message));
    assert.equal(logger.pending, 600);
    await logger.logMetrics(full.metrics.slice(900));
    await logger.finish('FINISHED', full.endTime!);
    logger.close();
    // The CLI restarts: a new logger resumes from the file.
    const saved = JSON.parse(readFileSync(queueFile, 'utf8'))[run.runId];
    assert.equal(saved.queue.metrics.length, full.metrics.length - 300);
    const resumed = await MlflowRestLogger.open(run, options(server, { storage: jsonFileQueueStorage(queueFile) }));
    assert.equal(resumed.serverRunId, logger.serverRunId);
    await server.up();
    assert.deepEqual(await resumed.flush(), { done: true, pending: 0 });
    assertServerHolds(server, logger.serverRunId!, full);
    assert.equal(server.runs.get(logger.serverRunId!)!.info.status, 'FINISHED');
    assert.equal(server.runs.size, 1);
  } finally {
    await server.down();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch the server applied but never answered is not stored twice; automatic retries send the rest', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const run = trainingRun({ runId: 'd'.repeat(32), runName: 'mbert', status: 'FINISHED', steps: 1200 });
    const errors: Error[] = [];
    server.dropAfterApplying.add('runs/log-batch');
    const logger = await MlflowRestLogger.open({ ...run, status: 'RUNNING', endTime: undefined }, options(server, { autoFlush: true, retryDelaysMs: [20], onError: (e) => errors.push(e) }));
    await logger.finish('FINISHED', run.endTime!);
    // Retries run in the background: wait (bounded) until the server holds the finished run.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && server.runs.values().next().value?.info.status !== 'FINISHED';) await new Promise((r) => setTimeout(r, 10));
    logger.close();
    assert.ok(errors.some((e) => e instanceof MlflowUnreachableError), 'the dropped answer was seen');
    assert.ok(server.requests.some((r) => r.endpoint === 'metrics/get-history'), 'histories were checked before resending');
    assertServerHolds(server, logger.serverRunId!, run);
    assert.equal(server.runs.get(logger.serverRunId!)!.info.status, 'FINISHED');
  } finally {
    await server.down();
  }
});

test('params are never re-logged with another value; server errors come through with error_code and message', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const run = trainingRun({ runId: 'e'.repeat(32), runName: 'p', status: 'RUNNING', steps: 20 });
    const logger = await MlflowRestLogger.open(run, options(server));
    await logger.flush();
    const before = server.requests.length;
    await logger.logParams({ seed: '73' });
    await assert.rejects(logger.logParams({ seed: '74' }), /param 'seed' was already logged as '73'.*not allow changing it to '74'/);
    await logger.flush();
    assert.equal(server.requests.length, before, 'an unchanged param is not sent again');
    // The server's own rule, as MLflow answers it.
    const raw = await fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', body: JSON.stringify({ run_id: logger.serverRunId, params: [{ key: 'seed', value: '74' }] }) });
    assert.equal(raw.status, 400);
    assert.equal((await raw.json()).error_code, 'INVALID_PARAMETER_VALUE');
    // A run deleted on the server: the logger says which endpoint, the code and MLflow's message.
    server.runs.clear();
    await logger.logMetrics([{ key: 'loss', value: 1, step: 21, timestamp: Date.now() }]);
    await assert.rejects(logger.flush(), (e: Error) => e instanceof MlflowApiError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST' && /refused runs\/log-batch \(HTTP 404 RESOURCE_DOES_NOT_EXIST\): Run '.*' not found/.test(e.message));
    assert.equal(logger.pending, 1, 'the point stays queued');
  } finally {
    await server.down();
  }
});

test('the fake server enforces what MLflow documents: batch limits, integer steps and timestamps, value encodings', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const post = async (endpoint: string, body: unknown) => {
      const r = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    };
    const exp = await post('experiments/create', { name: 'x' });
    const created = await post('runs/create', { experiment_id: exp.body.experiment_id, user_id: 'u', run_name: 'r', start_time: 1 });
    const run_id = created.body.run.info.run_id;
    const metric = (i: number) => ({ key: 'm', value: i, timestamp: 1, step: i });
    const cases: [unknown, RegExp][] = [
      [{ run_id, metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) }, /at most 1000 metrics/],
      [{ run_id, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }, /at most 100 params/],
      [{ run_id, tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' })) }, /at most 100 tags/],
      [{ run_id, metrics: Array.from({ length: 950 }, (_, i) => metric(i)), params: Array.from({ length: 51 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }, /at most 1000 metrics, params, and tags/],
      [{ run_id, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 1.5 }] }, /'step'/],
      [{ run_id, metrics: [{ key: 'm', value: 1, timestamp: 1.5, step: 1 }] }, /'timestamp'/],
      [{ run_id, metrics: [{ key: 'm', value: 'nan', timestamp: 1, step: 1 }] }, /'value'/],
      [{ run_id, metrics: [{ key: 'a:b', value: 1, timestamp: 1, step: 1 }] }, /Invalid metric name/],
    ];
    for (const [body, message] of cases) {
      const answer = await post('runs/log-batch', body);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error_code, 'INVALID_PARAMETER_VALUE');
      assert.match(answer.body.message, message);
    }
    assert.equal((await post('runs/log-batch', { run_id, metrics: Array.from({ length: 1000 }, (_, i) => metric(i)) })).status, 200);
    assert.equal((await post('experiments/create', { name: 'x' })).body.error_code, 'RESOURCE_ALREADY_EXISTS');
    const missing = await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error_code, 'RESOURCE_DOES_NOT_EXIST');
  } finally {
    await server.down();
  }
});

test('only an http(s) server can be logged to live', async () => {
  const run = trainingRun({ runId: 'f'.repeat(32), runName: 'x', status: 'RUNNING', steps: 10 });
  await assert.rejects(MlflowRestLogger.open(run, { trackingUri: 'logs/mlruns', storage: new MemoryQueueStorage(), autoFlush: false }), /needs an http\(s\):\/\/ tracking URI/);
});

test('a stopped run resumed from an earlier checkpoint: RUNNING again on the server, each step stored once, FINISHED at the end', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const full = trainingRun({ runId: 'd'.repeat(32), runName: 'mbert', status: 'FINISHED', steps: 1500 });
    const storage = new MemoryQueueStorage();
    // The first attempt logged up to step 900 and was stopped (KILLED); its checkpoint is at step 500.
    const first: RunRecord = { ...full, status: 'RUNNING', endTime: undefined, metrics: full.metrics.filter((p) => p.step <= 900) };
    const before = await MlflowRestLogger.open(first, options(server, { storage }));
    await before.finish('KILLED', Date.now());
    await before.flush();
    const serverRunId = before.serverRunId!;
    assert.equal(server.runs.get(serverRunId)!.info.status, 'KILLED');

    // The resumed run logs every step after 500 again, with new timestamps.
    const resumed: RunRecord = { ...full, status: 'RUNNING', endTime: undefined, metrics: full.metrics.filter((p) => p.step <= 500) };
    const logger = await MlflowRestLogger.open(resumed, options(server, { storage }));
    await logger.resumeAt(500);
    await logger.logMetrics(full.metrics.filter((p) => p.step > 500).map((p) => ({ ...p, timestamp: p.timestamp + 1 })));
    const reopened = server.requests.filter((r) => r.endpoint === 'runs/update');
    await logger.flush();
    assert.ok(server.requests.slice(reopened.length).some((r) => r.endpoint === 'runs/update' && r.body.status === 'RUNNING'), 'set RUNNING again');
    await logger.finish('FINISHED', full.endTime!);
    await logger.flush();
    assert.equal(logger.serverRunId, serverRunId, 'the same server run');
    const stored = server.runs.get(serverRunId)!;
    assert.equal(stored.info.status, 'FINISHED');
    const ids = (points: Array<{ key: string; step: number }>) => points.map((m) => `${m.key}@${m.step}`).sort();
    assert.deepEqual(ids(stored.metrics), ids(full.metrics), 'every point stored once');
  } finally {
    await server.down();
  }
});
