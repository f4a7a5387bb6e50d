// An HTTP server laid out like the Hugging Face Hub (`/<repo>/resolve/<revision>/<file>`), optionally also
// serving the built app at `/`. The CLI uses it to serve local model folders; tests use it as a Hub stand-in.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';

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
   * half-written folder under the final name.
   */
  outputRoot?: string;
  /** Called after each response, e.g. to log requests. */
  onResponse?: (method: string, url: string, status: number) => void;
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT` (no trailing slash): a secure context for WebGPU. */
  url: string;
  port: number;
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

export function startHubLikeServer(options: HubLikeServerOptions): Promise<RunningServer> {
  const server = createServer((request, response) => {
    handle(options, request, response)
      .catch((error: Error) => {
        if (!response.headersSent) sendError(response, 500, 'InternalError', error.message);
        else response.destroy(error);
      })
      .finally(() => options.onResponse?.(request.method ?? 'GET', request.url ?? '/', response.statusCode));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

async function handle(options: HubLikeServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges, ETag, X-Error-Code, X-Error-Message');
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
  if (options.outputRoot && path.startsWith(OUTPUT_PREFIX)) return receiveOutput(options.outputRoot, safeDecode(path.slice(OUTPUT_PREFIX.length)), url, request, response);
  if (method !== 'GET' && method !== 'HEAD') return sendError(response, 405, 'MethodNotAllowed', `${method} is not supported`);
  const single = options.files?.[path];
  if (single) {
    const stats = await statOrNull(single);
    if (!stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `${single} is gone`);
    return sendFile(single, stats, request, response);
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

async function receiveOutput(root: string, relative: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  if (method === 'POST' && url.searchParams.has('commit')) {
    const folder = inside(root, relative);
    if (!folder || folder === resolve(root)) return sendError(response, 400, 'BadPath', `cannot commit ${relative}`);
    if (!(await isDirectory(`${folder}.partial`))) return sendError(response, 404, 'EntryNotFound', `nothing was written to ${relative}`);
    await rm(folder, { recursive: true, force: true });
    await rename(`${folder}.partial`, folder);
    response.writeHead(204);
    response.end();
    return;
  }
  if (method !== 'PUT') return sendError(response, 405, 'MethodNotAllowed', `${method} is not supported on outputs`);
  const slash = relative.lastIndexOf('/');
  const target = slash > 0 ? inside(root, `${relative.slice(0, slash)}.partial/${relative.slice(slash + 1)}`) : null;
  if (!target) return sendError(response, 400, 'BadPath', `cannot write ${relative}: outputs go in a folder under the output directory`);
  await mkdir(dirname(target), { recursive: true });
  await pipeline(request, createWriteStream(target));
  response.writeHead(201);
  response.end();
}

async function serveRepoFile(
  options: HubLikeServerOptions,
  repo: string,
  revision: string,
  file: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const repoDir = options.repoFolders?.[repo] ?? (options.hubRoot ? inside(options.hubRoot, repo) : null);
  if (!repoDir || repo.split('/').some((part) => part === '..' || part === '.') || !(await isDirectory(repoDir))) {
    return sendError(response, 404, 'RepoNotFound', `Repository not found: ${repo}`);
  }
  // Revisions other than main live in sibling folders `<name>@<revision>`.
  const revisionDir = revision === 'main' ? repoDir : `${repoDir}@${revision}`;
  if (!(await isDirectory(revisionDir))) return sendError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const filePath = inside(revisionDir, file);
  const stats = filePath ? await statOrNull(filePath) : null;
  if (!filePath || !stats?.isFile()) return sendError(response, 404, 'EntryNotFound', `Entry not found: ${file} in ${repo}@${revision}`);
  sendFile(filePath, stats, request, response);
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

function sendFile(filePath: string, stats: Stats, request: IncomingMessage, response: ServerResponse): void {
  const size = stats.size;
  const headers: Record<string, string | number> = {
    'Content-Type': CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
  };
  const range = request.headers.range ? parseRange(request.headers.range, size) : null;
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
  createReadStream(filePath, { start, end }).pipe(response);
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
