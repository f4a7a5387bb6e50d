// The Hub's model API: `GET /api/models/<repo>/revision/<revision>?blobs=true` answers the commit the revision
// points to (`sha`) and each file (`siblings[].rfilename`, `size`, and for LFS files `lfs.sha256`), which lets
// us key the cache by commit, check sizes and hashes, and name the files a repository really has.
import { HubError } from './errors.ts';
import { fetchRetrying, hubHttpError, type DownloadProgress } from './download.ts';
import { currentModelId } from './model-ids.ts';

export interface RepoFile {
  path: string;
  size?: number;
  /** SHA-256 of the content, for LFS files. */
  sha256?: string;
}

export interface RepoListing {
  /** The repository's id as the Hub answers it (`google-bert/bert-base-multilingual-cased` for the legacy short id). */
  id?: string;
  /** The commit the revision resolved to (the revision itself when the server does not say). */
  commit: string;
  files: RepoFile[];
  gated?: boolean;
}

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  lfs?: { sha256?: unknown; oid?: unknown; size?: unknown };
}

export function apiBase(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

/**
 * The listing of one revision of a model repository, or null when the endpoint has no Hub API (a plain mirror
 * of `resolve` URLs); throws HubError for a missing repo or revision, refused access, or no network.
 *
 * With a token it is asked for without it first: an id the Hub renamed answers with a redirect, which a browser
 * cannot follow for a request with Authorization (it is preflighted, and a redirected preflight fails). Public
 * and gated repos list without a token; a private one answers 401/404 and is asked again with the token.
 */
export async function fetchRepoListing(endpoint: string, repo: string, revision: string, token?: string, onRetry?: (progress: DownloadProgress) => void): Promise<RepoListing | null> {
  const id = currentModelId(repo);
  if (!token) return requestListing(endpoint, id, revision, undefined, onRetry);
  try {
    return await requestListing(endpoint, id, revision, undefined, onRetry);
  } catch (error) {
    if (!(error instanceof HubError) || !['unauthorized', 'repo-not-found'].includes(error.kind)) throw error;
    return requestListing(endpoint, id, revision, token, onRetry);
  }
}

async function requestListing(endpoint: string, repo: string, revision: string, token?: string, onRetry?: (progress: DownloadProgress) => void): Promise<RepoListing | null> {
  const url = `${apiBase(endpoint)}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  let response: Response;
  try {
    response = await fetchRetrying(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} }, `the file list of ${repo}`, onRetry);
  } catch (error) {
    if (error instanceof HubError) throw error;
    throw new HubError('offline', `could not reach ${apiBase(endpoint)} (${(error as Error).message}): check the network or the Hub endpoint.`);
  }
  const hasErrorCode = response.headers.has('x-error-code');
  if (!response.ok) {
    if (response.status === 404 && !hasErrorCode) return null;
    throw hubHttpError(response, repo, { repo, revision, hasToken: Boolean(token), endpoint: apiBase(endpoint) });
  }
  let body: { id?: unknown; sha?: unknown; siblings?: unknown; gated?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    return null;
  }
  if (!Array.isArray(body.siblings)) return null;
  const files: RepoFile[] = (body.siblings as Sibling[])
    .filter((s) => typeof s.rfilename === 'string')
    .map((s) => {
      const lfsSha = s.lfs?.sha256 ?? s.lfs?.oid;
      const size = typeof s.lfs?.size === 'number' ? s.lfs.size : typeof s.size === 'number' ? s.size : undefined;
      return { path: s.rfilename as string, size, sha256: typeof lfsSha === 'string' && /^[0-9a-f]{64}$/i.test(lfsSha) ? lfsSha.toLowerCase() : undefined };
    });
  return { id: typeof body.id === 'string' && body.id ? body.id : undefined, commit: typeof body.sha === 'string' && body.sha ? body.sha : revision, files, gated: Boolean(body.gated) };
}

/**
 * The size of the first of `files` the repository's listing (the Hub API) names, without touching the files or
 * their storage host; null when the endpoint has no API or lists none of them.
 */
export async function listedFileSize(endpoint: string, repo: string, revision: string, files: readonly string[], token?: string): Promise<number | null> {
  const listing = await fetchRepoListing(endpoint, repo, revision, token);
  for (const file of files) {
    const size = listing?.files.find((f) => f.path === file)?.size;
    if (size !== undefined) return size;
  }
  return null;
}
