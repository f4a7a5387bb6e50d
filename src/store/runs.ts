// The run registry in IndexedDB (idb-keyval): one record per run (status, params, the job to resume it, its
// committed checkpoints) and its metric history, stored in chunks as the points are logged.
import { createStore, get, promisifyRequest, update, type UseStore } from 'idb-keyval';
import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from '../train/job.ts';
import type { MetricPoint, RunRecord } from '../train/run-record.ts';
import { historyAtCheckpoint } from '../train/resume.ts';
import type { BlobStoreKind } from './blob-store.ts';
import { heldRunLocks } from './run-lock.ts';

export interface CheckpointEntry {
  step: number;
  /** Folder of its files in the blob store: unique per write, so a rewrite never touches a committed one. */
  folder: string;
  store: BlobStoreKind;
  /** File name → size in bytes, checked when the checkpoint is read. */
  files: Record<string, number>;
  bytes: number;
  savedAt: number;
}

export interface StoredRun {
  record: Omit<RunRecord, 'metrics'>;
  /** The job the run belongs to (its model is `record.tags.model_name`): resuming finishes the whole job. */
  job: TrainJob;
  backend: BackendName | null;
  /** Committed checkpoints, oldest first. */
  checkpoints: CheckpointEntry[];
  /** How many checkpoints to keep (older ones are deleted after each new one). */
  keepCheckpoints: number;
  /** Last sign of life of the page training it, where the Web Locks API is missing. */
  heartbeat?: number;
  /** What the run was last doing (and the page's memory then, where measured): an interrupted run says it. */
  activity?: string;
}

/** How a run stands, as the page shows it. */
export type RunState = 'running' | 'interrupted' | 'stopped' | 'failed' | 'finished';

export interface RunSummary {
  runId: string;
  runName: string;
  experimentName: string;
  modelName: string;
  status: RunRecord['status'];
  state: RunState;
  /** Not finished, not training elsewhere, and has a checkpoint to continue from. */
  resumable: boolean;
  startTime: number;
  endTime?: number;
  error?: string;
  checkpoints: CheckpointEntry[];
  totalSteps: number;
  /** What it was last doing, e.g. "saving checkpoint-500, step 500 of 5625; the page used 3.4 GiB". */
  activity?: string;
}

/** Without Web Locks, a RUNNING run whose page has not written a heartbeat for this long is interrupted. */
export const HEARTBEAT_TIMEOUT_MS = 30_000;

let registryStore: UseStore | null = null;
export const registry = () => (registryStore ??= createStore('xnli-runs', 'registry'));

const runKey = (runId: string) => ['run', runId];
const metricsRange = (runId: string) => IDBKeyRange.bound(['metrics', runId], ['metrics', runId, []]);

export function getStoredRun(runId: string): Promise<StoredRun | undefined> {
  return get<StoredRun>(runKey(runId), registry());
}

/** Creates or updates a run's record; the job, backend and checkpoints already stored are kept. */
export function saveRunRecord(run: RunRecord, job: TrainJob, backend: BackendName | null, keepCheckpoints: number): Promise<void> {
  const { metrics: _metrics, ...record } = run;
  // The Hub token is kept only where the user chose (page memory or its own localStorage entry), never here.
  const { token: _token, ...storedJob } = job;
  return update<StoredRun>(runKey(run.runId), (old) => (old
    ? { ...old, record }
    : { record, job: storedJob, backend, checkpoints: [], keepCheckpoints }), registry());
}

export function updateStoredRun(runId: string, change: (run: StoredRun) => StoredRun): Promise<void> {
  return update<StoredRun>(runKey(runId), (old) => {
    if (!old) throw new Error(`no run ${runId} in this browser's storage`);
    return change(old);
  }, registry());
}

/** Appends logged points under the next key of the run's history (one IndexedDB write per logging event). */
export function appendMetrics(runId: string, points: MetricPoint[]): Promise<void> {
  if (points.length === 0) return Promise.resolve();
  return registry()('readwrite', async (store) => {
    const last = await promisifyRequest(store.openKeyCursor(metricsRange(runId), 'prev'));
    const seq = last ? ((last.key as [string, string, number])[2] + 1) : 0;
    store.put(points, ['metrics', runId, seq]);
    return promisifyRequest(store.transaction);
  });
}

export async function readMetrics(runId: string): Promise<MetricPoint[]> {
  const chunks = await registry()('readonly', (store) => promisifyRequest(store.getAll(metricsRange(runId)) as IDBRequest<MetricPoint[][]>));
  return chunks.flat();
}

/**
 * Cuts the history back to what it was when the checkpoint at `step` was written (see historyAtCheckpoint), in
 * one transaction: a crash leaves either the old history or the new one.
 */
export function cutMetricsBackTo(runId: string, step: number): Promise<MetricPoint[]> {
  return registry()('readwrite', async (store) => {
    const chunks = await promisifyRequest(store.getAll(metricsRange(runId)) as IDBRequest<MetricPoint[][]>);
    const kept = historyAtCheckpoint(chunks.flat(), step);
    store.delete(metricsRange(runId));
    store.put(kept, ['metrics', runId, 0]);
    await promisifyRequest(store.transaction);
    return kept;
  });
}

export async function allStoredRuns(): Promise<StoredRun[]> {
  return registry()('readonly', (store) => promisifyRequest(store.getAll(IDBKeyRange.bound(['run'], ['run', []])) as IDBRequest<StoredRun[]>));
}

export function runState(run: StoredRun, locked: Set<string> | null, now = Date.now()): RunState {
  switch (run.record.status) {
    case 'FINISHED': return 'finished';
    case 'FAILED': return 'failed';
    case 'KILLED': return 'stopped';
    case 'RUNNING': {
      const alive = locked ? locked.has(run.record.runId) : now - (run.heartbeat ?? 0) < HEARTBEAT_TIMEOUT_MS;
      return alive ? 'running' : 'interrupted';
    }
  }
}

export function summarize(run: StoredRun, locked: Set<string> | null): RunSummary {
  const state = runState(run, locked);
  const { record } = run;
  return {
    runId: record.runId,
    runName: record.runName,
    experimentName: record.experimentName,
    modelName: record.tags.model_name ?? record.runName,
    status: record.status,
    state,
    resumable: state !== 'finished' && state !== 'running' && run.checkpoints.length > 0,
    startTime: record.startTime,
    endTime: record.endTime,
    error: record.error,
    checkpoints: run.checkpoints,
    totalSteps: Number(record.params.total_train_steps ?? 0),
    activity: run.activity,
  };
}

/** Every run in this browser, newest first, with its state (a RUNNING run whose page is gone is `interrupted`). */
export async function listRuns(): Promise<RunSummary[]> {
  const [runs, locked] = await Promise.all([allStoredRuns(), heldRunLocks()]);
  return runs.map((run) => summarize(run, locked)).sort((a, b) => b.startTime - a.startTime);
}

/** A run's record with its whole metric history. */
export async function getRun(runId: string): Promise<(RunSummary & { record: RunRecord }) | undefined> {
  const [run, locked] = await Promise.all([getStoredRun(runId), heldRunLocks()]);
  if (!run) return undefined;
  return { ...summarize(run, locked), record: { ...run.record, metrics: await readMetrics(runId) } };
}

/** Removes the record and the history (the checkpoint files are the caller's: see deleteRun in checkpoints.ts). */
export function deleteRunRecord(runId: string): Promise<void> {
  return registry()('readwrite', (store) => {
    store.delete(metricsRange(runId));
    store.delete(runKey(runId));
    return promisifyRequest(store.transaction);
  });
}
