// Downloads one file completely and correctly: progress (bytes, rate, time left), resume with Range after a cut
// where the server honours it (a plain restart where it does not: ranges are an optimisation, never required,
// since the Hub's Xet storage host was reported to fail CORS preflight for Range), a stall timeout, and size
// and SHA-256 checks before the bytes are handed out. A file that fails a check is dropped, never returned.
import { HubError } from './errors.ts';
import { formatBytes } from '../format.ts';
import { formatDuration } from '../format.ts';

export interface DownloadProgress {
  /** What is downloaded, e.g. "model.safetensors". */
  file: string;
  loaded: number;
  /** Total bytes when known (Content-Length, Content-Range or the Hub API's size). */
  total?: number;
  bytesPerSecond: number;
  /** Seconds left at the current rate, when the total is known. */
  etaSeconds?: number;
  /** True for the last report of a file (complete and verified, or served from the cache). */
  done: boolean;
  fromCache?: boolean;
  /** How many times the download was resumed after a cut. */
  resumes: number;
  /** Set while waiting to ask again after the Hub answered 429 (rate limit), 408 or 5xx: seconds to wait. */
  retryInSeconds?: number;
  /** The status that made it wait. */
  retryStatus?: number;
}

export interface DownloadOptions {
  /** Name for progress and messages. */
  file: string;
  /** Sent as `Authorization: Bearer` only to URLs of this origin (the Hub endpoint), never elsewhere. */
  token?: string;
  tokenOrigin?: string;
  expectedSize?: number;
  /** Lower-case hex SHA-256 of the content (the Hub API's `lfs.sha256`/`lfs.oid`). */
  expectedSha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Attempts in all (the first request and the resumes); default 5. */
  maxAttempts?: number;
  /** Abort and resume when no byte arrives for this long; default 30 s. */
  stallTimeoutMs?: number;
  /** Minimum milliseconds between progress reports (the final one always comes); default 250. */
  progressIntervalMs?: number;
}

/** Reads the HTTP status of a Hub response into a HubError (the Hub's X-Error-Code tells repo, revision and file apart). */
export function hubHttpError(response: Response, what: string, hint: { repo?: string; revision?: string; hasToken?: boolean; endpoint?: string } = {}): HubError {
  const code = response.headers.get('x-error-code') ?? '';
  const status = response.status;
  if (code === 'RevisionNotFound') return new HubError('revision-not-found', `revision "${hint.revision ?? '?'}" does not exist in ${hint.repo ?? what}${hint.endpoint ? ` on ${hint.endpoint}` : ''}: give a branch, tag or commit that exists.`);
  if (code === 'RepoNotFound') {
    return new HubError('repo-not-found', `${hint.repo ?? what} does not exist on ${hint.endpoint ?? 'the Hub'}${hint.hasToken ? '' : ' (or it is private: give a token)'}: check the model id.`);
  }
  if (status === 404) return new HubError('file-not-found', `${what} not found (HTTP 404${code ? ` ${code}` : ''})`);
  if (status === 401 || status === 403 || code === 'GatedRepo') {
    return new HubError(
      'unauthorized',
      hint.hasToken
        ? `access to ${what} was refused (HTTP ${status}): the token is not valid or has no access; request access on the repository's page, or use another token.`
        : `access to ${what} was refused (HTTP ${status}): the repository is gated or private; give a Hugging Face token (HF_TOKEN, or the page's token field).`,
    );
  }
  return new HubError('http', `downloading ${what} failed: HTTP ${status}${code ? ` (${code})` : ''}`);
}

function authHeaders(url: string, options: Pick<DownloadOptions, 'token' | 'tokenOrigin'>): Record<string, string> {
  if (!options.token || !options.tokenOrigin) return {};
  return new URL(url).origin === new URL(options.tokenOrigin).origin ? { Authorization: `Bearer ${options.token}` } : {};
}

/** Total size from a 206's `Content-Range: bytes a-b/total`, and its start. */
function parseContentRange(header: string | null): { start: number; total?: number } | null {
  const match = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!match) return null;
  return { start: Number(match[1]), total: match[2] === '*' ? undefined : Number(match[2]) };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!globalThis.crypto?.subtle) throw new Error('SHA-256 needs WebCrypto, which this page lacks: open it from https, http://localhost or http://127.0.0.1.');
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses worth asking again after a wait: rate limited, request timeout, server errors. */
const isRetryableStatus = (status: number) => status === 429 || status === 408 || status >= 500;
/** Longer waits than this are not sat out: the error says when to try again. */
const MAX_RETRY_WAIT_MS = 60_000;

/** How long the server asks to wait (Retry-After: seconds or an HTTP date), else `fallbackMs`. */
function retryAfterMs(response: Response, fallbackMs: number): number {
  const header = response.headers.get('retry-after');
  if (header === null) return fallbackMs;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : fallbackMs;
}

/**
 * fetch() that waits and asks again while the server answers 429, 408 or 5xx (Retry-After honoured, up to 5 tries,
 * each wait reported through `onRetry`); a network failure rejects as fetch does, for the caller to handle.
 */
export async function fetchRetrying(url: string, init: RequestInit, what: string, onRetry?: (progress: DownloadProgress) => void, attempts = 5): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, init);
    if (!isRetryableStatus(response.status)) return response;
    const waitMs = await retryWait(response, attempt, attempts, what);
    onRetry?.({ file: what, loaded: 0, bytesPerSecond: 0, done: false, resumes: 0, retryInSeconds: Math.ceil(waitMs / 1000), retryStatus: response.status });
    await delay(waitMs);
  }
}

/**
 * After a retryable answer to attempt `attempt` of `attempts`: drops its body and says how long to wait before
 * the next; throws the one-line error when that is over a minute or no attempt is left.
 */
async function retryWait(response: Response, attempt: number, attempts: number, what: string): Promise<number> {
  const waitMs = retryAfterMs(response, backoffMs(attempt + 1));
  await response.body?.cancel();
  if (waitMs > MAX_RETRY_WAIT_MS || attempt === attempts) throw rateLimitError(what, response.status, waitMs);
  return waitMs;
}

/** The backoff before attempt `attempt` (2, 3, ...) when the server gave no Retry-After. */
const backoffMs = (attempt: number) => Math.min(2000, 100 * 2 ** (attempt - 2));

/** The error for a server that keeps refusing, or asks to wait longer than we do. */
function rateLimitError(what: string, status: number, waitMs: number): HubError {
  const reason = status === 429 ? 'the Hub is rate-limiting these requests' : `the server answered HTTP ${status}`;
  return new HubError('http', `${what}: ${reason}; try again in ${Math.ceil(waitMs / 1000)} s${status === 429 ? ' (a Hugging Face token raises the limit)' : ''}.`);
}

/** The whole file, checked. Throws HubError: 'offline' (no network), 'corrupt' (size/hash), or the HTTP kinds. */
export async function downloadVerified(url: string, options: DownloadOptions): Promise<Uint8Array> {
  const { file, maxAttempts = 5, stallTimeoutMs = 30_000, progressIntervalMs = 250 } = options;
  const chunks: Uint8Array[] = [];
  let received = 0;
  let total = options.expectedSize;
  let resumes = 0;
  let complete = false;
  let lastError: Error | null = null;
  const started = performance.now();
  let lastReport = -Infinity;
  const report = (done: boolean) => {
    const now = performance.now();
    if (!options.onProgress || (!done && now - lastReport < progressIntervalMs)) return;
    lastReport = now;
    const seconds = Math.max((now - started) / 1000, 1e-3);
    const bytesPerSecond = received / seconds;
    const etaSeconds = total !== undefined && bytesPerSecond > 0 ? Math.max(0, (total - received) / bytesPerSecond) : undefined;
    options.onProgress({ file, loaded: received, total, bytesPerSecond, etaSeconds, done, resumes });
  };

  let waitMs: number | null = null;
  for (let attempt = 1; attempt <= maxAttempts && !complete; attempt++) {
    if (attempt > 1) await delay(waitMs ?? backoffMs(attempt));
    waitMs = null;
    const headers = authHeaders(url, options);
    if (received > 0) headers.Range = `bytes=${received}-`;
    const controller = new AbortController();
    let stallTimer = setTimeout(() => controller.abort(), stallTimeoutMs);
    const touch = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => controller.abort(), stallTimeoutMs);
    };
    try {
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: controller.signal });
      } catch (error) {
        lastError = error as Error;
        // A ranged request that never got an answer may be the Range itself refused (a preflight, a proxy):
        // the next attempt asks for the whole file.
        if (headers.Range) {
          chunks.length = 0;
          received = 0;
        }
        continue;
      }
      if (received > 0) {
        const range = response.status === 206 ? parseContentRange(response.headers.get('content-range')) : null;
        if (range && range.start === received) {
          resumes++;
        } else if (response.ok) {
          // The server ignored the range (or answered another one): start over rather than splice wrong bytes.
          chunks.length = 0;
          received = 0;
          if (response.status !== 200) {
            await response.body?.cancel();
            continue;
          }
        }
      }
      if (!response.ok) {
        if (isRetryableStatus(response.status)) {
          waitMs = await retryWait(response, attempt, maxAttempts, `downloading ${file}`);
          lastError = new Error(`HTTP ${response.status}`);
          options.onProgress?.({ file, loaded: received, total, bytesPerSecond: 0, done: false, resumes, retryInSeconds: Math.ceil(waitMs / 1000), retryStatus: response.status });
          continue;
        }
        if (response.status === 416) {
          lastError = new Error(`HTTP ${response.status}`);
          chunks.length = 0;
          received = 0;
          await response.body?.cancel();
          continue;
        }
        throw hubHttpError(response, file, { hasToken: Boolean(options.token) });
      }
      if (response.status === 200) {
        // With Content-Encoding, Content-Length is the compressed size (huggingface_hub ignores it too).
        const length = response.headers.has('content-encoding') ? null : response.headers.get('content-length');
        if (length !== null && total === undefined) total = Number(length);
        if (length !== null && Number(length) !== total) {
          await response.body?.cancel();
          throw corrupt(file, `the server announces ${formatBytes(Number(length))} but the Hub lists ${formatBytes(total!)}`);
        }
      } else {
        total ??= parseContentRange(response.headers.get('content-range'))?.total;
      }
      if (!response.body) throw new HubError('http', `downloading ${file} failed: the response has no body`);
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          touch();
          chunks.push(value);
          received += value.byteLength;
          if (total !== undefined && received > total) throw corrupt(file, `more than the expected ${formatBytes(total)} arrived`);
          report(false);
        }
      } catch (error) {
        if (error instanceof HubError) throw error;
        lastError = controller.signal.aborted ? new Error(`no data for ${stallTimeoutMs / 1000} s`) : (error as Error);
        continue;
      }
      if (total === undefined || received === total) complete = true;
      else lastError = new Error(`the connection closed after ${formatBytes(received)} of ${formatBytes(total)}`);
    } finally {
      clearTimeout(stallTimer);
    }
  }
  if (!complete) {
    if (received === 0 && lastError && isNetworkFailure(lastError)) {
      throw new HubError('offline', `could not reach ${new URL(url).origin} for ${file} (${lastError.message}): check the network; files downloaded before are used from the cache.`);
    }
    throw new HubError('corrupt', `${file} arrived incomplete after ${maxAttempts} attempts (${formatBytes(received)}${total !== undefined ? ` of ${formatBytes(total)}` : ''}; last error: ${lastError?.message ?? 'none'}); it was discarded. Try again.`);
  }
  const bytes = concat(chunks, received);
  chunks.length = 0;
  if (options.expectedSize !== undefined && bytes.byteLength !== options.expectedSize) {
    throw corrupt(file, `got ${formatBytes(bytes.byteLength)}, the Hub lists ${formatBytes(options.expectedSize)}`);
  }
  if (options.expectedSha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== options.expectedSha256.toLowerCase()) throw corrupt(file, `SHA-256 ${actual.slice(0, 12)}… differs from the Hub's ${options.expectedSha256.slice(0, 12)}…`);
  }
  report(true);
  return bytes;
}

function corrupt(file: string, detail: string): HubError {
  return new HubError('corrupt', `${file} is corrupt or truncated (${detail}); it was discarded, not used or cached. Try again; if it persists the mirror serves a bad copy.`);
}

/** fetch rejects with a TypeError for network failures (both in browsers and in Node's undici). */
function isNetworkFailure(error: Error): boolean {
  return error instanceof TypeError || error.name === 'AbortError' || /fetch failed|network|ECONNREFUSED|no data/i.test(error.message);
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.byteLength === length) return chunks[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** "model.safetensors: 12 MB / 45 MB, 3.2 MB/s, 10 s left" (or "… from cache"). */
export function formatDownloadProgress(p: DownloadProgress): string {
  if (p.fromCache) return `${p.file}: ${formatBytes(p.loaded)} from cache`;
  if (p.retryInSeconds !== undefined) {
    const why = p.retryStatus === 429 ? 'rate-limited by the Hub' : `the server answered HTTP ${p.retryStatus}`;
    return `${p.file}: ${why}, retrying in ${p.retryInSeconds} s`;
  }
  const amount = p.total !== undefined ? `${formatBytes(p.loaded)} / ${formatBytes(p.total)}` : formatBytes(p.loaded);
  const rate = `${formatBytes(Math.round(p.bytesPerSecond))}/s`;
  const tail = p.done ? 'done' : p.etaSeconds !== undefined ? `${formatDuration(p.etaSeconds)} left` : '';
  const resumed = p.resumes > 0 ? `, resumed ${p.resumes}×` : '';
  return `downloading ${p.file}: ${amount}, ${rate}${tail ? `, ${tail}` : ''}${resumed}`;
}

