// The Hub API as the Hugging Face Hub documents it, answered from folders: model info with siblings
// (`/api/models/<repo>[/revision/<rev>]`) and the file tree (`/api/models/<repo>/tree/<rev>`). Commits are content
// hashes of the revision folder, so a changed folder is a new commit, as on the Hub.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';

/** Files Git LFS stores on the Hub (by its default .gitattributes): the API gives their SHA-256. */
const LFS_EXTENSIONS = new Set(['.safetensors', '.bin', '.parquet', '.h5', '.onnx', '.msgpack', '.pt', '.pth', '.ckpt', '.arrow', '.zip']);

export function isLfsFile(path: string): boolean {
  return LFS_EXTENSIONS.has(extname(path).toLowerCase());
}

export interface FolderFile {
  path: string;
  full: string;
  size: number;
  mtimeMs: number;
}

/** Every file under `folder`, with paths relative to it in `/` form, sorted. */
export async function listFolder(folder: string): Promise<FolderFile[]> {
  const out: FolderFile[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const stats = await stat(full);
        out.push({ path: relative(folder, full).split(sep).join('/'), full, size: stats.size, mtimeMs: stats.mtimeMs });
      }
    }
  }
  await walk(folder);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** A 40-hex "commit" for a revision folder: changes whenever a file is added, removed, resized or rewritten. */
export function folderCommit(revision: string, files: FolderFile[]): string {
  const hash = createHash('sha1').update(revision);
  for (const f of files) hash.update(`\n${f.path}\0${f.size}\0${Math.floor(f.mtimeMs)}`);
  return hash.digest('hex');
}

const shaCache = new Map<string, string>();

/** SHA-256 of a file, remembered per path, size and mtime. */
export async function fileSha256(full: string, stats: Pick<Stats, 'size' | 'mtimeMs'>): Promise<string> {
  const key = `${full}\0${stats.size}\0${stats.mtimeMs}`;
  const known = shaCache.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  shaCache.set(key, hex);
  return hex;
}

/** A git blob id (sha1 of "blob <size>\0" + content) for non-LFS files, as the tree API's `oid`. */
async function gitBlobId(full: string, size: number): Promise<string> {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The LFS pointer file's size the Hub reports as `pointerSize`. */
function pointerSize(sha256: string, size: number): number {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`.length;
}

/** The Hub's ModelInfo, as far as it is answered here. */
export interface ModelInfo {
  id: string;
  sha: string;
  /** false, or how access is granted ('manual', 'auto'); folders served from disk are never gated. */
  gated: false | 'manual' | 'auto';
  [field: string]: unknown;
}

/** `GET /api/models/<repo>/revision/<rev>?blobs=true`: ModelInfo with `sha` and `siblings`. */
export async function modelInfoBody(repo: string, revision: string, files: FolderFile[]): Promise<ModelInfo> {
  const siblings = [];
  for (const f of files) {
    const sibling: Record<string, unknown> = { rfilename: f.path, size: f.size, blobId: await gitBlobId(f.full, f.size) };
    if (isLfsFile(f.path)) {
      const sha256 = await fileSha256(f.full, f);
      sibling.lfs = { sha256, size: f.size, pointerSize: pointerSize(sha256, f.size) };
    }
    siblings.push(sibling);
  }
  const commit = folderCommit(revision, files);
  return {
    _id: createHash('sha1').update(repo).digest('hex').slice(0, 24),
    id: repo,
    modelId: repo,
    sha: commit,
    private: false,
    gated: false,
    disabled: false,
    lastModified: new Date(Math.max(0, ...files.map((f) => f.mtimeMs))).toISOString(),
    siblings,
  };
}

/** `GET /api/models/<repo>/tree/<rev>[/<path>]`: files and folders directly under `path` (all with ?recursive=true). */
export async function treeBody(files: FolderFile[], path: string, recursive: boolean): Promise<unknown[]> {
  const prefix = path ? `${path.replace(/\/+$/, '')}/` : '';
  const entries: unknown[] = [];
  const folders = new Set<string>();
  for (const f of files) {
    if (!f.path.startsWith(prefix)) continue;
    const rest = f.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash >= 0 && !recursive) {
      folders.add(prefix + rest.slice(0, slash));
      continue;
    }
    if (recursive) for (let d = dirname(f.path); d !== '.' && d.startsWith(prefix.replace(/\/$/, '')) && d.length >= prefix.length; d = dirname(d)) folders.add(d);
    const entry: Record<string, unknown> = { type: 'file', oid: await gitBlobId(f.full, f.size), size: f.size, path: f.path };
    if (isLfsFile(f.path)) {
      const sha256 = await fileSha256(f.full, f);
      entry.lfs = { oid: sha256, size: f.size, pointerSize: pointerSize(sha256, f.size) };
    }
    entries.push(entry);
  }
  const dirs = [...folders].sort().map((d) => ({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d }));
  return [...dirs, ...entries];
}
