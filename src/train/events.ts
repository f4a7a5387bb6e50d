// The events of a training job: one union from the job (job.ts), through the training worker, to every consumer
// (the page's store and panels, the CLI, the tests). A field added here reaches them all, typed.
import type { BackendInfo } from '../backend/types.ts';
import type { MetricPoint, RunRecord } from './run-record.ts';
import type { TrainProgress } from './trainer.ts';

export type JobProgress = TrainProgress | { phase: 'load' | 'data' | 'tokenize' | 'save'; message: string; done?: number; total?: number };

/** What a job reports as it goes. Checkpoints are not events: their bytes are streamed with backpressure. */
export type JobEvent =
  | { type: 'log'; message: string }
  /** `run` is a run's name, or "download" for the downloads before the runs. */
  | { type: 'progress'; run: string; progress: JobProgress }
  /** A run was created or changed status: persist it. */
  | { type: 'run'; run: RunRecord }
  | { type: 'metrics'; runId: string; points: MetricPoint[] };

/** What a job's consumers are told: the job's events, the backend it trains on, and a lost WebGPU device. */
export type TrainingEvent =
  | JobEvent
  | { type: 'backend'; info: BackendInfo }
  /** The job ends with an error soon after (its last checkpoint can be resumed). */
  | { type: 'device-lost'; message: string };
