// An HTTP server laid out like the Hugging Face Hub (`/<repo>/resolve/<revision>/<file>` and the model API),
// optionally also serving the built app at `/`. The CLI uses it to serve its page, local model folders, data files
// and outputs. The tests' Hub stand-in (tests/support/hub-server.ts) adds what only a real Hub does (a storage host,
// gated and renamed repos, the dataset API) and injected network faults through `hooks`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { folderCommit, listFolder, modelInfoBody, treeBody, type ModelInfo } from './hub-api-routes.ts';

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
  /**
   * Serve the one page the CLI opens and nothing else (the CLI's server listens on a well-known port, where any
   * web page the user has open could reach it): a Host other than the server's own address is refused (DNS
   * rebinding), so is any request that comes from another origin (no CORS at all: the page is same-origin), and
   * everything but the app's own files needs the per-run `secret`, which the CLI's browser holds as an HttpOnly,
   * SameSite=Strict cookie (see secretCookieName).
   */
  ownPageOnly?: { secret: string };
  /** Where a wrapper steps in (the tests' Hub stand-in); the CLI sets none. */
  hooks?: ServerHooks;
}

/** A wrapper's say in the answers; `request` and `file` return true when they answered the request themselves. */
export interface ServerHooks {
  /** Every request that passed the ownPageOnly rules, before it is routed. */
  request?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
  /** A repository file or one of `files` about to be sent (not the app's own files, not outputs). */
  file?: (filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
  /** A model's info (`/api/models/<repo>`) about to be sent, which it may replace. */
  modelInfo?: (info: ModelInfo) => ModelInfo;
}

/** The cookie that carries an ownPageOnly server's secret; named by port, as cookies are shared across ports. */
export const secretCookieName = (port: number) => `xnli-cli-secret-${port}`;

export interface RunningServer {
  /** `http://127.0.0.1:PORT` (no trailing slash): a secure context for WebGPU. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const RESOLVE_PATH = /^\/((?:[^/]+\/)?[^/]+)\/resolve\/([^/]+)\/(.+)$/;

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

export function contentType(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** Listens on 127.0.0.1 (`port` 0: a free one) and says the port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
}

/** An HTTP handler that answers a thrown error with a 500 (or a dropped connection once headers went out). */
export function handlerOf(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) sendError(response, 500, 'InternalError', error.message);
      else response.destroy(error);
    });
  };
}

export async function startHubLikeServer(options: HubLikeServerOptions): Promise<RunningServer> {
  let url = '';
  const server = createServer(handlerOf((request, response) => handle(options, url, request, response)));
  const port = await listen(server, options.port ?? 0);
  url = `http://127.0.0.1:${port}`;
  return { url, port, close: () => closeServer(server) };
}

/**
 * Makes the app's pages cross-origin isolated, so tfjs's threaded wasm build trains on every core
 * (SharedArrayBuffer); the same headers as vite.config.ts and public/sw.js. CORP lets other origins embed files.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

/** Cross-origin isolation; with `ownPageOnly`, what is served may be embedded by the same origin only. */
export function setIsolationHeaders(response: ServerResponse, ownPageOnly: boolean): void {
  for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION)) response.setHeader(name, value);
  if (ownPageOnly) response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** CORS for `allowOrigin` (none when null), exposing the headers the Hub client reads. */
export function setCorsHeaders(response: ServerResponse, allowOrigin: string | null): void {
  if (allowOrigin) response.setHeader('Access-Control-Allow-Origin', allowOrigin);
  response.setHeader(
    'Access-Control-Expose-Headers',
    'Content-Length, Content-Range, Accept-Ranges, ETag, X-Error-Code, X-Error-Message, X-Linked-Size, X-Linked-Etag, X-Repo-Commit',
  );
}

async function handle(options: HubLikeServerOptions, ownUrl: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  setIsolationHeaders(response, !!options.ownPageOnly);
  if (options.ownPageOnly) {
    const refusal = ownPageRefusal(options, ownUrl, request);
    if (refusal) return sendError(response, 403, 'Forbidden', refusal);
  }
  setCorsHeaders(response, options.ownPageOnly ? null : '*');
  if (await options.hooks?.request?.(request, response)) return;
  const method = request.method ?? 'GET';
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
  if (path.startsWith('/api/') && (method === 'GET' || method === 'HEAD')) return serveApi(options, path, url, response);
  if (options.outputRoot && path.startsWith(OUTPUT_PREFIX)) return receiveOutput(options, safeDecode(path.slice(OUTPUT_PREFIX.length)), url, request, response);
  if (method !== 'GET' && method !== 'HEAD') return sendError(response, 405, 'MethodNotAllowed', `${method} is not supported`);
  const single = options.files?.[path];
  if (single) {
    const stats = await statOrNull(single);
    if (!stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `${single} is gone`);
    return sendServedFile(options, single, stats, request, response);
  }
  const hubMatch = RESOLVE_PATH.exec(path);
  if (hubMatch && (options.hubRoot || options.repoFolders)) {
    const [, repo, revision, file] = hubMatch.map((part) => (part === undefined ? part : safeDecode(part)));
    return serveRepoFile(options, repo!, revision!, file!, request, response);
  }
  if (options.staticRoot) return serveStatic(options.staticRoot, safeDecode(path), request, response);
  return sendError(response, 404, 'EntryNotFound', `nothing is served at ${path}`);
}

const OUTPUT_PREFIX = '/__output/';

/**
 * Why a server for one page refuses this request from elsewhere, or null: a Host other than `ownOrigin`'s (DNS
 * rebinding), an Origin other than `pageOrigin`, or a preflight (the page's own requests are same-origin, or
 * simple CORS requests to another origin of ours).
 */
export function foreignRequestRefusal(request: IncomingMessage, ownOrigin: string, pageOrigin: string): string | null {
  if (request.headers.host !== new URL(ownOrigin).host) return `this server answers only for ${ownOrigin}`;
  const origin = request.headers.origin;
  if ((origin !== undefined && origin !== pageOrigin) || request.method === 'OPTIONS') return 'this server serves only the xnli-train page it opened';
  return null;
}

/**
 * Why an ownPageOnly server refuses this request, or null. The app's own files (the page and its scripts) need no
 * secret; the outputs, the local model folders, the data files and the API do.
 */
function ownPageRefusal(options: HubLikeServerOptions, ownUrl: string, request: IncomingMessage): string | null {
  const foreign = foreignRequestRefusal(request, ownUrl, ownUrl);
  if (foreign) return foreign;
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const appFile = !path.startsWith('/api/') && !path.startsWith(OUTPUT_PREFIX) && !RESOLVE_PATH.test(path) && !options.files?.[path];
  if (appFile || hasSecret(request, options.ownPageOnly!.secret, secretCookieName(Number(new URL(ownUrl).port)))) return null;
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

async function serveRepoFile(
  options: HubLikeServerOptions,
  repo: string,
  revision: string,
  file: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const repoDir = await repoFolder(options, repo);
  if (!repoDir) return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
  const found = await revisionFolder(repoDir, revision);
  if (!found) return sendError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const filePath = inside(found.dir, file);
  const stats = filePath ? await statOrNull(filePath) : null;
  if (!filePath || !stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `Entry not found: ${file} in ${repo}@${revision}`);
  response.setHeader('X-Repo-Commit', folderCommit(found.name, await listFolder(found.dir)));
  return sendServedFile(options, filePath, stats, request, response);
}

/** A repository file or one of `files`: the file hook's to answer, else sent whole or ranged. */
async function sendServedFile(options: HubLikeServerOptions, filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (await options.hooks?.file?.(filePath, stats, request, response)) return;
  sendFile(filePath, stats, request, response);
}

const MODEL_INFO = /^\/api\/models\/((?:[^/]+\/)?[^/]+?)(?:\/revision\/([^/]+))?\/?$/;
const MODEL_TREE = /^\/api\/models\/((?:[^/]+\/)?[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/;

async function serveApi(options: HubLikeServerOptions, path: string, url: URL, response: ServerResponse): Promise<void> {
  const tree = MODEL_TREE.exec(path);
  const info = tree ? null : MODEL_INFO.exec(path);
  if (!tree && !info) return sendError(response, 404, 'EntryNotFound', `no such API route: ${path}`);
  const [, repo, revision = 'main', sub = ''] = (tree ?? info)!.map((part) => (part === undefined ? part : safeDecode(part)));
  const repoDir = await repoFolder(options, repo!);
  if (!repoDir) return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
  const found = await revisionFolder(repoDir, revision!);
  if (!found) return sendError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const files = await listFolder(found.dir);
  if (tree) return sendJson(response, await treeBody(files, sub!, url.searchParams.get('recursive') === 'true'));
  const body = await modelInfoBody(repo!, found.name, files);
  sendJson(response, options.hooks?.modelInfo ? options.hooks.modelInfo(body) : body);
}

export function sendJson(response: ServerResponse, body: unknown): void {
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

export interface FileSending {
  /** Honour a Range header (default); false answers whole, with Accept-Ranges: none (a server without ranges). */
  ranges?: boolean;
  /** Writes bytes start..end (inclusive) of the file to the response and ends it; default: all of them, streamed. */
  writeBody?: (start: number, end: number) => void;
}

/** A file, whole or the one range asked for (206, or 416 past the end), with its type, length and ETag. */
export function sendFile(filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse, sending: FileSending = {}): void {
  const ranges = sending.ranges ?? true;
  const size = stats.size;
  const headers: Record<string, string | number> = {
    'Content-Type': contentType(filePath),
    'Accept-Ranges': ranges ? 'bytes' : 'none',
    ETag: `"${size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
  };
  const range = request.headers.range && ranges ? parseRange(request.headers.range, size) : null;
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
  if (sending.writeBody) sending.writeBody(start, end);
  else createReadStream(filePath, { start, end }).pipe(response);
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

export function sendError(response: ServerResponse, status: number, code: string, message: string): void {
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
export function inside(root: string, relative: string): string | null {
  const base = resolve(root);
  const full = resolve(base, relative);
  return full === base || full.startsWith(base + sep) ? full : null;
}

export function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory() ?? false;
}
