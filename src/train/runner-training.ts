// Training driven from the runner page (the CLI's and the browser tests' way in): the job runs in the
// training worker; checkpoint files go to the host's output endpoint; every event is reported as JSON.
import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from './job.ts';
import type { RunRecord } from './run-record.ts';
import { startTraining, type TrainingHandle } from './worker-client.ts';
import type { JobResumeRequest } from './worker-protocol.ts';

/** One event of a training job, as the CLI receives it. */
export type TrainEvent =
  | { type: 'backend'; description: string; info: unknown }
  | { type: 'log'; message: string }
  | { type: 'progress'; run: string; progress: unknown }
  | { type: 'run'; run: RunRecord }
  | { type: 'metrics'; runId: string; points: unknown[] }
  | { type: 'checkpoint'; runId: string; runName: string; step: number; path: string };

export interface RunnerTrainingOptions {
  /** Base URL that accepts `PUT <base>/<path>` for each file and `POST <base>/<folder>?commit` to publish a folder. */
  outputUrl: string;
  report: (event: TrainEvent) => void;
  resume?: JobResumeRequest;
}

let active: TrainingHandle | null = null;

async function put(url: string, body: Uint8Array): Promise<void> {
  const response = await fetch(url, { method: 'PUT', body: body as BodyInit });
  if (!response.ok) throw new Error(`saving ${url} failed: HTTP ${response.status} ${await response.text()}`);
}

/** Trains the job to the end; resolves with its runs, rejects with the failure's message. */
export async function trainOnRunner(job: TrainJob, backend: BackendName | null, options: RunnerTrainingOptions): Promise<RunRecord[]> {
  if (active) throw new Error('a training job is already running on this page');
  const { report } = options;
  active = startTraining(job, backend, {
    backend: (info) => report({ type: 'backend', description: info.backend, info }),
    log: (message) => report({ type: 'log', message }),
    progress: (run, progress) => report({ type: 'progress', run, progress }),
    run: (run) => report({ type: 'run', run }),
    metrics: (runId, points) => report({ type: 'metrics', runId, points }),
    async checkpoint(run, step, files) {
      // Files go to a staging folder that becomes checkpoint-<step> only once all are written.
      const folder = `checkpoints/${run.runName}/checkpoint-${step}`;
      for (const [name, bytes] of Object.entries(files)) await put(`${options.outputUrl}/${folder}/${name}`, bytes);
      const commit = await fetch(`${options.outputUrl}/${folder}?commit`, { method: 'POST' });
      if (!commit.ok) throw new Error(`saving ${folder} failed: HTTP ${commit.status} ${await commit.text()}`);
      report({ type: 'checkpoint', runId: run.runId, runName: run.runName, step, path: folder });
    },
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
