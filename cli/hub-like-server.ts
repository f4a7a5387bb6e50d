// An HTTP server laid out like the Hugging Face Hub (`/<repo>/resolve/<revision>/<file>`), optionally also
// serving the built app at `/`. The CLI uses it to serve local model folders; tests use it as a Hub stand-in.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fileSha256, folderCommit, isLfsFile, listFolder, modelInfoBody, parquetFiles, treeBody } from './hub-api-routes.ts';

export interface HubLikeServerOptions {
  /** Folder laid out as `<root>/<org>/<name>/<file>` (`<root>/<name>/<file>` for ids without an org). */
  hubRoot?: string;
  /** Repositories served from arbitrary folders, repo id → folder; checked before hubRoot. */
  repoFolders?: Record<string, string>;
  /** Folder served at `/` (the built app), with index.html for directories. */
  staticRoot?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Single files served at fixed paths, path → file on disk (the CLI's --train-file / --eval-file). */
  files?: Record<string, string>;
  /**
   * Folder that accepts the page's outputs: `PUT /__output/<folder>/<file>` writes into `<folder>.partial/`,
   * `POST /__output/<folder>?commit` then renames it to `<folder>`, so a crash mid-write never leaves a
   * half-written folder under the final name. `GET /__output/<folder>/<file>` reads a committed file back
   * (a resumed run's checkpoint).
   */
  outputRoot?: string;
  /** Awaited before an output folder is committed (the CLI writes the metrics logged before it first). */
  beforeCommit?: (folder: string) => Promise<void>;
  /** Called after each response, e.g. to log requests. */
  onResponse?: (method: string, url: string, status: number) => void;
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
  /**
   * Serve the one page the CLI opens and nothing else (the CLI's server listens on a well-known port, where any
   * web page the user has open could reach it): a Host other than the server's own address is refused (DNS
   * rebinding), so is any request that comes from another origin (no CORS at all: the page is same-origin), and
   * everything but the app's own files needs the per-run `secret`, which the CLI's browser holds as an HttpOnly,
   * SameSite=Strict cookie (see secretCookieName).
   */
  ownPageOnly?: { secret: string };
}

/** The cookie that carries an ownPageOnly server's secret; named by port, as cookies are shared across ports. */
export const secretCookieName = (port: number) => `xnli-cli-secret-${port}`;

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

export interface RunningServer {
  /** `http://127.0.0.1:PORT` (no trailing slash): a secure context for WebGPU. */
  url: string;
  port: number;
  /** The storage origin redirects go to, when `storageRedirect` is on. */
  storageUrl?: string;
  close(): Promise<void>;
}

const RESOLVE_PATH = /^\/((?:[^/]+\/)?[^/]+)\/resolve\/([^/]+)\/(.+)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
};

/** Per-server state: where redirected files live, and the origins. */
interface ServerState {
  url: string;
  storageUrl?: string;
  /** Random link id → file on disk, as a storage host's signed URLs. */
  storageLinks: Map<string, string>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
}

export async function startHubLikeServer(options: HubLikeServerOptions): Promise<RunningServer> {
  const state: ServerState = { url: '', storageLinks: new Map() };
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    handle(options, state, request, response)
      .catch((error: Error) => {
        if (!response.headersSent) sendError(response, 500, 'InternalError', error.message);
        else response.destroy(error);
      })
      .finally(() => options.onResponse?.(request.method ?? 'GET', request.url ?? '/', response.statusCode));
  };
  const server = createServer(handler);
  const port = await listen(server, options.port ?? 0);
  state.url = `http://127.0.0.1:${port}`;
  // The storage host is another origin (another port), as the Hub's is, so CORS and token rules apply to it.
  const storage = options.storageRedirect ? createServer(handler) : null;
  if (storage) state.storageUrl = `http://127.0.0.1:${await listen(storage, 0)}`;
  return {
    url: state.url,
    port,
    storageUrl: state.storageUrl,
    close: async () => {
      await Promise.all([closeServer(server), storage ? closeServer(storage) : Promise.resolve()]);
    },
  };
}

/** The first fault for this path among `kinds`, used up by this call. */
function takeFault(options: HubLikeServerOptions, path: string, kinds: Fault['kind'][]): Fault | null {
  const fault = options.faults?.find((f) => (f.times ?? 1) > 0 && kinds.includes(f.kind) && path.includes(f.match));
  if (!fault) return null;
  fault.times = (fault.times ?? 1) - 1;
  return fault;
}

const STORAGE_PREFIX = '/__storage/';

/**
 * Makes the app's pages cross-origin isolated, so tfjs's threaded wasm build trains on every core
 * (SharedArrayBuffer); the same headers as vite.config.ts and public/sw.js. CORP lets other origins embed files.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

async function handle(options: HubLikeServerOptions, state: ServerState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION)) response.setHeader(name, value);
  const onStorage = !!state.storageUrl && `http://127.0.0.1:${request.socket.localPort}` === state.storageUrl;
  if (options.ownPageOnly) {
    const refusal = ownPageRefusal(options, state, request, onStorage);
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (refusal) return sendError(response, 403, 'Forbidden', refusal);
    // The storage hop is another origin: it lets in exactly the app's page.
    if (onStorage) response.setHeader('Access-Control-Allow-Origin', state.url);
  } else {
    response.setHeader('Access-Control-Allow-Origin', '*');
  }
  response.setHeader(
    'Access-Control-Expose-Headers',
    'Content-Length, Content-Range, Accept-Ranges, ETag, X-Error-Code, X-Error-Message, X-Linked-Size, X-Linked-Etag, X-Repo-Commit',
  );
  const method = request.method ?? 'GET';
  const localPort = request.socket.localPort;
  options.onRequest?.({
    method,
    origin: `http://127.0.0.1:${localPort}`,
    path: request.url ?? '/',
    authorization: request.headers.authorization,
    range: request.headers.range,
  });
  const renamedTo = renamedLocation(options, request.url ?? '/');
  if (renamedTo) {
    response.writeHead(307, { Location: renamedTo });
    response.end();
    return;
  }
  // The Hub's storage host answers every preflight with 403 (huggingface/datasets, January 2026): the app must send
  // it only simple requests (no Authorization, a single `bytes=N-` Range at most).
  if (method === 'OPTIONS' && onStorage) return sendError(response, 403, 'AccessDenied', 'preflight requests are refused by the storage host');
  if (method === 'OPTIONS') {
    response.writeHead(204, {
      'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Range, Content-Type',
      'Access-Control-Max-Age': '600',
    });
    response.end();
    return;
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (onStorage) {
    const file = path.startsWith(STORAGE_PREFIX) ? state.storageLinks.get(path.slice(STORAGE_PREFIX.length).split('/')[0]!) : undefined;
    const stats = file ? await statOrNull(file) : null;
    if (!file || !stats?.isFile()) return sendError(response, 404, 'NoSuchKey', 'The specified key does not exist.');
    return sendFile(file, stats, request, response, options);
  }
  const statusFault = method === 'GET' || method === 'HEAD' ? takeFault(options, path, ['404', '401', '429']) : null;
  if (statusFault?.kind === '429') {
    response.setHeader('Retry-After', String(statusFault.retryAfter ?? 1));
    return sendError(response, 429, 'RateLimited', 'Too many requests (injected fault)');
  }
  if (statusFault?.kind === '404') return sendError(response, 404, 'EntryNotFound', `Entry not found (injected fault)`);
  if (statusFault?.kind === '401') return sendError(response, 401, 'GatedRepo', `Access to this resource is restricted (injected fault)`);
  if (path.startsWith('/api/') && (method === 'GET' || method === 'HEAD')) return serveApi(options, state, path, url, request, response);
  if (options.outputRoot && path.startsWith(OUTPUT_PREFIX)) return receiveOutput(options, safeDecode(path.slice(OUTPUT_PREFIX.length)), url, request, response);
  if (method !== 'GET' && method !== 'HEAD') return sendError(response, 405, 'MethodNotAllowed', `${method} is not supported`);
  const single = options.files?.[path];
  if (single) {
    const stats = await statOrNull(single);
    if (!stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `${single} is gone`);
    return sendFile(single, stats, request, response, options);
  }
  const hubMatch = RESOLVE_PATH.exec(path);
  if (hubMatch && (options.hubRoot || options.repoFolders)) {
    const [, repo, revision, file] = hubMatch.map((part) => (part === undefined ? part : safeDecode(part)));
    return serveRepoFile(options, state, repo!, revision!, file!, request, response);
  }
  if (options.staticRoot) return serveStatic(options.staticRoot, safeDecode(path), request, response);
  return sendError(response, 404, 'EntryNotFound', `nothing is served at ${path}`);
}

/** The same request under a renamed repository's current id, or null. */
function renamedLocation(options: HubLikeServerOptions, pathAndQuery: string): string | null {
  for (const [old, current] of Object.entries(options.renamed ?? {})) {
    for (const prefix of [`/api/models/${old}/`, `/${old}/resolve/`]) {
      if (pathAndQuery.startsWith(prefix)) return prefix.replace(old, current) + pathAndQuery.slice(prefix.length);
    }
  }
  return null;
}

const OUTPUT_PREFIX = '/__output/';

/**
 * Why an ownPageOnly server refuses this request, or null. The app's own files (the page and its scripts) need no
 * secret; the outputs, the local model folders, the data files and the API do. The storage hop's links are
 * random and used once per file, like a storage host's signed URLs: they are the secret there.
 */
function ownPageRefusal(options: HubLikeServerOptions, state: ServerState, request: IncomingMessage, onStorage: boolean): string | null {
  const ownOrigin = onStorage ? state.storageUrl! : state.url;
  if (request.headers.host !== new URL(ownOrigin).host) return `this server answers only for ${ownOrigin}`;
  const origin = request.headers.origin;
  // The page's own requests are same-origin (no preflight) or, on the storage hop, simple CORS requests.
  if ((origin !== undefined && origin !== state.url) || request.method === 'OPTIONS') return 'this server serves only the xnli-train page it opened';
  if (onStorage) return null;
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const appFile = !path.startsWith('/api/') && !path.startsWith(OUTPUT_PREFIX) && !RESOLVE_PATH.test(path) && !options.files?.[path];
  if (appFile || hasSecret(request, options.ownPageOnly!.secret, secretCookieName(Number(new URL(state.url).port)))) return null;
  return 'this request lacks the secret of the xnli-train run that started this server';
}

function hasSecret(request: IncomingMessage, secret: string, cookie: string): boolean {
  const sent = (request.headers.cookie ?? '').split(';').map((part) => part.trim()).find((part) => part.startsWith(`${cookie}=`))?.slice(cookie.length + 1);
  if (!sent) return false;
  const [a, b] = [Buffer.from(sent), Buffer.from(secret)];
  return a.length === b.length && timingSafeEqual(a, b);
}

async function receiveOutput(options: HubLikeServerOptions, relative: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const root = options.outputRoot!;
  const method = request.method ?? 'GET';
  if (method === 'POST' && url.searchParams.has('commit')) {
    const folder = inside(root, relative);
    if (!folder || folder === resolve(root)) return sendError(response, 400, 'BadPath', `cannot commit ${relative}`);
    if (!(await isDirectory(`${folder}.partial`))) return sendError(response, 404, 'EntryNotFound', `nothing was written to ${relative}`);
    await options.beforeCommit?.(relative);
    await rm(folder, { recursive: true, force: true });
    await rename(`${folder}.partial`, folder);
    response.writeHead(204);
    response.end();
    return;
  }
  if (method === 'GET' || method === 'HEAD') {
    // Committed files only: a resumed run reads its checkpoint back; a folder being written is not served.
    const file = relative.split('/').some((part) => part.endsWith('.partial')) ? null : inside(root, relative);
    const stats = file ? await statOrNull(file) : null;
    if (!file || !stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `${relative} is not in the output directory`);
    return sendFile(file, stats, request, response);
  }
  if (method !== 'PUT') return sendError(response, 405, 'MethodNotAllowed', `${method} is not supported on outputs`);
  const slash = relative.lastIndexOf('/');
  const target = slash > 0 ? inside(root, `${relative.slice(0, slash)}.partial/${relative.slice(slash + 1)}`) : null;
  if (!target) return sendError(response, 400, 'BadPath', `cannot write ${relative}: outputs go in a folder under the output directory`);
  await mkdir(dirname(target), { recursive: true });
  // `?offset=N` appends a piece to what is there, which must be N bytes: a checkpoint streams in piece by piece.
  const offset = Number(url.searchParams.get('offset') ?? 0);
  if (!Number.isInteger(offset) || offset < 0) return sendError(response, 400, 'BadOffset', `offset ${url.searchParams.get('offset')} is not a byte count`);
  if (offset > 0) {
    const size = (await statOrNull(target))?.size ?? 0;
    if (size !== offset) return sendError(response, 409, 'OffsetMismatch', `${relative} holds ${size} bytes, not ${offset}: a piece is missing`);
  }
  await pipeline(request, createWriteStream(target, { flags: offset > 0 ? 'a' : 'w' }));
  response.writeHead(201);
  response.end();
}

/** The folder of a repository, or null (unknown repo, or a path that tries to escape). */
async function repoFolder(options: HubLikeServerOptions, repo: string): Promise<string | null> {
  const repoDir = options.repoFolders?.[repo] ?? (options.hubRoot ? inside(options.hubRoot, repo) : null);
  if (!repoDir || repo.split('/').some((part) => part === '..' || part === '.') || !(await isDirectory(repoDir))) return null;
  return repoDir;
}

/**
 * The folder of a revision: `main` is the repo folder, others live in sibling folders `<name>@<revision>`, and a
 * commit (the content hash the API reports as `sha`) names whichever of those it is the commit of.
 */
async function revisionFolder(repoDir: string, revision: string): Promise<{ dir: string; name: string } | null> {
  const named = revision === 'main' ? repoDir : `${repoDir}@${revision}`;
  if (await isDirectory(named)) return { dir: named, name: revision };
  if (!/^[0-9a-f]{40}$/.test(revision)) return null;
  const parent = dirname(repoDir);
  const base = basename(repoDir);
  const candidates = [{ dir: repoDir, name: 'main' }];
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    if (entry.startsWith(`${base}@`)) candidates.push({ dir: join(parent, entry), name: entry.slice(base.length + 1) });
  }
  for (const candidate of candidates) {
    if (folderCommit(candidate.name, await listFolder(candidate.dir)) === revision) return candidate;
  }
  return null;
}

function gatedRefusal(options: HubLikeServerOptions, repo: string, request: IncomingMessage): string | null {
  const token = options.gated?.[repo];
  if (token === undefined) return null;
  if (request.headers.authorization === `Bearer ${token}`) return null;
  return `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
}

async function serveRepoFile(
  options: HubLikeServerOptions,
  state: ServerState,
  repo: string,
  revision: string,
  file: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const repoDir = await repoFolder(options, repo);
  if (!repoDir) return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
  const refused = gatedRefusal(options, repo, request);
  if (refused) return sendError(response, 401, 'GatedRepo', refused);
  const found = await revisionFolder(repoDir, revision);
  if (!found) return sendError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const filePath = inside(found.dir, file);
  const stats = filePath ? await statOrNull(filePath) : null;
  if (!filePath || !stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `Entry not found: ${file} in ${repo}@${revision}`);
  response.setHeader('X-Repo-Commit', folderCommit(found.name, await listFolder(found.dir)));
  if (state.storageUrl && isLfsFile(file)) return redirectToStorage(state, filePath, stats, response);
  sendFile(filePath, stats, request, response, options);
}

/** A 302 to the storage origin, with the headers the Hub sends for LFS files. */
async function redirectToStorage(state: ServerState, filePath: string, stats: Stats, response: ServerResponse): Promise<void> {
  const id = randomBytes(12).toString('hex');
  state.storageLinks.set(id, filePath);
  const sha256 = await fileSha256(filePath, stats);
  response.writeHead(302, {
    Location: `${state.storageUrl}${STORAGE_PREFIX}${id}/${encodeURIComponent(basename(filePath))}`,
    'X-Linked-Size': String(stats.size),
    'X-Linked-Etag': `"${sha256}"`,
    ETag: `"${sha256}"`,
    'Content-Length': 0,
  });
  response.end();
}

const MODEL_INFO = /^\/api\/models\/((?:[^/]+\/)?[^/]+?)(?:\/revision\/([^/]+))?\/?$/;
const MODEL_TREE = /^\/api\/models\/((?:[^/]+\/)?[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/;
const PARQUET_LIST = /^\/api\/datasets\/((?:[^/]+\/)?[^/]+)\/parquet\/([^/]+)\/([^/]+?)(?:\/(\d+)\.parquet)?\/?$/;

async function serveApi(options: HubLikeServerOptions, state: ServerState, path: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const decoded = (m: RegExpExecArray) => m.map((part) => (part === undefined ? part : safeDecode(part)));
  const tree = MODEL_TREE.exec(path);
  const info = tree ? null : MODEL_INFO.exec(path);
  if (tree || info) {
    const [, repo, revision = 'main', sub = ''] = decoded((tree ?? info)!);
    const repoDir = await repoFolder(options, repo!);
    if (!repoDir) return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
    const found = await revisionFolder(repoDir, revision!);
    if (!found) return sendError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const files = await listFolder(found.dir);
    const body = tree ? await treeBody(files, sub!, url.searchParams.get('recursive') === 'true') : await modelInfoBody(repo!, found.name, files, options.gated?.[repo!] !== undefined);
    return sendJson(response, body);
  }
  const parquet = PARQUET_LIST.exec(path);
  const datasetsRoot = options.datasetsRoot ?? (options.hubRoot ? join(options.hubRoot, 'datasets') : null);
  if (parquet && datasetsRoot) {
    const [, repo, config, split, index] = decoded(parquet);
    const datasetDir = inside(datasetsRoot, repo!);
    if (!datasetDir || !(await isDirectory(datasetDir))) return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
    const files = await parquetFiles(datasetDir, config!, split!);
    if (!files || files.length === 0) return sendError(response, 404, 'EntryNotFound', `Invalid config/split: ${config}/${split}`);
    if (index === undefined) {
      return sendJson(response, files.map((_, i) => `${state.url}/api/datasets/${repo}/parquet/${config}/${split}/${i}.parquet`));
    }
    const file = files[Number(index)];
    if (!file) return sendError(response, 404, 'EntryNotFound', `Entry not found: ${index}.parquet`);
    const stats = await stat(file.full);
    if (state.storageUrl) return redirectToStorage(state, file.full, stats, response);
    return sendFile(file.full, stats, request, response, options);
  }
  return sendError(response, 404, 'EntryNotFound', `no such API route: ${path}`);
}

function sendJson(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function serveStatic(root: string, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let filePath = inside(root, path.replace(/^\/+/, ''));
  let stats = filePath ? await statOrNull(filePath) : null;
  if (filePath && stats?.isDirectory()) {
    filePath = join(filePath, 'index.html');
    stats = await statOrNull(filePath);
  }
  if (!filePath || !stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `not found: ${path}`);
  response.setHeader('Cache-Control', 'no-cache');
  sendFile(filePath, stats, request, response);
}

function sendFile(filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse, options: HubLikeServerOptions = {}): void {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method === 'GET' && request.headers.range && takeFault(options, path, ['refuse-range'])) {
    request.socket.destroy();
    return;
  }
  const fault = request.method === 'GET' ? takeFault(options, path, ['cut', 'stall', 'wrong-size', 'corrupt', 'slow', 'no-range', 'gzip']) : null;
  if (fault?.kind === 'wrong-size' || fault?.kind === 'corrupt' || fault?.kind === 'gzip') {
    void sendAltered(filePath, stats, fault, response);
    return;
  }
  const size = stats.size;
  const headers: Record<string, string | number> = {
    'Content-Type': CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': fault?.kind === 'no-range' ? 'none' : 'bytes',
    ETag: `"${size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
  };
  const range = request.headers.range && fault?.kind !== 'no-range' ? parseRange(request.headers.range, size) : null;
  if (range === 'unsatisfiable') {
    response.writeHead(416, { 'Content-Range': `bytes */${size}` });
    response.end();
    return;
  }
  const [start, end] = range ?? [0, size - 1];
  const length = size === 0 ? 0 : end - start + 1;
  headers['Content-Length'] = length;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  response.writeHead(range ? 206 : 200, headers);
  if (request.method === 'HEAD' || length === 0) {
    response.end();
    return;
  }
  if (fault?.kind === 'cut' || fault?.kind === 'stall') {
    // Whole-body headers, part of the body, then a dropped (or silent) connection: a flaky network.
    const sent = Math.max(1, Math.floor(length * (fault.fraction ?? 0.5)));
    const stream = createReadStream(filePath, { start, end: start + sent - 1 });
    if (fault.kind === 'cut') stream.on('end', () => setTimeout(() => response.socket?.destroy(), 20));
    stream.pipe(response, { end: false });
    return;
  }
  if (fault?.kind === 'slow') {
    void sendSlowly(filePath, start, end, fault.bytesPerSecond ?? 64 * 1024, response);
    return;
  }
  createReadStream(filePath, { start, end }).pipe(response);
}

async function sendAltered(filePath: string, stats: Stats, fault: Fault, response: ServerResponse): Promise<void> {
  let bytes: Buffer = await readFile(filePath);
  if (fault.kind === 'gzip') bytes = gzipSync(bytes);
  else if (fault.kind === 'wrong-size') bytes = bytes.subarray(0, Math.floor((bytes.length * 3) / 4));
  else if (bytes.length > 0) bytes[bytes.length >> 1] ^= 0xff;
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream',
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

/** One `bytes=` range (the first, if several), as inclusive [start, end]; null when absent or not understood. */
export function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: message });
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Error-Code': code,
    'X-Error-Message': message.replace(/[^\x20-\x7e]/g, '?'),
  });
  response.end(body);
}

/** `relative` resolved under `root`, or null when it would escape it. */
function inside(root: string, relative: string): string | null {
  const base = resolve(root);
  const full = resolve(base, relative);
  return full === base || full.startsWith(base + sep) ? full : null;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory() ?? false;
}
