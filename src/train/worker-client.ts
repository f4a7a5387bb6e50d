import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from './job.ts';
import type { RunRecord } from './run-record.ts';
import type { TrainingEvent } from './events.ts';
import type { FromWorker, JobResumeRequest, ToWorker } from './worker-protocol.ts';
import type { CheckpointFileInfo, CheckpointWriter } from './checkpoint-stream.ts';

/** After a lost device, how long the worker may take to fail on its own before it is ended. */
export const DEVICE_LOST_GRACE_MS = 10_000;

export interface TrainingListener {
  /** Each event, in order: the next waits for what this returns. */
  event?(event: TrainingEvent): void | Promise<void>;
  /**
   * A checkpoint begins: the writer gets its files' pieces as they come, then commit (training waits for it) or
   * abort. Without this handler checkpoints are discarded.
   */
  checkpoint?(run: RunRecord, step: number, files: CheckpointFileInfo[]): CheckpointWriter | Promise<CheckpointWriter>;
}

export interface TrainingHandle {
  /** Stops after the current step; a final checkpoint is still saved. */
  stop(): void;
  /** Destroys the worker's WebGPU device (to test recovery). */
  loseDevice(): void;
  /** The runs, when the job ends; rejects with the error's message when it fails. */
  finished: Promise<RunRecord[]>;
}

/** Starts a training job in a Web Worker and relays its events. */
export function startTraining(job: TrainJob, backend: BackendName | null, listener: TrainingListener, resume?: JobResumeRequest): TrainingHandle {
  const worker = new Worker(new URL('../training-worker.ts', import.meta.url), { type: 'module' });
  const send = (message: ToWorker) => worker.postMessage(message);
  let settle!: { resolve: (runs: RunRecord[]) => void; reject: (error: Error) => void };
  const finished = new Promise<RunRecord[]>((resolve, reject) => (settle = { resolve, reject }));
  let lostDevice: string | null = null;
  /** The checkpoint being streamed in, if any: aborted when the job ends before its end. */
  let writing: { writer: CheckpointWriter | null } | null = null;
  const abortWriting = () => {
    void writing?.writer?.abort().catch(() => {});
    writing = null;
  };
  const failure = (message: string) => new Error(lostDevice && !message.startsWith('the WebGPU device was lost') ? `the WebGPU device was lost (${lostDevice}); training stopped: ${message}` : message);
  // Events are handled one at a time, in order, so a run is stored before its metrics and checkpoints.
  let queue = Promise.resolve();
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    queue = queue.then(async () => {
      switch (message.type) {
        case 'backend':
        case 'log':
        case 'progress':
        case 'run':
        case 'metrics':
          return listener.event?.(message);
        case 'checkpoint-begin':
          writing = { writer: (await listener.checkpoint?.(message.run, message.step, message.files)) ?? null };
          return send({ type: 'ack', id: message.id });
        case 'checkpoint-piece':
          await writing?.writer?.write(message.name, message.bytes);
          return send({ type: 'ack', id: message.id });
        case 'checkpoint-end':
          await writing?.writer?.commit();
          writing = null;
          return send({ type: 'ack', id: message.id });
        case 'device-lost':
          lostDevice = message.message;
          // A lost device can leave the worker waiting forever on a GPU read.
          setTimeout(() => {
            worker.terminate();
            settle.reject(failure('the worker did not end on its own'));
          }, DEVICE_LOST_GRACE_MS);
          return listener.event?.(message);
        case 'done':
          abortWriting();
          worker.terminate();
          return settle.resolve(message.runs);
        case 'error':
          abortWriting();
          worker.terminate();
          return settle.reject(failure(message.message));
      }
    }).catch((error: Error) => {
      abortWriting();
      worker.terminate();
      settle.reject(error);
    });
  };
  worker.onerror = (event) => {
    abortWriting();
    worker.terminate();
    settle.reject(new Error(`the training worker failed: ${event.message || 'could not start (see the browser console)'}`));
  };
  send({ type: 'start', job, backend, resume });
  return { stop: () => send({ type: 'stop' }), loseDevice: () => send({ type: 'lose-device' }), finished };
}
