// Test and bench hooks on the app's browser store, kept out of the product's bundle: injected into the runner page
// (same origin, so the same OPFS and IndexedDB) by tests/support/store-hooks.ts, as `window.xnliStoreHooks`.
import { saveCheckpoint } from '../../../src/store/checkpoints.ts';
import { blobStoreOf, type BlobStoreKind } from '../../../src/store/blob-store.ts';

export interface StoreHooks {
  /**
   * Writes a checkpoint of synthetic files (name → size in bytes), recording in `window.xnliCheckpointWrites`
   * each file as it is written, so a test can close the page part-way through.
   */
  writeSyntheticCheckpoint(runId: string, step: number, sizes: Record<string, number>): Promise<void>;
  /** Times writing and reading back one blob of `megabytes` in a blob store (the storage bench). */
  timeBlobStore(kind: BlobStoreKind, megabytes: number): Promise<{ writeMs: number; readMs: number; ok: boolean }>;
}

declare global {
  interface Window {
    xnliStoreHooks?: StoreHooks;
    xnliCheckpointWrites?: string[];
  }
}

/** Bytes of a fixed pseudo-random pattern (compressible by nothing, checkable at any offset). */
function patterned(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer, 0, Math.floor(size / 4));
  let state = seed >>> 0;
  for (let i = 0; i < words.length; i++) words[i] = state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return bytes;
}

window.xnliStoreHooks = {
  async writeSyntheticCheckpoint(runId, step, sizes) {
    window.xnliCheckpointWrites = [];
    const files = Object.fromEntries(Object.entries(sizes).map(([name, size], i) => [name, patterned(size, step * 31 + i)]));
    await saveCheckpoint(runId, step, files, { onFileWritten: (name) => void window.xnliCheckpointWrites!.push(name) });
  },
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
};
