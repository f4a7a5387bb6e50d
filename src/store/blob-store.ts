// Where checkpoint files (up to gigabytes each) are kept: the origin private file system (OPFS), or IndexedDB in
// chunks where OPFS is missing. Measured in headless Chromium (README, "Checkpoints in the browser"): OPFS reads
// large files several times faster, and one IndexedDB value is capped at 127 MiB in a private window, so
// IndexedDB holds a file as 32 MiB chunks.
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import type { RandomAccessFile } from '../model/safetensors.ts';

export type BlobStoreKind = 'opfs' | 'indexeddb';

/** Files under folders, addressed by path segments: [runId, folder, fileName]. */
export interface BlobStore {
  readonly kind: BlobStoreKind;
  write(path: string[], bytes: Uint8Array): Promise<void>;
  /** A file written piece by piece; it exists whole only after close() (abort() leaves none). */
  openWriter(path: string[]): Promise<BlobWriter>;
  /** The file's bytes, or null when it does not exist. */
  read(path: string[]): Promise<ArrayBuffer | null>;
  /** The file for reading in parts (a tensor at a time), or null when it does not exist. */
  open(path: string[]): Promise<RandomAccessFile | null>;
  /** Removes a folder and everything in it; a missing folder is no error. */
  removeFolder(path: string[]): Promise<void>;
  /** Names of the folders directly under `path`. */
  listFolders(path: string[]): Promise<string[]>;
}

export interface BlobWriter {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** write() for any store: the bytes through a writer. */
async function writeWhole(store: BlobStore, path: string[], bytes: Uint8Array): Promise<void> {
  const writer = await store.openWriter(path);
  try {
    await writer.write(bytes);
    await writer.close();
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
}

const OPFS_ROOT = 'xnli-checkpoints';
/** Writes go out in pieces so no single message to the storage process holds a gigabyte. */
const WRITE_PIECE = 64 * 1024 * 1024;
export const IDB_CHUNK = 32 * 1024 * 1024;

export function opfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
}

async function opfsFolder(path: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
  let folder = await navigator.storage.getDirectory();
  for (const name of [OPFS_ROOT, ...path]) {
    try {
      folder = await folder.getDirectoryHandle(name, { create });
    } catch (error) {
      if ((error as DOMException).name === 'NotFoundError') return null;
      throw error;
    }
  }
  return folder;
}

async function opfsFile(path: string[]): Promise<File | null> {
  const folder = await opfsFolder(path.slice(0, -1), false);
  if (!folder) return null;
  try {
    return await (await folder.getFileHandle(path.at(-1)!)).getFile();
  } catch (error) {
    if ((error as DOMException).name === 'NotFoundError') return null;
    throw error;
  }
}

export function opfsBlobStore(): BlobStore {
  const store: BlobStore = {
    kind: 'opfs',
    write: (path, bytes) => writeWhole(store, path, bytes),
    async openWriter(path) {
      const folder = (await opfsFolder(path.slice(0, -1), true))!;
      const handle = await folder.getFileHandle(path.at(-1)!, { create: true });
      // createWritable writes to a swap file that replaces the file only on close(): never a half-written file.
      const writable = await handle.createWritable();
      return {
        async write(bytes) {
          for (let offset = 0; offset < bytes.byteLength; offset += WRITE_PIECE) {
            await writable.write(bytes.subarray(offset, Math.min(offset + WRITE_PIECE, bytes.byteLength)) as Uint8Array<ArrayBuffer>);
          }
        },
        close: () => writable.close(),
        abort: () => writable.abort(),
      };
    },
    async read(path) {
      const file = await opfsFile(path);
      return file ? file.arrayBuffer() : null;
    },
    async open(path) {
      const file = await opfsFile(path);
      return file ? { size: file.size, blob: file, read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()) } : null;
    },
    async removeFolder(path) {
      const parent = await opfsFolder(path.slice(0, -1), false);
      if (!parent) return;
      await parent.removeEntry(path.at(-1)!, { recursive: true }).catch((error: DOMException) => {
        if (error.name !== 'NotFoundError') throw error;
      });
    },
    async listFolders(path) {
      const folder = await opfsFolder(path, false);
      if (!folder) return [];
      const names: string[] = [];
      for await (const [name, handle] of (folder as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (handle.kind === 'directory') names.push(name);
      }
      return names;
    },
  };
  return store;
}

let chunkStore: UseStore | null = null;
const chunks = () => (chunkStore ??= createStore('xnli-checkpoint-chunks', 'chunks'));

/** Keys are [...path, chunkIndex]: a folder's chunks form one key range. */
function rangeUnder(path: string[]): IDBKeyRange {
  return IDBKeyRange.bound(path, [...path, []]);
}

export function indexedDbBlobStore(): BlobStore {
  const put = (path: string[], index: number, piece: Uint8Array) => chunks()('readwrite', (store) => {
    store.put(piece, [...path, index]);
    return promisifyRequest(store.transaction);
  });
  const removeRange = (range: IDBKeyRange) => chunks()('readwrite', (store) => {
    store.delete(range);
    return promisifyRequest(store.transaction);
  });
  const store: BlobStore = {
    kind: 'indexeddb',
    write: (path, bytes) => writeWhole(store, path, bytes),
    async openWriter(path) {
      await removeRange(rangeUnder(path));
      // Pieces gather into IDB_CHUNK-sized records, one transaction each: a private window holds a transaction's
      // data in memory until it commits.
      let pending = new Uint8Array(IDB_CHUNK);
      let used = 0;
      let index = 0;
      const flush = async () => {
        await put(path, index++, pending.slice(0, used));
        used = 0;
      };
      return {
        async write(bytes) {
          for (let offset = 0; offset < bytes.byteLength;) {
            const take = Math.min(IDB_CHUNK - used, bytes.byteLength - offset);
            pending.set(bytes.subarray(offset, offset + take), used);
            used += take;
            offset += take;
            if (used === IDB_CHUNK) await flush();
          }
        },
        async close() {
          if (used > 0 || index === 0) await flush();
          pending = new Uint8Array(0);
        },
        abort: () => removeRange(rangeUnder(path)),
      };
    },
    async read(path) {
      const pieces = await chunks()('readonly', (store) => promisifyRequest(store.getAll(rangeUnder(path)) as IDBRequest<Uint8Array[]>));
      if (pieces.length === 0) return null;
      const total = pieces.reduce((sum, p) => sum + p.byteLength, 0);
      const out = new Uint8Array(total);
      let offset = 0;
      for (const piece of pieces) {
        out.set(piece, offset);
        offset += piece.byteLength;
      }
      return out.buffer;
    },
    async open(path) {
      // Every chunk but the last holds IDB_CHUNK bytes (see openWriter), so a range maps onto chunk numbers.
      const keys = await chunks()('readonly', (store) => promisifyRequest(store.getAllKeys(rangeUnder(path))));
      if (keys.length === 0) return null;
      const last = await chunks()('readonly', (store) => promisifyRequest(store.get([...path, keys.length - 1]) as IDBRequest<Uint8Array>));
      const size = (keys.length - 1) * IDB_CHUNK + last.byteLength;
      return {
        size,
        async read(start, end) {
          const out = new Uint8Array(Math.max(0, Math.min(end, size) - start));
          for (let index = Math.floor(start / IDB_CHUNK); index * IDB_CHUNK < start + out.byteLength; index++) {
            const piece = await chunks()('readonly', (store) => promisifyRequest(store.get([...path, index]) as IDBRequest<Uint8Array>));
            const from = Math.max(start, index * IDB_CHUNK);
            const to = Math.min(start + out.byteLength, (index + 1) * IDB_CHUNK);
            out.set(piece.subarray(from - index * IDB_CHUNK, to - index * IDB_CHUNK), from - start);
          }
          return out;
        },
      };
    },
    async removeFolder(path) {
      await chunks()('readwrite', (store) => {
        store.delete(rangeUnder(path));
        return promisifyRequest(store.transaction);
      });
    },
    async listFolders(path) {
      const keys = await chunks()('readonly', (store) => promisifyRequest(store.getAllKeys(rangeUnder(path))));
      return [...new Set(keys.map((key) => String((key as IDBValidKey[])[path.length])))];
    },
  };
  return store;
}

export function blobStoreOf(kind: BlobStoreKind): BlobStore {
  return kind === 'opfs' ? opfsBlobStore() : indexedDbBlobStore();
}

let preferred: Promise<BlobStore> | null = null;

/** OPFS where this browser has it and it answers (some private windows refuse it), else IndexedDB. */
export function preferredBlobStore(): Promise<BlobStore> {
  preferred ??= (async () => {
    if (opfsAvailable()) {
      try {
        await navigator.storage.getDirectory();
        return opfsBlobStore();
      } catch {
        // fall through to IndexedDB
      }
    }
    return indexedDbBlobStore();
  })();
  return preferred;
}
