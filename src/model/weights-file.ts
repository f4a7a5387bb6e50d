/**
 * A repository's weights as one safetensors buffer, whatever form the repository holds them in, preferring
 * safetensors: `model.safetensors`, its shards (`model.safetensors.index.json`), `pytorch_model.bin` (read by
 * src/model/torch-checkpoint.ts, no code run), its shards (`pytorch_model.bin.index.json`). Float16 and bfloat16
 * stay as they are here; the safetensors reader widens them to float32.
 */
import { fetchJson, MissingFileError, toArrayBuffer, type ModelFiles } from './files.ts';
import { entryFromBytes, openedFromBytes, openSafetensors, readSafetensors, writeSafetensors, type OpenedSafetensors, type SafetensorsEntry, type SafetensorsFile } from './safetensors.ts';
import { readTorchStateDict } from './torch-checkpoint.ts';

export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

export interface Weights {
  bytes: ArrayBuffer;
  /** The file (or index) they came from, for messages. */
  file: string;
}

/** A safetensors file of `files`, read a tensor at a time where the source allows it, else whole. */
export async function openSafetensorsIn(files: ModelFiles, name: string): Promise<OpenedSafetensors> {
  const source = `${name} of ${files.describe}`;
  if (files.openFile) return openSafetensors(await files.openFile(name), source);
  return openedFromBytes(readSafetensors(await files.fetchBytes(name), source));
}

export async function fetchWeights(files: ModelFiles): Promise<Weights> {
  let missing: MissingFileError | null = null;
  for (const file of WEIGHT_FILES) {
    try {
      return { bytes: await weightsFrom(files, file), file };
    } catch (error) {
      if (!(error instanceof MissingFileError) || error.fileName !== file) throw error;
      missing = error;
    }
  }
  const has = missing?.detail ? ` (${missing.detail})` : '';
  throw new Error(`no weights in ${files.describe}: it has none of ${WEIGHT_FILES.join(', ')}${has}; pick a model repository that has them.`);
}

async function weightsFrom(files: ModelFiles, file: (typeof WEIGHT_FILES)[number]): Promise<ArrayBuffer> {
  if (file === 'model.safetensors') return files.fetchBytes(file);
  if (file === 'pytorch_model.bin') return toArrayBuffer(writeSafetensors(readTorchStateDict(new Uint8Array(await files.fetchBytes(file)), `${file} of ${files.describe}`)));
  const index = await fetchJson<{ weight_map?: Record<string, string> }>(files, file);
  const shards = [...new Set(Object.values(index.weight_map ?? {}))];
  if (shards.length === 0) throw new Error(`${file} of ${files.describe} names no shards (no weight_map)`);
  const entries: Record<string, SafetensorsEntry> = {};
  for (const shard of shards) {
    const bytes = new Uint8Array(await files.fetchBytes(shard));
    Object.assign(entries, shard.endsWith('.safetensors') ? entriesOf(readSafetensors(bytes, `${shard} of ${files.describe}`)) : readTorchStateDict(bytes, `${shard} of ${files.describe}`));
  }
  return toArrayBuffer(writeSafetensors(entries));
}

/** A shard's tensors as entries in their own dtype (copied: the shard's buffer is let go). */
function entriesOf(file: SafetensorsFile): Record<string, SafetensorsEntry> {
  const out: Record<string, SafetensorsEntry> = {};
  for (const info of file.tensors.values()) {
    const entry = entryFromBytes(info.dtype, info.shape, file.bytes.slice(info.byteOffset, info.byteOffset + info.byteLength).buffer);
    if (entry) out[info.name] = entry;
  }
  return out;
}
