// The browser's cache of downloads in the origin private file system (OPFS). Chosen over the Cache API because a
// write streams into a file (no second copy of a 1 GB model as a Response), createWritable() commits atomically
// on close (a crash never leaves half a file under its name), it works the same in the page and the training
// worker, and a full disk surfaces as QuotaExceededError that we turn into "needed vs free".
import { HubError, quotaError } from './errors.ts';
import type { CacheEntry, FileCache } from './file-cache.ts';

const DIRECTORY = 'hub-cache';

/** File names are the SHA-256 of the key (keys hold URLs, longer than a file name may be). */
async function nameOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function opfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' && globalThis.isSecureContext !== false;
}

export class OpfsFileCache implements FileCache {
  readonly kind = 'opfs';
  private directory: Promise<FileSystemDirectoryHandle> | null = null;

  private dir(): Promise<FileSystemDirectoryHandle> {
    this.directory ??= navigator.storage.getDirectory().then((root) => root.getDirectoryHandle(DIRECTORY, { create: true }));
    return this.directory;
  }

  private async readMeta(dir: FileSystemDirectoryHandle, name: string): Promise<CacheEntry | null> {
    try {
      const file = await (await dir.getFileHandle(`${name}.json`)).getFile();
      return JSON.parse(await file.text()) as CacheEntry;
    } catch {
      return null;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const dir = await this.dir();
    const name = await nameOf(key);
    // The metadata is written last, so an entry without it (a write cut short) does not exist.
    const meta = await this.readMeta(dir, name);
    if (!meta || meta.key !== key) return null;
    try {
      const file = await (await dir.getFileHandle(`${name}.bin`)).getFile();
      if (file.size !== meta.size) {
        await this.delete(key);
        return null;
      }
      return new Uint8Array(await file.arrayBuffer());
    } catch {
      return null;
    }
  }

  async put(key: string, bytes: Uint8Array, label: string): Promise<void> {
    const dir = await this.dir();
    const name = await nameOf(key);
    const free = await this.freeBytes();
    if (free !== undefined && bytes.byteLength > free) throw quotaError(label, bytes.byteLength, free);
    try {
      await dir.removeEntry(`${name}.json`).catch(() => {});
      await writeFile(dir, `${name}.bin`, bytes);
      const entry: CacheEntry = { key, label, size: bytes.byteLength, storedAt: Date.now() };
      await writeFile(dir, `${name}.json`, new TextEncoder().encode(JSON.stringify(entry)));
    } catch (error) {
      await dir.removeEntry(`${name}.bin`).catch(() => {});
      if ((error as Error).name === 'QuotaExceededError') throw quotaError(label, bytes.byteLength, (await this.freeBytes()) ?? 0);
      throw new HubError('http', `could not store ${label} in the browser's storage: ${(error as Error).message}`);
    }
  }

  async list(): Promise<CacheEntry[]> {
    const dir = await this.dir();
    const entries: CacheEntry[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (!name.endsWith('.json')) continue;
      const meta = await this.readMeta(dir, name.slice(0, -5));
      if (meta) entries.push(meta);
    }
    return entries.sort((a, b) => a.label.localeCompare(b.label));
  }

  async delete(key: string): Promise<void> {
    const dir = await this.dir();
    const name = await nameOf(key);
    await dir.removeEntry(`${name}.json`).catch(() => {});
    await dir.removeEntry(`${name}.bin`).catch(() => {});
  }

  async freeBytes(): Promise<number | undefined> {
    const estimate = await navigator.storage.estimate?.();
    if (!estimate || estimate.quota === undefined || estimate.usage === undefined) return undefined;
    return estimate.quota - estimate.usage;
  }
}

async function writeFile(dir: FileSystemDirectoryHandle, name: string, bytes: Uint8Array): Promise<void> {
  const handle = await dir.getFileHandle(name, { create: true });
  const writable = await handle.createWritable();
  try {
    await writable.write(bytes as unknown as FileSystemWriteChunkType);
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => {});
    throw error;
  }
}
