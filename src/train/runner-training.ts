// Training driven from the runner page (the CLI's and the browser tests' way in): the job runs in the
// training worker; checkpoint files go to the host's output endpoint; every event is reported as JSON.
import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from './job.ts';
import type { RunRecord } from './run-record.ts';
import { startTraining, type TrainingHandle } from './worker-client.ts';
import type { JobResumeRequest } from './worker-protocol.ts';
import type { TrainingEvent } from './events.ts';
import type { CheckpointWriter } from './checkpoint-stream.ts';

/** One event of a training job, as the CLI receives it: the job's own, and a checkpoint once its folder is committed. */
export type TrainEvent = TrainingEvent | { type: 'checkpoint'; runId: string; runName: string; step: number; path: string };

export interface RunnerTrainingOptions {
  /** Base URL that accepts `PUT <base>/<path>` for each file and `POST <base>/<folder>?commit` to publish a folder. */
  outputUrl: string;
  report: (event: TrainEvent) => void;
  resume?: JobResumeRequest;
}

let active: TrainingHandle | null = null;

async function send(url: string, method: 'PUT' | 'POST', body?: Uint8Array): Promise<void> {
  // As a Blob: a DevTools client (the CLI drives this page through one) is sent every byte of a plain body
  // with the request's event, hundreds of megabytes that crashed the renderer; a Blob's bytes are not.
  const response = await fetch(url, { method, body: body ? new Blob([body as Uint8Array<ArrayBuffer>]) : undefined });
  if (!response.ok) throw new Error(`saving ${url.split('?')[0]} failed: HTTP ${response.status} ${await response.text()}`);
}

/**
 * A checkpoint into the host's output folder: each piece is PUT at its offset (the host appends it), into a staging
 * folder that becomes checkpoint-<step> only on commit.
 */
function outputWriter(outputUrl: string, run: RunRecord, step: number, committed: (path: string) => void): CheckpointWriter {
  const folder = `checkpoints/${run.runName}/checkpoint-${step}`;
  const offsets = new Map<string, number>();
  return {
    async write(name, bytes) {
      const offset = offsets.get(name) ?? 0;
      await send(`${outputUrl}/${folder}/${name}?offset=${offset}`, 'PUT', bytes);
      offsets.set(name, offset + bytes.byteLength);
    },
    async commit() {
      await send(`${outputUrl}/${folder}?commit`, 'POST');
      committed(folder);
    },
    // The host removes a staging folder nobody committed when the run resumes.
    abort: async () => {},
  };
}

/** Trains the job to the end; resolves with its runs, rejects with the failure's message. */
export async function trainOnRunner(job: TrainJob, backend: BackendName | null, options: RunnerTrainingOptions): Promise<RunRecord[]> {
  if (active) throw new Error('a training job is already running on this page');
  const { report } = options;
  active = startTraining(job, backend, {
    event: report,
    checkpoint: (run, step) => outputWriter(options.outputUrl, run, step, (path) => report({ type: 'checkpoint', runId: run.runId, runName: run.runName, step, path })),
  }, options.resume);
  try {
    return await active.finished;
  } finally {
    active = null;
  }
}

/** Asks the running job to stop after its current step (a final checkpoint is still written). */
export function stopTrainingOnRunner(): boolean {
  active?.stop();
  return active !== null;
}
