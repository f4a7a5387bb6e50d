import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from './job.ts';
import type { RunRecord } from './run-record.ts';
import type { TrainingEvent } from './events.ts';
import type { CheckpointFileInfo } from './checkpoint-stream.ts';

/** A run to continue: its record (history cut back to the checkpoint) and the checkpoint's step (0: none). */
export interface ResumeRequest {
  run: RunRecord;
  step: number;
  /**
   * Where the checkpoint's files are: a folder URL (`<url>/config.json`, ...; the CLI's output folder) or, when
   * absent, this browser's storage (the worker reads it there: a gigabyte need not cross from the page).
   */
  checkpointUrl?: string;
}

/** An interrupted job to finish: models whose runs finished, and the runs to continue, by model name. */
export interface JobResumeRequest {
  finished: string[];
  runs: Record<string, ResumeRequest>;
}

/** Messages from the page to the training worker. */
export type ToWorker =
  /** With `resume`, the job skips the models that finished and continues the interrupted runs. */
  | { type: 'start'; job: TrainJob; backend: BackendName | null; resume?: JobResumeRequest }
  | { type: 'stop' }
  /** Destroys the WebGPU device, as a driver reset would (tests of recovery from a lost device). */
  | { type: 'lose-device' }
  | { type: 'ack'; id: number };

/** Messages from the training worker to the page: the job's events, then how checkpoints and the job end. */
export type FromWorker =
  | TrainingEvent
  /**
   * A checkpoint, streamed: its files' names and sizes, then their pieces in order (a tensor, or small ones
   * gathered), then its end. The worker waits for an `ack` of each message before the next, so at most one piece
   * is in flight, and for the end's before training on: nothing is lost if the tab closes.
   */
  | { type: 'checkpoint-begin'; id: number; run: RunRecord; step: number; files: CheckpointFileInfo[] }
  | { type: 'checkpoint-piece'; id: number; name: string; bytes: Uint8Array }
  | { type: 'checkpoint-end'; id: number }
  | { type: 'done'; runs: RunRecord[] }
  | { type: 'error'; message: string; runs: RunRecord[] };
