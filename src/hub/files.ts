import { MissingFileError, toArrayBuffer, type ModelFiles } from '../model/files.ts';
import { downloadVerified, type DownloadOptions, type DownloadProgress } from './download.ts';
import { HubError } from './errors.ts';
import { ensureRoom, getCachedJson, putCachedJson, type FileCache } from './file-cache.ts';
import { defaultFileCache } from './default-cache.ts';
import { apiBase, fetchRepoListing, type RepoListing } from './hub-api.ts';
import { currentModelId } from './model-ids.ts';

export interface HubLocation {
  /** Base URL of the Hub or a mirror laid out like it, e.g. https://huggingface.co */
  endpoint: string;
  /** Repository id, e.g. google-bert/bert-base-multilingual-cased */
  repo: string;
  revision?: string;
  token?: string;
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export function resolveUrl({ endpoint, repo, revision = 'main' }: HubLocation, file: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

export interface HubFilesOptions {
  /** Where verified downloads are kept; default: the browser's OPFS cache (memory in Node). */
  cache?: FileCache;
  onProgress?: (progress: DownloadProgress) => void;
  /** Passed to each download (tests shorten the stall timeout). */
  download?: Pick<DownloadOptions, 'maxAttempts' | 'stallTimeoutMs' | 'progressIntervalMs'>;
}

const listingKey = (endpoint: string, repo: string, revision: string) => `listing|${apiBase(endpoint)}|${repo}|${revision}`;
const fileKey = (endpoint: string, repo: string, commit: string, file: string) => `file|${apiBase(endpoint)}|${repo}|${commit}|${file}`;

/** Bytes of a model's weights in the download cache (any commit), or null when they are not there. */
export async function cachedWeightBytes(endpoint: string, repo: string, cache: FileCache = defaultFileCache()): Promise<number | null> {
  const prefix = `file|${apiBase(endpoint)}|${repo}|`;
  const weights = (await cache.list()).filter((e) => e.key.startsWith(prefix) && /\|(model\.safetensors|pytorch_model\.bin)$/.test(e.key));
  return weights.length ? Math.max(...weights.map((e) => e.size)) : null;
}

/**
 * Files of a model repository, fetched from `<endpoint>/<repo>/resolve/<revision>/<file>`: the revision is resolved
 * to a commit through the Hub API, each file is checked (size, and SHA-256 for LFS files) and kept in the cache
 * under endpoint + repo + commit + file, so a second run, and a run without network, read it from there.
 */
export function hubFiles(given: HubLocation, options: HubFilesOptions = {}): ModelFiles {
  const location = { ...given, repo: currentModelId(given.repo) };
  const revision = location.revision ?? 'main';
  const describe = `${given.repo}@${revision} on ${location.endpoint}`;
  const cache = options.cache ?? defaultFileCache();
  let listing: Promise<RepoListing | null> | null = null;

  async function resolveListing(): Promise<RepoListing | null> {
    const key = listingKey(location.endpoint, location.repo, revision);
    try {
      const fresh = await fetchRepoListing(location.endpoint, location.repo, revision, location.token, options.onProgress);
      if (fresh && fresh.commit !== revision) await putCachedJson(cache, key, fresh, `${location.repo}@${revision} file list`);
      return fresh;
    } catch (error) {
      if (!(error instanceof HubError) || error.kind !== 'offline') throw error;
      const cached = await getCachedJson<RepoListing>(cache, key);
      if (!cached) throw new HubError('offline', `no network and ${describe} is not cached: connect once to download it, or pick a local model folder.`);
      return cached;
    }
  }

  return {
    describe,
    async fetchBytes(name) {
      listing ??= resolveListing();
      listing.catch(() => (listing = null));
      const repo = await listing;
      if (!repo) return downloadUncached(location, name, describe, options);
      const entry = repo.files.find((f) => f.path === name);
      if (!entry) {
        const names = repo.files.map((f) => f.path).sort();
        throw new MissingFileError(name, describe, `the repository has ${names.length ? names.join(', ') : 'no files'}`);
      }
      // By the id the Hub answered with: one cache entry and one URL whichever name the model was given by.
      const repoId = repo.id ?? location.repo;
      const key = fileKey(location.endpoint, repoId, repo.commit, name);
      const label = `${repoId}@${repo.commit.slice(0, 10)} ${name}`;
      const cached = await cache.get(key);
      if (cached && (entry.size === undefined || cached.byteLength === entry.size)) {
        options.onProgress?.({ file: name, loaded: cached.byteLength, total: cached.byteLength, bytesPerSecond: 0, done: true, fromCache: true, resumes: 0 });
        return toArrayBuffer(cached);
      }
      if (entry.size !== undefined) await ensureRoom(cache, entry.size, label);
      let bytes: Uint8Array;
      try {
        bytes = await downloadVerified(resolveUrl({ ...location, repo: repoId, revision: repo.commit }, name), {
          ...options.download,
          file: name,
          token: location.token,
          tokenOrigin: location.endpoint,
          expectedSize: entry.size,
          expectedSha256: entry.sha256,
          onProgress: options.onProgress,
        });
      } catch (error) {
        if (error instanceof HubError && error.kind === 'offline') {
          throw new HubError('offline', `no network and ${name} of ${describe} is not cached: connect once to download it, or pick a local model folder.`);
        }
        throw withContext(error, name, describe);
      }
      await cache.put(key, bytes, label);
      return toArrayBuffer(bytes);
    },
  };
}

/** A server without the Hub API (a plain folder server): no commit to key a cache by, so nothing is cached. */
async function downloadUncached(location: HubLocation, name: string, describe: string, options: HubFilesOptions): Promise<ArrayBuffer> {
  try {
    const bytes = await downloadVerified(resolveUrl(location, name), { ...options.download, file: name, token: location.token, tokenOrigin: location.endpoint, onProgress: options.onProgress });
    return toArrayBuffer(bytes);
  } catch (error) {
    if (error instanceof HubError && ['repo-not-found', 'revision-not-found', 'file-not-found'].includes(error.kind)) throw new MissingFileError(name, describe, 'wrong model id, revision or file name?');
    throw withContext(error, name, describe);
  }
}

function withContext(error: unknown, name: string, describe: string): Error {
  if (error instanceof HubError && (error.kind === 'unauthorized' || error.kind === 'http')) {
    return new HubError(error.kind, error.message.replace(name, `${name} of ${describe}`));
  }
  return error as Error;
}
