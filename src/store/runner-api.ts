// The browser store as the runner page exposes it (`window.xnliRunner.store`): what the CLI, the browser tests
// and benchmarks call through page.evaluate, so every value is plain data (bytes travel as base64). Test-only
// hooks (synthetic checkpoints, storage timing) are not here: tests/browser/pages/store-hooks.ts.
import type { BackendName } from '../backend/types.ts';
import type { TrainJob } from '../train/job.ts';
import type { RunRecord } from '../train/run-record.ts';
import { exportFolderName, hfModelFolderFiles } from '../export/hf-folder.ts';
import { zipFolder } from '../export/zip.ts';
import { blobStoreOf, type BlobStoreKind } from './blob-store.ts';
import { resumeRun, trainInBrowser, type BrowserTrainingHandle } from './browser-training.ts';
import { checkpointModelFiles, deleteRun, removeUnlistedCheckpoints } from './checkpoints.ts';
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
  /**
   * The checkpoint as a Hugging Face model folder in a zip: its name, size and files, and (zips up to 64 MiB; larger
   * ones would not cross page.evaluate) its bytes in base64.
   */
  exportZip(runId: string, step: number | null): Promise<{ fileName: string; bytes: number; files: Array<{ name: string; size: number }>; base64?: string }>;
  removeUnlisted(runId: string): Promise<string[]>;
  /** Checkpoint folders present in a blob store for a run (committed or not). */
  folders(runId: string, kind: BlobStoreKind): Promise<string[]>;
  storage(): Promise<StorageStatus | null>;
}

export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
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
      const contents = await hfModelFolderFiles(files);
      const zip = await zipFolder(folder, contents);
      const base64 = zip.size <= 64 * 2 ** 20 ? toBase64(new Uint8Array(await zip.arrayBuffer())) : undefined;
      return { fileName: `${folder}.zip`, bytes: zip.size, files: contents.map(({ name, size }) => ({ name, size })), base64 };
    },
    removeUnlisted: removeUnlistedCheckpoints,
    folders: (runId, kind) => blobStoreOf(kind).listFolders([runId]),
    storage: storageStatus,
  };
}
