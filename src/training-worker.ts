// Entry of the training worker: the page stays responsive while the model trains here. It ties the trainer
// (src/train/) to where a resumed run's checkpoint is (the CLI's output folder, or this browser's store), so it
// sits above both; src/train/worker-client.ts starts it.
import { describeBackend, initBackend, onDeviceLost, softwareGpuReason, type BackendInfo, type BackendName } from './backend/index.ts';
import * as tf from '@tensorflow/tfjs-core';
import { runTrainJob } from './train/job.ts';
import { checkpointModelFiles } from './store/checkpoints.ts';
import type { RunRecord } from './train/run-record.ts';
import type { FromWorker, JobResumeRequest, ResumeRequest, ToWorker } from './train/worker-protocol.ts';
import type { JobResume } from './train/job.ts';
import type { ResumeSource } from './train/resume.ts';
import { urlFiles } from './hub/url-files.ts';
import { writeCheckpoint, type CheckpointFile } from './train/checkpoint-stream.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let stopRequested = false;
let nextAckId = 1;
const pendingAcks = new Map<number, () => void>();
const runs: RunRecord[] = [];

/** Posts a message and resolves when the page has acknowledged it (it has handled it, e.g. stored the piece). */
function postAndWait(message: FromWorker & { id: number }, transfer: Transferable[] = []): Promise<void> {
  const acked = new Promise<void>((resolve) => pendingAcks.set(message.id, resolve));
  post(message, transfer);
  return acked;
}

/** A piece's buffer moves to the page when it is the piece's own; a view into a larger buffer is copied. */
const ownBuffer = (bytes: Uint8Array) => (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer] : []);

/** Streams a checkpoint to the page one piece at a time (see the 'checkpoint-*' messages). */
async function streamCheckpoint(run: RunRecord, step: number, files: CheckpointFile[]): Promise<void> {
  await postAndWait({ type: 'checkpoint-begin', id: nextAckId++, run, step, files: files.map(({ name, size }) => ({ name, size })) });
  await writeCheckpoint(files, {
    write: (name, bytes) => postAndWait({ type: 'checkpoint-piece', id: nextAckId++, name, bytes }, ownBuffer(bytes)),
    commit: () => postAndWait({ type: 'checkpoint-end', id: nextAckId++ }),
    // The page aborts its writer when the job ends without the checkpoint's end.
    abort: async () => {},
  });
}

/**
 * An explicit backend is used or fails with its reason. Automatic choice takes the best available, except that a
 * software WebGPU adapter (SwiftShader on a machine without a GPU) trains far slower than WASM, so WASM is taken.
 */
async function chooseBackend(requested: BackendName | null): Promise<BackendInfo> {
  if (requested) return initBackend(requested, { fallback: false });
  const best = await initBackend();
  const software = softwareGpuReason(best);
  if (!software) return best;
  const wasm = await initBackend('wasm');
  return { ...wasm, requested: null, skipped: [{ backend: best.backend, reason: `${software}: WASM trains faster here` }, ...best.skipped, ...wasm.skipped] };
}

async function resumeSourceOf(request: ResumeRequest): Promise<ResumeSource> {
  if (request.step === 0) return { ...request, files: null };
  const files = request.checkpointUrl
    ? urlFiles(request.checkpointUrl, `checkpoint-${request.step} of ${request.run.runName}`)
    : await checkpointModelFiles(request.run.runId, request.step);
  return { ...request, files };
}

async function jobResumeOf(request: JobResumeRequest): Promise<JobResume> {
  const runs: Record<string, ResumeSource> = {};
  for (const [model, run] of Object.entries(request.runs)) runs[model] = await resumeSourceOf(run);
  return { finished: request.finished, runs };
}

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  try {
    const info = await chooseBackend(message.backend);
    post({ type: 'backend', info });
    onDeviceLost((reason) => {
      stopRequested = true;
      post({ type: 'device-lost', message: reason });
    });
    const resume = message.resume ? await jobResumeOf(message.resume) : undefined;
    const environment = { ...message.job.environment, backend: info.backend, ...(info.adapter ? { adapter: describeBackend({ ...info, skipped: [] }) } : {}) };
    const done = await runTrainJob({ ...message.job, environment }, {
      report: (event) => {
        if (event.type !== 'run') return post(event);
        if (!runs.includes(event.run)) runs.push(event.run);
        // The page has the history from the metrics events.
        post({ type: 'run', run: { ...event.run, metrics: [] } });
      },
      checkpoint: (run, step, files) => streamCheckpoint({ ...run, metrics: [] }, step, files),
    }, () => stopRequested, resume);
    post({ type: 'done', runs: done });
  } catch (error) {
    // A destroyed device often surfaces first as a failed GPU read; name the cause when that is what happened.
    const lost = await deviceLostReason(500);
    const message = (error as Error).message;
    post({ type: 'error', message: lost ? `the WebGPU device was lost (${lost}); training stopped: ${message}` : message, runs });
  }
}

/** The WebGPU device of the current tfjs backend, if it is webgpu. */
function currentDevice(): GPUDevice | undefined {
  try {
    return (tf.backend() as unknown as { device?: GPUDevice }).device;
  } catch {
    return undefined;
  }
}

/** Set when this worker destroyed its own device (loseDevice): Chromium does not always settle device.lost then. */
let destroyedOnRequest: string | null = null;

function deviceLostReason(waitMs: number): Promise<string | null> {
  if (destroyedOnRequest) return Promise.resolve(destroyedOnRequest);
  const device = currentDevice();
  if (!device) return Promise.resolve(null);
  return Promise.race([
    device.lost.then((info) => `${info.reason}${info.message ? `: ${info.message}` : ''}`),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), waitMs)),
  ]);
}

function loseDevice(): void {
  const device = currentDevice();
  if (!device) post({ type: 'log', message: `no WebGPU device to lose: the backend is ${tf.getBackend()}` });
  else {
    device.destroy();
    destroyedOnRequest = 'destroyed: GPUDevice.destroy() was called to simulate a lost device';
    stopRequested = true;
    post({ type: 'device-lost', message: destroyedOnRequest });
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'start') void start(message);
  else if (message.type === 'stop') stopRequested = true;
  else if (message.type === 'lose-device') loseDevice();
  else if (message.type === 'ack') {
    pendingAcks.get(message.id)?.();
    pendingAcks.delete(message.id);
  }
};
