// XNLI from the Hub's `facebook/xnli` dataset: the parquet files of a subset and split are found through the
// Hub API (never guessed), downloaded with progress and checks, cached for offline runs, and read with hyparquet.
import { readNliParquet } from '../data/nli-files.ts';
import { defaultFileCache } from './default-cache.ts';
import { downloadVerified, fetchRetrying, hubHttpError, type DownloadOptions, type DownloadProgress } from './download.ts';
import { HubError } from './errors.ts';
import { getCachedJson, putCachedJson, type FileCache } from './file-cache.ts';
import { apiBase } from './hub-api.ts';

import { XNLI_LANGUAGES, XNLI_REPO, XNLI_SPLITS, type NliRow, type XnliSplit } from '../data/xnli-facts.ts';

export interface XnliLocation {
  endpoint: string;
  language: string;
  split: XnliSplit;
  token?: string;
}

export interface XnliLoadOptions {
  cache?: FileCache;
  onProgress?: (progress: DownloadProgress) => void;
  download?: Pick<DownloadOptions, 'maxAttempts' | 'stallTimeoutMs' | 'progressIntervalMs'>;
}

/** Throws a HubError naming the 15 languages when XNLI has no such language, or the split is not one of its three. */
export function checkXnliSubset(language: string, split: string): void {
  if (!(XNLI_LANGUAGES as readonly string[]).includes(language)) {
    throw new HubError('unknown-language', `XNLI has no language "${language}"; it has ${XNLI_LANGUAGES.join(', ')}.`);
  }
  if (!(XNLI_SPLITS as readonly string[]).includes(split)) throw new HubError('unknown-language', `XNLI has no split "${split}"; it has ${XNLI_SPLITS.join(', ')}.`);
}

const listingKey = (endpoint: string, language: string, split: string) => `xnli-listing|${apiBase(endpoint)}|${language}|${split}`;

/**
 * The parquet files of one XNLI subset and split, as the Hub's API lists them
 * (`GET /api/datasets/facebook/xnli/parquet/<language>/<split>` → a JSON array of URLs). Offline, the listing
 * cached by an earlier run is used.
 */
export async function listXnliParquet({ endpoint, language, split, token }: XnliLocation, cache: FileCache = defaultFileCache(), onRetry?: (progress: DownloadProgress) => void): Promise<string[]> {
  checkXnliSubset(language, split);
  const base = apiBase(endpoint);
  const url = `${base}/api/datasets/${XNLI_REPO}/parquet/${encodeURIComponent(language)}/${split}`;
  let response: Response;
  try {
    response = await fetchRetrying(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} }, `the XNLI ${language}/${split} file list`, onRetry);
  } catch (error) {
    if (error instanceof HubError) throw error;
    const cached = await getCachedJson<string[]>(cache, listingKey(base, language, split));
    if (cached) return cached;
    throw new HubError('offline', `no network and XNLI ${language}/${split} is not cached (${(error as Error).message}): connect once to download it, or give local files (--train-file, --eval-file).`);
  }
  if (response.status === 404) throw new HubError('unknown-language', `XNLI has no subset "${language}" with split "${split}" on ${base}.`);
  if (!response.ok) throw hubHttpError(response, `the XNLI ${language}/${split} listing`, { hasToken: Boolean(token) });
  const urls = (await response.json().catch(() => null)) as unknown;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
    throw new HubError('http', `the Hub's parquet listing for XNLI ${language}/${split} was not a list of URLs`);
  }
  const absolute = (urls as string[]).map((u) => new URL(u, `${base}/`).href);
  await putCachedJson(cache, listingKey(base, language, split), absolute, `XNLI ${language}/${split} file list`);
  return absolute;
}

/** Every row of one XNLI subset and split, in the Hub's order (the order the `datasets` library sees). */
export async function loadXnliRows(location: XnliLocation, options: XnliLoadOptions = {}): Promise<NliRow[]> {
  const cache = options.cache ?? defaultFileCache();
  const urls = await listXnliParquet(location, cache, options.onProgress);
  const rows: NliRow[] = [];
  for (const [i, url] of urls.entries()) {
    const name = `XNLI ${location.language}/${location.split} ${urls.length > 1 ? `part ${i + 1}/${urls.length}` : 'parquet'}`;
    const key = `xnli|${url}`;
    let bytes = await cache.get(key);
    const fromCache = bytes !== null;
    if (bytes) {
      options.onProgress?.({ file: name, loaded: bytes.byteLength, total: bytes.byteLength, bytesPerSecond: 0, done: true, fromCache: true, resumes: 0 });
    } else {
      try {
        // The token goes only to the endpoint's origin, never to the storage host a file redirects to.
        bytes = await downloadVerified(url, { ...options.download, file: name, token: location.token, tokenOrigin: location.endpoint, onProgress: options.onProgress });
      } catch (error) {
        if (error instanceof HubError && error.kind === 'offline') throw new HubError('offline', `no network and ${name} is not cached: connect once to download it, or give local files.`);
        throw error;
      }
    }
    // A parquet file that does not parse (a corrupt copy) is dropped from the cache, never kept.
    let part: NliRow[];
    try {
      part = await readNliParquet(bytes.buffer.byteLength === bytes.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer), name);
    } catch (error) {
      await cache.delete(key);
      throw new HubError('corrupt', `${(error as Error).message} It was discarded; try again.`);
    }
    if (!fromCache) await cache.put(key, bytes, name);
    rows.push(...part);
  }
  return rows;
}
