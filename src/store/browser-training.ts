// Training whose runs live in this browser: records and metrics go to IndexedDB as they are logged, checkpoints
// to OPFS (or IndexedDB) atomically, each run holds a Web Lock while it trains, and an interrupted run resumes
// from its last checkpoint.
import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from '../train/job.ts';
import type { JobProgress } from '../train/events.ts';
import { describeActivity } from '../train/activity.ts';
import type { RunRecord } from '../train/run-record.ts';
import { startTraining, type TrainingHandle, type TrainingListener } from '../train/worker-client.ts';
import type { JobResumeRequest } from '../train/worker-protocol.ts';
import { beginCheckpoint, removeUnlistedCheckpoints } from './checkpoints.ts';
import { checkFit, checkpointBytesEstimate, requestPersistentStorage, runBytesEstimate, storageStatus, weightBytesOf, type FitCheck } from './quota.ts';
import { heldRunLocks, holdRunLock, webLocksAvailable } from './run-lock.ts';
import { appendMetrics, cutMetricsBackTo, getStoredRun, runState, saveRunRecord, updateStoredRun, type CheckpointEntry } from './runs.ts';
import { resolveUrl } from '../hub/files.ts';
import { listedFileSize } from '../hub/hub-api.ts';

export const DEFAULT_KEEP_CHECKPOINTS = 2;
const HEARTBEAT_MS = 5_000;

export interface BrowserTrainingOptions {
  backend?: BackendName | null;
  /** Checkpoints kept per run (older ones are deleted); default 2. */
  keepCheckpoints?: number;
  /** The page's own handlers (progress, logs...), called after the store has the event; checkpoints go to the store. */
  listener?: Omit<TrainingListener, 'checkpoint'> & {
    checkpointSaved?(run: RunRecord, entry: CheckpointEntry): void;
    /** A resumed run, its history cut back to its checkpoint, before the job starts. */
    resumed?(run: RunRecord): void;
  };
}

export interface BrowserTrainingHandle {
  stop(): void;
  loseDevice(): void;
  /** Resolves with the runs when the job ends; rejects with a one-line message (the runs are marked failed). */
  finished: Promise<RunRecord[]>;
}

const ACTIVITY_MS = 5_000;

/**
 * Keeps what the training runs are doing in their records (on each change of phase, at most every 5 s while
 * training, with the page's memory where the browser can measure it), so that after a crash the run says what
 * was happening.
 */
function recordActivity(held: Map<string, () => void>) {
  let last = '';
  let written = 0;
  let memory = '';
  const measure = (performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
  const timer = measure && globalThis.crossOriginIsolated ? setInterval(() => {
    void measure.call(performance).then((m) => (memory = `; the page used ${(m.bytes / 2 ** 30).toFixed(1)} GiB`), () => {});
  }, 15_000) : null;
  return {
    progress(run: string, p: JobProgress) {
      const text = describeActivity(run, p) ?? '';
      const phaseChanged = text.split(',')[0] !== last.split(',')[0];
      if (!phaseChanged && Date.now() - written < ACTIVITY_MS) return;
      last = text;
      written = Date.now();
      for (const runId of held.keys()) void updateStoredRun(runId, (run) => ({ ...run, activity: `${text}${memory}` })).catch(() => {});
    },
    stop: () => timer && clearInterval(timer),
  };
}

/**
 * What resuming `run` trains: the models of its job before the run's own trained to the end (a job goes on to the
 * next model only once a run has finished), the run continues from its checkpoint, and the models after it train.
 */
function jobResumeFor(job: TrainJob, run: RunRecord, step: number): JobResumeRequest {
  const index = Math.max(0, job.models.findIndex((m) => m.name === run.tags.model_name));
  const model = job.models[index];
  return { finished: job.models.slice(0, index).map((m) => m.name), runs: { [model.name]: { run, step } } };
}

function session(job: TrainJob, options: BrowserTrainingOptions, held: Map<string, () => void>, resume?: JobResumeRequest): BrowserTrainingHandle {
  const backend = options.backend ?? null;
  const keep = options.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS;
  const outer = options.listener ?? {};
  const seen = new Map<string, RunRecord>();
  const heartbeat = webLocksAvailable() ? null : setInterval(() => {
    for (const runId of held.keys()) void updateStoredRun(runId, (run) => ({ ...run, heartbeat: Date.now() })).catch(() => {});
  }, HEARTBEAT_MS);

  const release = (runId: string) => {
    held.get(runId)?.();
    held.delete(runId);
  };

  const activity = recordActivity(held);
  const storeRun = async (run: RunRecord) => {
    if (!held.has(run.runId)) held.set(run.runId, await holdRunLock(run.runId));
    seen.set(run.runId, run);
    await saveRunRecord(run, job, backend, keep);
    if (!webLocksAvailable()) await updateStoredRun(run.runId, (stored) => ({ ...stored, heartbeat: Date.now() }));
    if (run.status !== 'RUNNING') release(run.runId);
  };
  const handle: TrainingHandle = startTraining(job, backend, {
    async event(event) {
      if (event.type === 'progress') activity.progress(event.run, event.progress);
      if (event.type === 'run') await storeRun(event.run);
      if (event.type === 'metrics') await appendMetrics(event.runId, event.points);
      await outer.event?.(event);
    },
    checkpoint: (run, step, files) => beginCheckpoint(run.runId, step, files, { committed: (entry) => outer.checkpointSaved?.(run, entry) }),
  }, resume);

  const finished = handle.finished.catch(async (error: Error) => {
    // The worker is gone: runs it left RUNNING end as failed with the reason, and stay resumable. A run the job
    // already marked failed gets the fuller reason (e.g. the lost device behind a failed GPU read).
    for (const run of seen.values()) {
      const stored = await getStoredRun(run.runId);
      const record = stored?.record;
      if (record && (record.status === 'RUNNING' || (record.status === 'FAILED' && error.message.includes(record.error ?? '')))) {
        await updateStoredRun(run.runId, (s) => ({ ...s, record: { ...s.record, status: 'FAILED', error: error.message, endTime: Date.now() } }));
      }
    }
    throw error;
  }).finally(() => {
    activity.stop();
    if (heartbeat) clearInterval(heartbeat);
    for (const runId of [...held.keys()]) release(runId);
  });
  return { stop: handle.stop, loseDevice: handle.loseDevice, finished };
}

/** Starts a training job whose runs are kept in this browser. Asks for persistent storage first. */
export function trainInBrowser(job: TrainJob, options: BrowserTrainingOptions = {}): BrowserTrainingHandle {
  void requestPersistentStorage();
  return session(job, options, new Map());
}

/**
 * Continues an interrupted, stopped or failed run from its last checkpoint: the history is cut back to that
 * checkpoint's step and the run trains on to where an uninterrupted run would have ended; then the job's models
 * after it train, so the whole job is finished.
 */
export async function resumeRun(runId: string, options: BrowserTrainingOptions = {}): Promise<BrowserTrainingHandle> {
  const stored = await getStoredRun(runId);
  if (!stored) throw new Error(`no run ${runId} in this browser's storage`);
  const state = runState(stored, await heldRunLocks());
  if (state === 'finished') throw new Error(`run ${stored.record.runName} has finished: there is nothing to resume`);
  if (state === 'running') throw new Error(`run ${stored.record.runName} is training in another tab or window; stop it there first`);
  const last = stored.checkpoints.at(-1);
  if (!last) throw new Error(`run ${stored.record.runName} has no checkpoint to resume from (it stopped before its first save); start it again`);
  const release = await holdRunLock(runId);
  try {
    await removeUnlistedCheckpoints(runId);
    const metrics = await cutMetricsBackTo(runId, last.step);
    void requestPersistentStorage();
    const run: RunRecord = { ...stored.record, metrics, status: 'RUNNING' };
    options.listener?.resumed?.(run);
    return session(stored.job, { backend: stored.backend, keepCheckpoints: stored.keepCheckpoints, ...options }, new Map([[runId, release]]), jobResumeFor(stored.job, run, last.step));
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Whether a job's checkpoints will fit in the free browser storage, from the size of each model's weights (the
 * Hub's listing, or a HEAD request where there is none). Call before starting a run and show `warning` when it is
 * not empty: also when a model's size could not be learned, so the check is not silently skipped.
 */
export async function checkJobStorage(job: TrainJob, keepCheckpoints = DEFAULT_KEEP_CHECKPOINTS): Promise<FitCheck> {
  let largest = 0;
  const unknown: string[] = [];
  for (const model of job.models) {
    const bytes = await modelWeightBytes(model, job.token).catch(() => null);
    if (bytes === null) unknown.push(model.name);
    largest = Math.max(largest, bytes ?? 0);
  }
  const fit = checkFit(runBytesEstimate(checkpointBytesEstimate(largest, job.config.technique), keepCheckpoints), await storageStatus());
  if (unknown.length === 0) return fit;
  const note = `the size of ${unknown.join(', ')} could not be learned, so whether its checkpoints fit in the browser's storage is not known`;
  return { ...fit, fits: false, warning: fit.warning ? `${fit.warning}; ${note}` : note };
}

/** Size of a model's weights: a picked file's own size, the Hub's listing, else the server's answer to HEAD. */
async function modelWeightBytes(model: TrainJob['models'][number], token: string | undefined): Promise<number | null> {
  const picked = model.fileUrls?.['model.safetensors'];
  if (picked) return (await (await fetch(picked)).blob()).size;
  if (model.url) return weightBytesOf(`${model.url.replace(/\/+$/, '')}/model.safetensors`);
  const listed = await listedFileSize(model.endpoint, model.repo, model.revision ?? 'main', ['model.safetensors', 'pytorch_model.bin'], token);
  if (listed !== null) return listed;
  const url = resolveUrl({ endpoint: model.endpoint, repo: model.repo, revision: model.revision }, 'model.safetensors');
  return weightBytesOf(url, token ? { Authorization: `Bearer ${token}` } : {});
}
