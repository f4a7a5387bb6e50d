// Files the user picked in the page (a model folder, XNLI files), named `local:...` in the set-up and turned
// into blob: URLs, which the page's training worker can fetch. They last as long as the page.

export const LOCAL_PREFIX = 'local:';
export const isLocalName = (name: string) => name.startsWith(LOCAL_PREFIX);

/** A model folder needs these; tokenizer_config.json is optional (defaults apply without it). */
export const REQUIRED_MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
const MODEL_FILES = [...REQUIRED_MODEL_FILES, 'tokenizer_config.json'];

interface LocalEntry { url: string; size: number }

const models = new Map<string, Record<string, LocalEntry>>();
const dataFiles = new Map<string, LocalEntry & { fileName: string }>();

const safe = (text: string) => text.replace(/[^\w.\-]+/g, '_') || 'files';

function revoke(entries: Iterable<LocalEntry>): void {
  for (const entry of entries) URL.revokeObjectURL(entry.url);
}

/**
 * Registers a picked folder (an `<input webkitdirectory>`'s files) as a model; returns its name (`local:<folder>`).
 * Throws one line naming the missing files and the files the folder has.
 */
export function addLocalModel(files: ArrayLike<File>): string {
  const list = Array.from(files);
  if (list.length === 0) throw new Error('the picked folder is empty: pick the folder holding config.json, model.safetensors and tokenizer.json');
  const folder = (list[0]!.webkitRelativePath || list[0]!.name).split('/')[0]!;
  // Only the folder's own files (not sub-folders such as checkpoints/): the shortest relative paths win.
  const byName = new Map<string, File>();
  for (const file of list) {
    const depth = (file.webkitRelativePath || file.name).split('/').length;
    if (depth <= 2 && MODEL_FILES.includes(file.name)) byName.set(file.name, file);
  }
  const missing = REQUIRED_MODEL_FILES.filter((name) => !byName.has(name));
  if (missing.length) {
    const has = list.map((f) => f.webkitRelativePath || f.name).slice(0, 12).join(', ');
    throw new Error(`the folder "${folder}" has no ${missing.join(', ')}; a model folder needs ${REQUIRED_MODEL_FILES.join(', ')} (it has ${has}${list.length > 12 ? ', …' : ''})`);
  }
  const name = `${LOCAL_PREFIX}${safe(folder)}`;
  revoke(Object.values(models.get(name) ?? {}));
  models.set(name, Object.fromEntries([...byName].map(([file, blob]) => [file, { url: URL.createObjectURL(blob), size: blob.size }])));
  return name;
}

/** Registers one picked data file under `local:<slot>/<file name>` (slot: "train", a language, "all"). */
export function addLocalDataFile(file: File, slot: string): string {
  const name = `${LOCAL_PREFIX}${slot}/${safe(file.name)}`;
  for (const [key, entry] of dataFiles) {
    if (key.startsWith(`${LOCAL_PREFIX}${slot}/`)) {
      revoke([entry]);
      dataFiles.delete(key);
    }
  }
  dataFiles.set(name, { url: URL.createObjectURL(file), size: file.size, fileName: file.name });
  return name;
}

/** The blob URL of each file of a picked model folder; undefined when the name is not (or no longer) picked. */
export function localModelUrls(name: string): Record<string, string> | undefined {
  const entries = models.get(name);
  return entries && Object.fromEntries(Object.entries(entries).map(([file, entry]) => [file, entry.url]));
}

/** A picked data file's blob URL and its own file name (whose extension says its format). */
export function localDataFile(name: string): { url: string; fileName: string } | undefined {
  return dataFiles.get(name);
}

/** The size of a picked file by its blob URL (a HEAD request does not work on blob: URLs). */
export function localFileSize(url: string): number | undefined {
  for (const entries of models.values()) for (const entry of Object.values(entries)) if (entry.url === url) return entry.size;
  for (const entry of dataFiles.values()) if (entry.url === url) return entry.size;
  return undefined;
}

export function notPickedError(name: string): Error {
  return new Error(`${name} is a local file or folder that is not picked in this page (links cannot carry files): pick it again in the set-up`);
}
