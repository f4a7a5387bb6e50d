// Where downloaded files are kept: keyed by endpoint + repository + commit (or revision) + file, so a second run
// and an offline run read them back. Entries are whole and verified: a file is only put after its checks passed.
import { quotaError } from './errors.ts';

export interface CacheEntry {
  key: string;
  /** Human-readable name for the cache list ("google-bert/bert-base-multilingual-cased@3f07… model.safetensors"). */
  label: string;
  size: number;
  storedAt: number;
}

export interface FileCache {
  readonly kind: string;
  get(key: string): Promise<Uint8Array | null>;
  /** Stores a whole file; throws HubError 'quota' (needed vs free) when it does not fit. */
  put(key: string, bytes: Uint8Array, label: string): Promise<void>;
  list(): Promise<CacheEntry[]>;
  delete(key: string): Promise<void>;
  /** Bytes still free for this origin, when the platform says. */
  freeBytes(): Promise<number | undefined>;
}

/** Throws HubError 'quota' when `needed` bytes will not fit. */
export async function ensureRoom(cache: FileCache, needed: number, what: string): Promise<void> {
  const free = await cache.freeBytes();
  if (free !== undefined && needed > free) throw quotaError(what, needed, free);
}

/** A cache in memory (Node, tests, and browsers without storage); `capacity` bounds it like a quota. */
export class MemoryFileCache implements FileCache {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { bytes: Uint8Array; entry: CacheEntry }>();
  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {}

  async get(key: string) {
    return this.entries.get(key)?.bytes.slice() ?? null;
  }
  async put(key: string, bytes: Uint8Array, label: string) {
    await ensureRoom(this, bytes.byteLength - (this.entries.get(key)?.entry.size ?? 0), label);
    this.entries.set(key, { bytes: bytes.slice(), entry: { key, label, size: bytes.byteLength, storedAt: Date.now() } });
  }
  async list() {
    return [...this.entries.values()].map(({ entry }) => ({ ...entry }));
  }
  async delete(key: string) {
    this.entries.delete(key);
  }
  async freeBytes() {
    if (!Number.isFinite(this.capacity)) return undefined;
    let used = 0;
    for (const { entry } of this.entries.values()) used += entry.size;
    return this.capacity - used;
  }
}

/** Small JSON values (revision → commit and file list, XNLI parquet listings) kept in the same cache. */
export async function getCachedJson<T>(cache: FileCache, key: string): Promise<T | null> {
  const bytes = await cache.get(key);
  if (!bytes) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    await cache.delete(key);
    return null;
  }
}

export function putCachedJson(cache: FileCache, key: string, value: unknown, label: string): Promise<void> {
  return cache.put(key, new TextEncoder().encode(JSON.stringify(value)), label);
}
