// A model's files, wherever they come from (the Hub, a URL folder, picked files, a stored checkpoint): what the
// model, the tokenizer, the store and the export read them through.
import type { RandomAccessFile } from './safetensors.ts';

/** Where a model's files come from: the Hub, a Hub-like mirror, a local folder served over HTTP, or picked files. */
export interface ModelFiles {
  /** Human-readable origin, used in error messages ("bert-base-multilingual-cased@main on https://huggingface.co"). */
  readonly describe: string;
  /** The file's bytes; throws MissingFileError when the file does not exist. */
  fetchBytes(name: string): Promise<ArrayBuffer>;
  /**
   * The file for reading in parts, where the source can (browser storage, HTTP ranges): large safetensors files
   * are then read a tensor at a time (src/model/weights-file.ts openSafetensorsIn). Throws MissingFileError too.
   */
  openFile?(name: string): Promise<RandomAccessFile>;
}

export class MissingFileError extends Error {
  constructor(readonly fileName: string, readonly origin: string, readonly detail = '') {
    super(`${fileName} not found in ${origin}${detail ? ` (${detail})` : ''}`);
    this.name = 'MissingFileError';
  }
}

export async function fetchJson<T = unknown>(files: ModelFiles, name: string): Promise<T> {
  return parseJsonFile<T>(await files.fetchBytes(name), name, files);
}

/** A fetched file's bytes as JSON; the error names the file and where it came from. */
export function parseJsonFile<T = unknown>(bytes: ArrayBuffer | Uint8Array, name: string, files: Pick<ModelFiles, 'describe'>): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new Error(`${name} from ${files.describe} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The bytes as an ArrayBuffer of exactly their length (the view's own buffer when it is the whole of it). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}
