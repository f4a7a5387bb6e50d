// Checkpoints as streams: each file has its size up front and produces its bytes piece by piece, a tensor at a
// time as it is read back from the backend, so a checkpoint never sits whole in memory. Whatever stores it (the
// CLI's output folder, the browser's OPFS, an export) takes the pieces in order through a CheckpointWriter. The
// most held at once is the largest tensor (mBERT's word embeddings: 367 MB; XLM-R's: 768 MB) plus one piece.
import { rawBytes, safetensorsLayout } from '../model/safetensors.ts';

/** One file of a checkpoint. `chunks()` may be called once; its pieces are the file's bytes in order. */
export interface CheckpointFile {
  name: string;
  size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

/** The name and size of each file, as a sink learns them before the first byte. */
export type CheckpointFileInfo = Pick<CheckpointFile, 'name' | 'size'>;

/** Where a checkpoint goes: every piece of every file in order, then commit, or abort when anything failed. */
export interface CheckpointWriter {
  write(name: string, bytes: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Small pieces (biases, LayerNorms) are gathered up to this size before they go out; large tensors go alone. */
export const CHECKPOINT_PIECE_BYTES = 8 * 1024 * 1024;

export function bytesFile(name: string, bytes: Uint8Array): CheckpointFile {
  return {
    name,
    size: bytes.byteLength,
    async *chunks() {
      yield bytes;
    },
  };
}

/** A tensor of a safetensors file: its values are read only when the writer gets to it. */
export interface StreamedTensor {
  name: string;
  shape: number[];
  read(): Promise<Float32Array>;
}

/** A float32 safetensors file (the reference Rust writer's layout), written tensor by tensor. */
export function safetensorsFile(name: string, tensors: StreamedTensor[], metadata: Record<string, string> = { format: 'pt' }): CheckpointFile {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const layout = safetensorsLayout(tensors.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape })), metadata);
  return {
    name,
    size: layout.totalBytes,
    async *chunks() {
      yield layout.header;
      for (const { name: tensor, byteLength } of layout.order) {
        const bytes = rawBytes(await byName.get(tensor)!.read());
        if (bytes.byteLength !== byteLength) throw new Error(`${name}: ${tensor} read ${bytes.byteLength} bytes, its shape needs ${byteLength}`);
        yield bytes;
      }
    },
  };
}

/** A file's pieces with the small ones gathered into pieces of up to `limit` bytes (fewer messages and writes). */
export async function* gathered(chunks: AsyncIterable<Uint8Array>, limit = CHECKPOINT_PIECE_BYTES): AsyncIterable<Uint8Array> {
  let buffer = new Uint8Array(0);
  let used = 0;
  for await (const chunk of chunks) {
    if (chunk.byteLength >= limit) {
      if (used > 0) yield buffer.slice(0, used);
      used = 0;
      yield chunk;
      continue;
    }
    if (used + chunk.byteLength > limit) {
      yield buffer.slice(0, used);
      used = 0;
    }
    if (buffer.byteLength < limit) buffer = new Uint8Array(limit);
    buffer.set(chunk, used);
    used += chunk.byteLength;
  }
  if (used > 0) yield buffer.slice(0, used);
}

/** Streams the files into the writer and commits; aborts the writer (and rethrows) when anything fails. */
export async function writeCheckpoint(files: CheckpointFile[], writer: CheckpointWriter): Promise<void> {
  try {
    for (const file of files) {
      let written = 0;
      for await (const piece of gathered(file.chunks())) {
        // Counted before it goes: a writer may transfer the buffer, which then reads as empty.
        written += piece.byteLength;
        await writer.write(file.name, piece);
      }
      if (written !== file.size) throw new Error(`${file.name}: ${written} bytes written, ${file.size} announced`);
    }
    await writer.commit();
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
}

/** The files whole, name → bytes: for small checkpoints and tests. */
export async function checkpointBytes(files: CheckpointFile[]): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const file of files) {
    const bytes = new Uint8Array(file.size);
    let offset = 0;
    for await (const chunk of file.chunks()) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    out[file.name] = bytes;
  }
  return out;
}
