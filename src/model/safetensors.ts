/**
 * The safetensors format: 8-byte little-endian header length N, N bytes of JSON header
 * ({name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}), then the data.
 * Offsets are relative to the start of the data section.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the tensor's data within `SafetensorsFile.bytes`. */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  /** The whole file; tensor offsets are relative to its start. */
  bytes: Uint8Array;
  metadata: Record<string, string>;
  /** In file (offset) order. */
  tensors: Map<string, SafetensorsTensorInfo>;
}

export class SafetensorsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsFormatError';
  }
}

/** Parse and validate the header; no tensor data is copied. */
export function readSafetensors(input: ArrayBuffer | Uint8Array, source = 'safetensors file'): SafetensorsFile {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const headerLength = headerLengthOf(bytes, bytes.byteLength, source);
  const { metadata, tensors } = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength, source);
  return { bytes, metadata, tensors };
}

const formatError = (source: string, what: string) => new SafetensorsFormatError(`${source} is not a valid safetensors file: ${what}`);

/** The header's length from the file's first 8 bytes, checked against the file's size. */
function headerLengthOf(first: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || first.byteLength < 8) throw formatError(source, `only ${fileSize} bytes, fewer than the 8-byte header length (truncated download?)`);
  const headerLength = Number(new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > fileSize) {
    throw formatError(source, `header says ${headerLength} header bytes but the file has only ${fileSize - 8} after the length (truncated or not safetensors)`);
  }
  return headerLength;
}

/** The header JSON's tensors (offsets made absolute) and metadata, validated against the file's size. */
function parseHeader(headerBytes: Uint8Array, fileSize: number, source: string): Pick<SafetensorsFile, 'metadata' | 'tensors'> {
  const fail = (what: string) => formatError(source, what);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw fail('header is not a JSON object');
  const dataStart = 8 + headerBytes.byteLength;
  const dataLength = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const infos: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object') {
        for (const [key, value] of Object.entries(entry)) metadata[key] = String(value);
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) throw fail(`tensor ${name} has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw fail(`tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      throw fail(`tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
    if (end - begin !== expected) throw fail(`tensor ${name} (${dtype} ${JSON.stringify(shape)}) needs ${expected} bytes but data_offsets span ${end - begin}`);
    if (end > dataLength) throw fail(`tensor ${name} ends at data byte ${end} but the data section has only ${dataLength} bytes (truncated download?)`);
    infos.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], byteOffset: dataStart + begin, byteLength: end - begin });
  }
  infos.sort((a, b) => a.byteOffset - b.byteOffset);
  for (let i = 1; i < infos.length; i++) {
    if (infos[i].byteOffset < infos[i - 1].byteOffset + infos[i - 1].byteLength) throw fail(`tensors ${infos[i - 1].name} and ${infos[i].name} overlap`);
  }
  return { metadata, tensors: new Map(infos.map((info) => [info.name, info])) };
}

/** A file read in parts: browser storage and HTTP ranges can, so a large file need not be read whole. */
export interface RandomAccessFile {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
  /** The file as a Blob, where the store keeps it as one (an OPFS file): exports join it without reading it. */
  blob?: Blob;
}

/** A safetensors file whose tensors are read one at a time, when asked for. */
export interface OpenedSafetensors {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensorInfo>;
  readFloat32(name: string): Promise<Float32Array>;
}

/** Reads the header only; each tensor is read (and widened to float32) by readFloat32: at most one held at a time. */
export async function openSafetensors(file: RandomAccessFile, source = 'safetensors file'): Promise<OpenedSafetensors> {
  const headerLength = headerLengthOf(await file.read(0, Math.min(8, file.size)), file.size, source);
  const { metadata, tensors } = parseHeader(await file.read(8, 8 + headerLength), file.size, source);
  return {
    metadata,
    tensors,
    async readFloat32(name) {
      const info = tensors.get(name);
      if (!info) throw new Error(`tensor ${name} is not in ${source}`);
      const bytes = await file.read(info.byteOffset, info.byteOffset + info.byteLength);
      if (bytes.byteLength !== info.byteLength) throw new Error(`${source}: reading ${name} gave ${bytes.byteLength} of its ${info.byteLength} bytes`);
      return tensorToFloat32({ bytes, metadata, tensors: new Map([[name, { ...info, byteOffset: 0 }]]) }, name);
    },
  };
}

/** A whole file in memory, opened the same way. */
export function openedFromBytes(file: SafetensorsFile): OpenedSafetensors {
  return { metadata: file.metadata, tensors: file.tensors, readFloat32: async (name) => tensorToFloat32(file, name) };
}

/**
 * A tensor's values as float32. F32 data is a zero-copy view when 4-byte aligned (else one copy);
 * F16, BF16 and F64 are decoded into a new array. Integer tensors are refused: callers skip them.
 */
export function tensorToFloat32(file: SafetensorsFile, name: string): Float32Array {
  const info = file.tensors.get(name);
  if (!info) throw new Error(`tensor ${name} is not in the safetensors file`);
  const count = info.byteLength / BYTES_PER_ELEMENT[info.dtype];
  const absolute = file.bytes.byteOffset + info.byteOffset;
  switch (info.dtype) {
    case 'F32':
      if (absolute % 4 === 0) return new Float32Array(file.bytes.buffer, absolute, count);
      return new Float32Array(file.bytes.slice(info.byteOffset, info.byteOffset + info.byteLength).buffer);
    case 'F16':
    case 'BF16': {
      const bits = readUint16(file.bytes, info.byteOffset, count);
      const decode = info.dtype === 'F16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = decode(bits[i]);
      return out;
    }
    case 'F64': {
      const view = new DataView(file.bytes.buffer, absolute, info.byteLength);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    default:
      throw new Error(`tensor ${name} has dtype ${info.dtype}, which is not a floating-point weight`);
  }
}

export function isFloatDtype(dtype: SafetensorsDtype): boolean {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64';
}

function readUint16(bytes: Uint8Array, offset: number, count: number): Uint16Array {
  const absolute = bytes.byteOffset + offset;
  if (absolute % 2 === 0) return new Uint16Array(bytes.buffer, absolute, count);
  return new Uint16Array(bytes.slice(offset, offset + count * 2).buffer);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Round-to-nearest-even float32 → bfloat16 bits. */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  if (Number.isNaN(value)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Round-to-nearest-even float32 → IEEE half bits (overflow → ±Infinity, tiny → subnormal/zero). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  halfExponent = half >>> 10;
  return sign | half;
}

export type SafetensorsEntry =
  | { dtype?: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'F16' | 'BF16'; shape: number[]; data: Uint16Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array };

/**
 * A tensor's raw little-endian bytes (an ArrayBuffer of exactly them) as an entry for writeSafetensors: F32, F16,
 * BF16, I64 and I32 as they are, F64 narrowed to F32; null for the small integer and boolean kinds, which no
 * weight uses.
 */
export function entryFromBytes(dtype: SafetensorsDtype, shape: number[], raw: ArrayBuffer): SafetensorsEntry | null {
  switch (dtype) {
    case 'F32': return { dtype, shape, data: new Float32Array(raw) };
    case 'F16': case 'BF16': return { dtype, shape, data: new Uint16Array(raw) };
    case 'F64': return { dtype: 'F32', shape, data: Float32Array.from(new Float64Array(raw)) };
    case 'I64': return { dtype, shape, data: new BigInt64Array(raw) };
    case 'I32': return { dtype, shape, data: new Int32Array(raw) };
    default: return null;
  }
}

/** A tensor to be written: its name, dtype and shape (the values come separately). */
export interface SafetensorsTensorShape {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
}

/** Where each tensor of a safetensors file goes: the header bytes, then the tensors' data in `order`. */
export interface SafetensorsLayout {
  /** The 8-byte header length and the header JSON, padded with spaces to a multiple of 8 bytes. */
  header: Uint8Array;
  /** The tensors in file order, each with its byte length. */
  order: Array<SafetensorsTensorShape & { byteLength: number }>;
  /** Header plus data. */
  totalBytes: number;
}

/**
 * Lays tensors out as the reference Rust writer does: ordered by alignment (widest dtype first) then name,
 * contiguous offsets, header JSON padded with spaces to a multiple of 8 bytes. Knowing the layout up front lets a
 * file be written tensor by tensor (src/train/checkpoint-stream.ts) without ever holding it whole.
 */
export function safetensorsLayout(tensors: SafetensorsTensorShape[], metadata: Record<string, string> = { format: 'pt' }): SafetensorsLayout {
  const sorted = [...tensors].sort((a, b) => {
    const width = BYTES_PER_ELEMENT[b.dtype] - BYTES_PER_ELEMENT[a.dtype];
    return width !== 0 ? width : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const order = sorted.map((tensor) => {
    const byteLength = tensor.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[tensor.dtype];
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
    return { ...tensor, byteLength };
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const headerBytes = new Uint8Array(8 + padded).fill(0x20);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(padded), true);
  headerBytes.set(json, 8);
  return { header: headerBytes, order, totalBytes: headerBytes.byteLength + offset };
}

/** A typed array's bytes, as stored (little-endian). */
export function rawBytes(data: ArrayBufferView): Uint8Array {
  if (!littleEndian) throw new Error('safetensors files are little-endian; this platform is not');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Serialises tensors in memory (small files; large ones are streamed with safetensorsLayout). */
export function writeSafetensors(entries: Record<string, SafetensorsEntry>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const shapes = Object.entries(entries).map(([name, entry]) => {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.data.length !== count) {
      throw new Error(`writeSafetensors: ${name} has ${entry.data.length} values but shape ${JSON.stringify(entry.shape)} needs ${count}`);
    }
    return { name, dtype: entry.dtype ?? 'F32', shape: entry.shape };
  });
  const layout = safetensorsLayout(shapes, metadata);
  const out = new Uint8Array(layout.totalBytes);
  out.set(layout.header, 0);
  let position = layout.header.byteLength;
  for (const { name, byteLength } of layout.order) {
    out.set(rawBytes(entries[name].data), position);
    position += byteLength;
  }
  return out;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
