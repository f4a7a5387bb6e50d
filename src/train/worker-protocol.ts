import type { BackendInfo, BackendName } from '../backend/types.ts';
import type { JobProgress, TrainJob } from './job.ts';
import type { MetricPoint, RunRecord } from './run-record.ts';

/** Messages from the page to the training worker. */
export type ToWorker =
  | { type: 'start'; job: TrainJob; backend: BackendName | null }
  | { type: 'stop' }
  | { type: 'ack'; id: number };

/** Messages from the training worker to the page. */
export type FromWorker =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'log'; message: string }
  | { type: 'progress'; run: string; progress: JobProgress }
  | { type: 'run'; run: RunRecord }
  | { type: 'metrics'; runId: string; points: MetricPoint[] }
  /** The worker waits for an `ack` with the same id before training on, so nothing is lost if the tab closes. */
  | { type: 'checkpoint'; id: number; run: RunRecord; step: number; files: Record<string, Uint8Array> }
  | { type: 'done'; runs: RunRecord[] }
  | { type: 'error'; message: string; runs: RunRecord[] };
