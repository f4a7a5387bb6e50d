import type { BackendInfo, BackendName } from '../backend/types.ts';
import type { JobProgress, TrainJob } from './job.ts';
import type { MetricPoint, RunRecord } from './run-record.ts';

/** A run to continue: its record (history cut back to the checkpoint) and the checkpoint's step. */
export interface ResumeRequest {
  run: RunRecord;
  step: number;
}

/** Messages from the page to the training worker. */
export type ToWorker =
  /** With `resume`, the job's one model continues that run from its checkpoint in the browser's storage. */
  | { type: 'start'; job: TrainJob; backend: BackendName | null; resume?: ResumeRequest }
  | { type: 'stop' }
  /** Destroys the WebGPU device, as a driver reset would (tests of recovery from a lost device). */
  | { type: 'lose-device' }
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
  | { type: 'device-lost'; message: string }
  | { type: 'done'; runs: RunRecord[] }
  | { type: 'error'; message: string; runs: RunRecord[] };
