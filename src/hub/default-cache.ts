import { MemoryFileCache, type FileCache } from './file-cache.ts';
import { OpfsFileCache, opfsAvailable } from './opfs-cache.ts';

let shared: FileCache | null = null;

/** The browser's persistent cache (OPFS) where there is one, else a cache for this process only (Node). */
export function defaultFileCache(): FileCache {
  shared ??= opfsAvailable() ? new OpfsFileCache() : new MemoryFileCache();
  return shared;
}
