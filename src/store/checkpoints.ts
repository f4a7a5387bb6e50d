// Checkpoints in the browser, streamed piece by piece and written so that a crash mid-write never replaces the last
// complete one: the files go to a new folder, and only once all are written does the run's record (IndexedDB) list it. Readers use only
// listed checkpoints; folders nobody lists are leftovers of interrupted writes and are removed.
import { MissingFileError, toArrayBuffer, type ModelFiles } from '../model/files.ts';
import { blobStoreOf, preferredBlobStore, type BlobStore, type BlobWriter } from './blob-store.ts';
import { bytesFile, writeCheckpoint, type CheckpointFileInfo, type CheckpointWriter } from '../train/checkpoint-stream.ts';
import { StorageFullError, isQuotaError, storageStatus } from './quota.ts';
import { deleteRunRecord, getStoredRun, updateStoredRun, type CheckpointEntry, type StoredRun } from './runs.ts';
import { heldRunLocks } from './run-lock.ts';

export interface SaveOptions {
  /** Called after each file is written (tests use it to interrupt a write half-way). */
  onFileWritten?: (name: string) => void | Promise<void>;
}

/**
 * A checkpoint streamed into this browser's storage: each file's pieces go to a new folder as they come; commit()
 * lists it in the run's record, then prunes the oldest beyond the run's limit. A failure removes the folder; a
 * full quota or disk becomes a StorageFullError. `committed` receives the listed entry.
 */
export async function beginCheckpoint(runId: string, step: number, files: CheckpointFileInfo[], options: SaveOptions & { committed?: (entry: CheckpointEntry) => void } = {}): Promise<CheckpointWriter> {
  const run = await getStoredRun(runId);
  if (!run) throw new Error(`no run ${runId} in this browser's storage: its record must be saved before its checkpoints`);
  const blobs = await preferredBlobStore();
  const savedAt = Date.now();
  const folder = `checkpoint-${step}-${savedAt}`;
  const sizes = Object.fromEntries(files.map(({ name, size }) => [name, size]));
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const failed = async (error: unknown): Promise<never> => {
    await current?.abort().catch(() => {});
    await blobs.removeFolder([runId, folder]).catch(() => {});
    if (isQuotaError(error)) throw new StorageFullError(`checkpoint-${step} of ${run.record.runName}`, bytes, await storageStatus());
    throw error;
  };
  let current: BlobWriter | null = null;
  let currentName = '';
  const finishFile = async () => {
    if (!current) return;
    await current.close();
    current = null;
    await options.onFileWritten?.(currentName);
  };
  return {
    async write(name, piece) {
      try {
        if (name !== currentName || !current) {
          await finishFile();
          current = await blobs.openWriter([runId, folder, name]);
          currentName = name;
        }
        await current.write(piece);
      } catch (error) {
        await failed(error);
      }
    },
    async commit() {
      try {
        await finishFile();
      } catch (error) {
        await failed(error);
      }
      const entry: CheckpointEntry = { step, folder, store: blobs.kind, files: sizes, bytes, savedAt };
      let pruned: CheckpointEntry[] = [];
      await updateStoredRun(runId, (stored) => {
        const kept = [...stored.checkpoints.filter((c) => c.step !== step), entry].sort((a, b) => a.step - b.step);
        const keep = Math.max(1, stored.keepCheckpoints);
        pruned = [...stored.checkpoints.filter((c) => c.step === step), ...kept.slice(0, Math.max(0, kept.length - keep))];
        return { ...stored, checkpoints: kept.slice(-keep) };
      });
      for (const old of pruned) await blobStoreOf(old.store).removeFolder([runId, old.folder]).catch(() => {});
      options.committed?.(entry);
    },
    async abort() {
      await current?.abort().catch(() => {});
      current = null;
      await blobs.removeFolder([runId, folder]).catch(() => {});
    },
  };
}

/** Writes a checkpoint held in memory (small ones, tests) through beginCheckpoint; resolves with its entry. */
export async function saveCheckpoint(runId: string, step: number, files: Record<string, Uint8Array>, options: SaveOptions = {}): Promise<CheckpointEntry> {
  let saved: CheckpointEntry | undefined;
  const list = Object.entries(files).map(([name, bytes]) => bytesFile(name, bytes));
  await writeCheckpoint(list, await beginCheckpoint(runId, step, list, { ...options, committed: (entry) => (saved = entry) }));
  return saved!;
}

function entryOf(run: StoredRun, step?: number): CheckpointEntry {
  const entry = step === undefined ? run.checkpoints.at(-1) : run.checkpoints.find((c) => c.step === step);
  if (!entry) {
    const have = run.checkpoints.map((c) => c.step).join(', ') || 'none';
    throw new Error(`run ${run.record.runName} has no checkpoint${step === undefined ? '' : ` at step ${step}`} (checkpoints: ${have})`);
  }
  return entry;
}

/** A stored checkpoint as ModelFiles: it loads through the same code as a Hub model. Sizes are checked on read. */
export async function checkpointModelFiles(runId: string, step?: number): Promise<ModelFiles & { entry: CheckpointEntry; runName: string }> {
  const run = await getStoredRun(runId);
  if (!run) throw new Error(`no run ${runId} in this browser's storage`);
  const entry = entryOf(run, step);
  const blobs: BlobStore = blobStoreOf(entry.store);
  const describe = `checkpoint-${entry.step} of run ${run.record.runName}`;
  /** The file, checked against the size the record listed when the checkpoint was committed. */
  const openChecked = async (name: string) => {
    const expected = entry.files[name];
    if (expected === undefined) throw new MissingFileError(name, describe);
    const file = await blobs.open([runId, entry.folder, name]);
    if (!file) throw new Error(`${name} of ${describe} is gone from browser storage (cleared by the browser?); resume from another checkpoint`);
    if (file.size !== expected) throw new Error(`${name} of ${describe} is damaged: ${file.size} bytes instead of ${expected}`);
    return file;
  };
  return {
    describe,
    entry,
    runName: run.record.runName,
    async fetchBytes(name) {
      const file = await openChecked(name);
      return toArrayBuffer(await file.read(0, file.size));
    },
    openFile: openChecked,
  };
}

export async function deleteCheckpoint(runId: string, step: number): Promise<void> {
  let removed: CheckpointEntry | undefined;
  await updateStoredRun(runId, (run) => {
    removed = run.checkpoints.find((c) => c.step === step);
    return { ...run, checkpoints: run.checkpoints.filter((c) => c.step !== step) };
  });
  if (removed) await blobStoreOf(removed.store).removeFolder([runId, removed.folder]);
}

/** Deletes a run: its record, history and checkpoint files. A run training in some tab is refused. */
export async function deleteRun(runId: string): Promise<void> {
  const locked = await heldRunLocks();
  if (locked?.has(runId)) throw new Error(`run ${runId} is training; stop it before deleting it`);
  await deleteRunRecord(runId);
  for (const kind of ['opfs', 'indexeddb'] as const) await blobStoreOf(kind).removeFolder([runId]).catch(() => {});
}

/**
 * Removes the folders of a run that its record does not list: what an interrupted write left. Only call it for
 * a run no page is training (its current write would look like a leftover).
 */
export async function removeUnlistedCheckpoints(runId: string): Promise<string[]> {
  const run = await getStoredRun(runId);
  const listed = new Set(run?.checkpoints.map((c) => c.folder) ?? []);
  const removed: string[] = [];
  for (const kind of ['opfs', 'indexeddb'] as const) {
    const blobs = blobStoreOf(kind);
    for (const folder of await blobs.listFolders([runId]).catch(() => [])) {
      if (listed.has(folder)) continue;
      await blobs.removeFolder([runId, folder]);
      removed.push(folder);
    }
  }
  return removed;
}
