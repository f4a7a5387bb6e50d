// The browser store as the runner page exposes it (`window.xnliRunner.store`): what the CLI, the browser tests
// and benchmarks call through page.evaluate, so every value is plain data (bytes travel as base64).
import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from '../train/job.ts';
import type { RunRecord } from '../train/run-record.ts';
import { exportFolderName, hfModelFolderFiles } from '../export/hf-folder.ts';
import { zipFolder } from '../export/zip.ts';
import { blobStoreOf, type BlobStoreKind } from './blob-store.ts';
import { resumeRun, trainInBrowser, type BrowserTrainingHandle } from './browser-training.ts';
import { checkpointModelFiles, deleteRun, removeUnlistedCheckpoints, saveCheckpoint } from './checkpoints.ts';
import { storageStatus, type StorageStatus } from './quota.ts';
import { getRun, listRuns, type RunSummary } from './runs.ts';

export interface RunnerStoreApi {
  /** Starts a job whose runs are kept in this browser; resolves when it ends. */
  train(job: TrainJob, backend: BackendName | null, keepCheckpoints?: number): Promise<RunRecord[]>;
  resume(runId: string, backend?: BackendName | null): Promise<RunRecord[]>;
  /** Stops the job this page trains after its current step; false when none. */
  stop(): boolean;
  /** Destroys the training worker's WebGPU device. */
  loseDevice(): boolean;
  list(): Promise<RunSummary[]>;
  get(runId: string): Promise<(RunSummary & { record: RunRecord }) | undefined>;
  delete(runId: string): Promise<void>;
  /** One file of a stored checkpoint (the last one when `step` is left out), base64. */
  checkpointFile(runId: string, step: number | null, name: string): Promise<string>;
  /** The checkpoint as a Hugging Face model folder in a zip, base64. */
  exportZip(runId: string, step: number | null): Promise<{ fileName: string; base64: string }>;
  /**
   * Writes a checkpoint of synthetic files (name → size in bytes), recording in `window.xnliCheckpointWrites`
   * each file once written: the tests interrupt such a write half-way.
   */
  writeSyntheticCheckpoint(runId: string, step: number, sizes: Record<string, number>): Promise<void>;
  removeUnlisted(runId: string): Promise<string[]>;
  /** Checkpoint folders present in a blob store for a run (committed or not). */
  folders(runId: string, kind: BlobStoreKind): Promise<string[]>;
  /** Write then read `megabytes` in one blob store; times in ms (the storage benchmark). */
  timeBlobStore(kind: BlobStoreKind, megabytes: number): Promise<{ writeMs: number; readMs: number; ok: boolean }>;
  storage(): Promise<StorageStatus | null>;
}

declare global {
  interface Window {
    xnliCheckpointWrites?: string[];
  }
}

export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function patterned(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer, 0, Math.floor(size / 4));
  let state = seed >>> 0;
  for (let i = 0; i < words.length; i++) words[i] = state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return bytes;
}

export function runnerStoreApi(): RunnerStoreApi {
  let active: BrowserTrainingHandle | null = null;
  const run = async (handle: BrowserTrainingHandle) => {
    active = handle;
    try {
      return await handle.finished;
    } finally {
      if (active === handle) active = null;
    }
  };
  return {
    train: (job, backend, keepCheckpoints) => run(trainInBrowser(job, { backend, keepCheckpoints })),
    resume: async (runId, backend) => run(await resumeRun(runId, backend === undefined ? {} : { backend })),
    stop: () => (active?.stop(), active !== null),
    loseDevice: () => (active?.loseDevice(), active !== null),
    list: listRuns,
    get: getRun,
    delete: deleteRun,
    async checkpointFile(runId, step, name) {
      const files = await checkpointModelFiles(runId, step ?? undefined);
      return toBase64(new Uint8Array(await files.fetchBytes(name)));
    },
    async exportZip(runId, step) {
      const files = await checkpointModelFiles(runId, step ?? undefined);
      const folder = exportFolderName(files.runName, files.entry.step);
      const zip = zipFolder(folder, await hfModelFolderFiles(files));
      return { fileName: `${folder}.zip`, base64: toBase64(new Uint8Array(await zip.arrayBuffer())) };
    },
    async writeSyntheticCheckpoint(runId, step, sizes) {
      window.xnliCheckpointWrites = [];
      const files = Object.fromEntries(Object.entries(sizes).map(([name, size], i) => [name, patterned(size, step * 31 + i)]));
      await saveCheckpoint(runId, step, files, { onFileWritten: (name) => void window.xnliCheckpointWrites!.push(name) });
    },
    removeUnlisted: removeUnlistedCheckpoints,
    folders: (runId, kind) => blobStoreOf(kind).listFolders([runId]),
    async timeBlobStore(kind, megabytes) {
      const store = blobStoreOf(kind);
      const bytes = patterned(megabytes * 1024 * 1024, megabytes);
      const path = ['__bench', `size-${megabytes}`, 'blob.bin'];
      const started = performance.now();
      await store.write(path, bytes);
      const wrote = performance.now();
      const back = await store.read(path);
      const read = performance.now();
      const ok = back !== null && back.byteLength === bytes.byteLength && new Uint8Array(back)[bytes.byteLength - 5] === bytes[bytes.byteLength - 5];
      await store.removeFolder(['__bench']);
      return { writeMs: wrote - started, readMs: read - wrote, ok };
    },
    storage: storageStatus,
  };
}
