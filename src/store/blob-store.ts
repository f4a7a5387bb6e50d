// Where checkpoint files (up to gigabytes each) are kept: the origin private file system (OPFS), or IndexedDB in
// chunks where OPFS is missing. Measured in headless Chromium (README, "Checkpoints in the browser"): OPFS reads
// large files several times faster, and one IndexedDB value is capped at 127 MiB in a private window, so
// IndexedDB holds a file as 32 MiB chunks.
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';

export type BlobStoreKind = 'opfs' | 'indexeddb';

/** Files under folders, addressed by path segments: [runId, folder, fileName]. */
export interface BlobStore {
  readonly kind: BlobStoreKind;
  write(path: string[], bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or null when it does not exist. */
  read(path: string[]): Promise<ArrayBuffer | null>;
  /** Removes a folder and everything in it; a missing folder is no error. */
  removeFolder(path: string[]): Promise<void>;
  /** Names of the folders directly under `path`. */
  listFolders(path: string[]): Promise<string[]>;
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

export function opfsBlobStore(): BlobStore {
  return {
    kind: 'opfs',
    async write(path, bytes) {
      const folder = (await opfsFolder(path.slice(0, -1), true))!;
      const handle = await folder.getFileHandle(path.at(-1)!, { create: true });
      // createWritable writes to a swap file that replaces the file only on close(): never a half-written file.
      const writable = await handle.createWritable();
      try {
        for (let offset = 0; offset < bytes.byteLength; offset += WRITE_PIECE) {
          await writable.write(bytes.subarray(offset, Math.min(offset + WRITE_PIECE, bytes.byteLength)) as Uint8Array<ArrayBuffer>);
        }
        await writable.close();
      } catch (error) {
        await writable.abort().catch(() => {});
        throw error;
      }
    },
    async read(path) {
      const folder = await opfsFolder(path.slice(0, -1), false);
      if (!folder) return null;
      try {
        const handle = await folder.getFileHandle(path.at(-1)!);
        return await (await handle.getFile()).arrayBuffer();
      } catch (error) {
        if ((error as DOMException).name === 'NotFoundError') return null;
        throw error;
      }
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
}

let chunkStore: UseStore | null = null;
const chunks = () => (chunkStore ??= createStore('xnli-checkpoint-chunks', 'chunks'));

/** Keys are [...path, chunkIndex]: a folder's chunks form one key range. */
function rangeUnder(path: string[]): IDBKeyRange {
  return IDBKeyRange.bound(path, [...path, []]);
}

export function indexedDbBlobStore(): BlobStore {
  return {
    kind: 'indexeddb',
    async write(path, bytes) {
      await chunks()('readwrite', (store) => {
        store.delete(rangeUnder(path));
        return promisifyRequest(store.transaction);
      });
      const count = Math.max(1, Math.ceil(bytes.byteLength / IDB_CHUNK));
      // One transaction per chunk: a private window holds a transaction's data in memory until it commits.
      for (let i = 0; i < count; i++) {
        const piece = bytes.slice(i * IDB_CHUNK, Math.min((i + 1) * IDB_CHUNK, bytes.byteLength));
        await chunks()('readwrite', (store) => {
          store.put(piece, [...path, i]);
          return promisifyRequest(store.transaction);
        });
      }
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
