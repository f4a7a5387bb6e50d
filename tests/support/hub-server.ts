// The tests' stand-in for the Hugging Face Hub: the CLI's Hub-like server (cli/hub-like-server.ts) plus what only
// the real Hub does — a storage host that LFS files redirect to, gated and renamed repositories, the dataset
// parquet API — and the faults of a flaky network, injected through the server's hooks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileSha256, isLfsFile, listFolder, type FolderFile } from '../../cli/hub-api-routes.ts';
import {
  RESOLVE_PATH, closeServer, contentType, foreignRequestRefusal, handlerOf, inside, isDirectory, listen, safeDecode, sendError,
  sendFile, sendJson, setCorsHeaders, setIsolationHeaders, startHubLikeServer, statOrNull,
  type HubLikeServerOptions, type RunningServer,
} from '../../cli/hub-like-server.ts';

export type { RunningServer } from '../../cli/hub-like-server.ts';

export const DIST_DIR = resolve(import.meta.dirname, '../../dist');

export interface TestHubOptions extends Omit<HubLikeServerOptions, 'hooks'> {
  /** Datasets laid out as `<datasetsRoot>/<org>/<name>/<config>/<split>/*.parquet`; default `<hubRoot>/datasets`. */
  datasetsRoot?: string;
  /** Gated repositories, repo id → the one token that may read their files (others get 401 GatedRepo). */
  gated?: Record<string, string>;
  /**
   * Answer `resolve` of LFS files (safetensors, parquet, ...) and parquet listing URLs like the Hub: a 302 to a
   * separate storage origin (another port) with X-Linked-Size, X-Linked-Etag (the SHA-256) and X-Repo-Commit.
   */
  storageRedirect?: boolean;
  /**
   * Renamed repositories, old id → current id, as the Hub keeps its legacy short ids: every request under the old
   * id (API and resolve, preflights included) answers 307 to the same path under the current one.
   */
  renamed?: Record<string, string>;
  /** Faults to inject, consumed in order by matching requests (tests push to and inspect this array). */
  faults?: Fault[];
  /** Called for every request, before it is answered (tests check where the token was sent). */
  onRequest?: (info: RequestInfo) => void;
}

/** One injected fault for requests whose path contains `match`. */
export interface Fault {
  match: string;
  kind:
    | 'cut' // send the headers for the whole body, then close the connection after `fraction` of it
    | '404'
    | '401'
    | '429' // rate limited, with Retry-After: `retryAfter` seconds
    | 'wrong-size' // a consistent response with the last quarter of the file missing
    | 'corrupt' // the right size, one byte changed
    | 'slow' // `bytesPerSecond`
    | 'stall' // send `fraction` of the body, then nothing more while keeping the connection open
    | 'no-range' // ignore Range and send the whole file (a server without range support)
    | 'refuse-range' // drop the connection of every ranged request without an answer (a refused Range)
    | 'gzip'; // send the file gzip-compressed, with Content-Encoding and the compressed Content-Length
  /** How many requests it applies to (default 1); decremented as it is used. */
  times?: number;
  fraction?: number;
  bytesPerSecond?: number;
  retryAfter?: number;
}

export interface RequestInfo {
  method: string;
  /** Origin the request was sent to (`http://127.0.0.1:PORT`; the storage origin for redirected files). */
  origin: string;
  path: string;
  authorization: string | undefined;
  range: string | undefined;
}

export interface TestHub extends RunningServer {
  /** The storage origin redirects go to, when `storageRedirect` is on. */
  storageUrl?: string;
}

/**
 * A Hub stand-in for tests: `GET/HEAD /<org>/<name>/resolve/<revision>/<file>` from `<hubRoot>/<org>/<name>/`,
 * with Hub-like 404s, ranges and CORS, and the built app (`dist/`) at `/` so pages and models share one origin.
 */
export function startHubServer(hubRoot: string, options: { serveApp?: boolean } = {}): Promise<TestHub> {
  return startTestHub({ hubRoot, staticRoot: options.serveApp === false ? undefined : DIST_DIR });
}

const STORAGE_PREFIX = '/__storage/';
const PARQUET_LIST = /^\/api\/datasets\/((?:[^/]+\/)?[^/]+)\/parquet\/([^/]+)\/([^/]+?)(?:\/(\d+)\.parquet)?\/?$/;

const pathOf = (request: IncomingMessage) => new URL(request.url ?? '/', 'http://localhost').pathname;
const isRead = (request: IncomingMessage) => request.method === 'GET' || request.method === 'HEAD';

export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const { datasetsRoot: datasets, gated = {}, storageRedirect, renamed = {}, faults = [], onRequest, ...core } = options;
  const datasetsRoot = datasets ?? (core.hubRoot ? join(core.hubRoot, 'datasets') : null);
  let hubUrl = '';
  /** Random link id → file on disk, as a storage host's signed URLs. */
  const storageLinks = new Map<string, string>();

  const logRequest = (request: IncomingMessage) => onRequest?.({
    method: request.method ?? 'GET',
    origin: `http://127.0.0.1:${request.socket.localPort}`,
    path: request.url ?? '/',
    authorization: request.headers.authorization,
    range: request.headers.range,
  });

  /** The first fault for this path among `kinds`, used up by this call. */
  const takeFault = (path: string, kinds: Fault['kind'][]): Fault | null => {
    const fault = faults.find((f) => (f.times ?? 1) > 0 && kinds.includes(f.kind) && path.includes(f.match));
    if (!fault) return null;
    fault.times = (fault.times ?? 1) - 1;
    return fault;
  };

  /** A file sent with the fault its request draws, if any; false when it draws none. */
  const sendWithFault = async (filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = pathOf(request);
    if (request.method === 'GET' && request.headers.range && takeFault(path, ['refuse-range'])) {
      request.socket.destroy();
      return true;
    }
    const fault = request.method === 'GET' ? takeFault(path, ['cut', 'stall', 'wrong-size', 'corrupt', 'slow', 'no-range', 'gzip']) : null;
    if (!fault) return false;
    if (fault.kind === 'wrong-size' || fault.kind === 'corrupt' || fault.kind === 'gzip') await sendAltered(filePath, stats, fault, response);
    else if (fault.kind === 'no-range') sendFile(filePath, stats, request, response, { ranges: false });
    else if (fault.kind === 'slow') {
      sendFile(filePath, stats, request, response, { writeBody: (start, end) => void sendSlowly(filePath, start, end, fault.bytesPerSecond ?? 64 * 1024, response) });
    } else {
      // Whole-body headers, part of the body, then a dropped (cut) or silent (stall) connection: a flaky network.
      sendFile(filePath, stats, request, response, {
        writeBody: (start, end) => {
          const sent = Math.max(1, Math.floor((end - start + 1) * (fault.fraction ?? 0.5)));
          const stream = createReadStream(filePath, { start, end: start + sent - 1 });
          if (fault.kind === 'cut') stream.on('end', () => setTimeout(() => response.socket?.destroy(), 20));
          stream.pipe(response, { end: false });
        },
      });
    }
    return true;
  };

  const sendData = async (filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!(await sendWithFault(filePath, stats, request, response))) sendFile(filePath, stats, request, response);
  };

  /** A 302 to the storage origin, with the headers the Hub sends for LFS files. */
  const redirectToStorage = async (filePath: string, stats: Stats, response: ServerResponse): Promise<void> => {
    const id = randomBytes(12).toString('hex');
    storageLinks.set(id, filePath);
    const sha256 = await fileSha256(filePath, stats);
    response.writeHead(302, {
      Location: `${storage!.url}${STORAGE_PREFIX}${id}/${encodeURIComponent(basename(filePath))}`,
      'X-Linked-Size': String(stats.size),
      'X-Linked-Etag': `"${sha256}"`,
      ETag: `"${sha256}"`,
      'Content-Length': 0,
    });
    response.end();
  };

  /** `GET /api/datasets/<repo>/parquet/<config>/<split>[/<n>.parquet]`: the listing of URLs, or the n-th file. */
  const serveParquet = async (match: RegExpExecArray, request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const [, repo, config, split, index] = match.map((part) => (part === undefined ? part : safeDecode(part)));
    const datasetDir = inside(datasetsRoot!, repo!);
    if (!datasetDir || !(await isDirectory(datasetDir))) return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
    const files = await parquetFiles(datasetDir, config!, split!);
    if (!files || files.length === 0) return sendError(response, 404, 'EntryNotFound', `Invalid config/split: ${config}/${split}`);
    if (index === undefined) return sendJson(response, files.map((_, i) => `${hubUrl}/api/datasets/${repo}/parquet/${config}/${split}/${i}.parquet`));
    const file = files[Number(index)];
    if (!file) return sendError(response, 404, 'EntryNotFound', `Entry not found: ${index}.parquet`);
    const stats = await stat(file.full);
    if (storage) return redirectToStorage(file.full, stats, response);
    return sendData(file.full, stats, request, response);
  };

  /** What the Hub answers before the server's own routes: renamed ids, injected statuses, gated repos, datasets. */
  const answerFirst = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    logRequest(request);
    const renamedTo = renamedLocation(renamed, request.url ?? '/');
    if (renamedTo) {
      response.writeHead(307, { Location: renamedTo });
      response.end();
      return true;
    }
    if (!isRead(request)) return false;
    const path = pathOf(request);
    const statusFault = takeFault(path, ['404', '401', '429']);
    if (statusFault?.kind === '429') {
      response.setHeader('Retry-After', String(statusFault.retryAfter ?? 1));
      sendError(response, 429, 'RateLimited', 'Too many requests (injected fault)');
    } else if (statusFault?.kind === '404') sendError(response, 404, 'EntryNotFound', `Entry not found (injected fault)`);
    else if (statusFault?.kind === '401') sendError(response, 401, 'GatedRepo', `Access to this resource is restricted (injected fault)`);
    if (statusFault) return true;
    const repo = RESOLVE_PATH.exec(path)?.[1];
    const token = repo === undefined ? undefined : gated[safeDecode(repo)];
    if (token !== undefined && request.headers.authorization !== `Bearer ${token}`) {
      const message = `Access to model ${safeDecode(repo!)} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      sendError(response, 401, 'GatedRepo', message);
      return true;
    }
    const parquet = datasetsRoot ? PARQUET_LIST.exec(path) : null;
    if (!parquet) return false;
    await serveParquet(parquet, request, response);
    return true;
  };

  /**
   * The storage host: another origin (another port), as the Hub's is, so CORS and token rules apply to it. Behind
   * an ownPageOnly server it lets in exactly that server's page; its links are random and issued per file, like a
   * storage host's signed URLs: they are the secret there.
   */
  const answerStorage = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    setIsolationHeaders(response, !!core.ownPageOnly);
    if (core.ownPageOnly) {
      const refusal = foreignRequestRefusal(request, storage!.url, hubUrl);
      if (refusal) return sendError(response, 403, 'Forbidden', refusal);
    }
    setCorsHeaders(response, core.ownPageOnly ? hubUrl : '*');
    logRequest(request);
    // The Hub's storage host answers every preflight with 403 (huggingface/datasets, January 2026): the app must
    // send it only simple requests (no Authorization, a single `bytes=N-` Range at most).
    if (request.method === 'OPTIONS') return sendError(response, 403, 'AccessDenied', 'preflight requests are refused by the storage host');
    const path = pathOf(request);
    const file = path.startsWith(STORAGE_PREFIX) ? storageLinks.get(path.slice(STORAGE_PREFIX.length).split('/')[0]!) : undefined;
    const stats = file ? await statOrNull(file) : null;
    if (!file || !stats?.isFile()) return sendError(response, 404, 'NoSuchKey', 'The specified key does not exist.');
    return sendData(file, stats, request, response);
  };

  const storageServer = storageRedirect ? createServer(handlerOf(answerStorage)) : null;
  const storage = storageServer ? { url: `http://127.0.0.1:${await listen(storageServer, 0)}` } : null;
  const hub = await startHubLikeServer({
    ...core,
    hooks: {
      request: answerFirst,
      file: async (filePath, stats, request, response) => {
        if (storage && isLfsFile(filePath) && RESOLVE_PATH.test(pathOf(request))) {
          await redirectToStorage(filePath, stats, response);
          return true;
        }
        return sendWithFault(filePath, stats, request, response);
      },
      modelInfo: (info) => (gated[info.id] === undefined ? info : { ...info, gated: 'manual' }),
    },
  }).catch(async (error: unknown) => {
    if (storageServer) await closeServer(storageServer);
    throw error;
  });
  hubUrl = hub.url;
  return {
    ...hub,
    storageUrl: storage?.url,
    close: async () => {
      await Promise.all([hub.close(), storageServer ? closeServer(storageServer) : Promise.resolve()]);
    },
  };
}

/** The same request under a renamed repository's current id, or null. */
function renamedLocation(renamed: Record<string, string>, pathAndQuery: string): string | null {
  for (const [old, current] of Object.entries(renamed)) {
    for (const prefix of [`/api/models/${old}/`, `/${old}/resolve/`]) {
      if (pathAndQuery.startsWith(prefix)) return prefix.replace(old, current) + pathAndQuery.slice(prefix.length);
    }
  }
  return null;
}

/** The parquet files of a dataset config and split, `<datasetDir>/<config>/<split>/*.parquet` (the refs/convert/parquet layout). */
async function parquetFiles(datasetDir: string, config: string, split: string): Promise<FolderFile[] | null> {
  try {
    return (await listFolder(join(datasetDir, config, split))).filter((f) => f.path.endsWith('.parquet') && !f.path.includes('/'));
  } catch {
    return null;
  }
}

async function sendAltered(filePath: string, stats: Stats, fault: Fault, response: ServerResponse): Promise<void> {
  let bytes: Buffer = await readFile(filePath);
  if (fault.kind === 'gzip') bytes = gzipSync(bytes);
  else if (fault.kind === 'wrong-size') bytes = bytes.subarray(0, Math.floor((bytes.length * 3) / 4));
  else if (bytes.length > 0) bytes[bytes.length >> 1] ^= 0xff;
  response.writeHead(200, {
    'Content-Type': contentType(filePath),
    'Content-Length': bytes.length,
    ...(fault.kind === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}),
    ETag: `"${stats.size.toString(16)}-altered"`,
  });
  response.end(bytes);
}

async function sendSlowly(filePath: string, start: number, end: number, bytesPerSecond: number, response: ServerResponse): Promise<void> {
  const bytes = (await readFile(filePath)).subarray(start, end + 1);
  const tick = 50;
  const perTick = Math.max(1, Math.floor((bytesPerSecond * tick) / 1000));
  for (let offset = 0; offset < bytes.length && !response.destroyed; offset += perTick) {
    response.write(bytes.subarray(offset, offset + perTick));
    await new Promise((done) => setTimeout(done, tick));
  }
  response.end();
}
