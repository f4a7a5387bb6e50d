/**
 * `pytorch_model.bin` (what `torch.save(state_dict)` writes) read without running any of it: a pickle machine that
 * knows only the opcodes and the handful of globals a state dict uses (OrderedDict, torch's tensor rebuilders and
 * storage types), and refuses anything else by name. Both of torch.save's formats: the zip archive (torch 1.6 and
 * later: `<name>/data.pkl` plus one stored file per storage) and the legacy stream (a pickle, the storage keys,
 * then each storage's bytes). Tensors come out as safetensors entries (float16 and bfloat16 kept as such; the
 * safetensors reader widens them), so the rest of the loader is the same for both formats.
 */
import { BYTES_PER_ELEMENT, entryFromBytes, type SafetensorsDtype, type SafetensorsEntry } from './safetensors.ts';

const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
/** The first pickle of the legacy format: this number, as a LONG1. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

export class TorchCheckpointError extends Error {
  constructor(file: string, detail: string) {
    super(`${file} cannot be read: ${detail}. Only state dicts saved by torch.save load (nothing in the file is run); convert the checkpoint to model.safetensors otherwise.`);
    this.name = 'TorchCheckpointError';
  }
}

interface Global { global: string }
interface StorageRef { storage: true; dtype: SafetensorsDtype; key: string }
interface TensorRef { tensor: true; storage: StorageRef; offset: number; size: number[]; stride: number[] }
type Value = unknown;

/** Every tensor of the state dict in `bytes`, by name. */
export function readTorchStateDict(bytes: Uint8Array, file = 'pytorch_model.bin'): Record<string, SafetensorsEntry> {
  const fail = (detail: string) => new TorchCheckpointError(file, detail);
  let stateDict: Value;
  let storageBytes: (ref: StorageRef) => Uint8Array;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const entries = zipEntries(bytes, fail);
    const pickleName = [...entries.keys()].find((name) => name.endsWith('/data.pkl') || name === 'data.pkl');
    if (!pickleName) throw fail('the zip has no data.pkl');
    const prefix = pickleName.slice(0, -'data.pkl'.length);
    const byteorder = entries.get(`${prefix}byteorder`);
    if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') throw fail('its tensors are big-endian');
    stateDict = new Unpickler(entries.get(pickleName)!, 0, fail).load();
    storageBytes = (ref) => {
      const data = entries.get(`${prefix}data/${ref.key}`);
      if (!data) throw fail(`storage ${ref.key} is missing from the zip`);
      return data;
    };
  } else {
    let offset = 0;
    const next = () => {
      const unpickler = new Unpickler(bytes, offset, fail);
      const value = unpickler.load();
      offset = unpickler.position;
      return value;
    };
    if (next() !== LEGACY_MAGIC) throw fail('it is neither a zip archive nor a legacy torch.save stream');
    next(); // protocol version
    next(); // sys info
    stateDict = next();
    const keys = next();
    if (!Array.isArray(keys)) throw fail('the legacy stream has no list of storage keys');
    const storages = new Map<string, Uint8Array>();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dtypes = new Map<string, SafetensorsDtype>();
    collectStorages(stateDict, dtypes);
    for (const key of keys as string[]) {
      const elements = Number(view.getBigInt64(offset, true));
      const length = elements * BYTES_PER_ELEMENT[dtypes.get(key) ?? 'F32'];
      offset += 8;
      if (offset + length > bytes.byteLength) throw fail(`storage ${key} runs past the end of the file`);
      storages.set(key, bytes.subarray(offset, offset + length));
      offset += length;
    }
    storageBytes = (ref) => storages.get(ref.key) ?? (() => { throw fail(`storage ${ref.key} is missing`); })();
  }
  if (!(stateDict instanceof Map)) throw fail('it holds no state dict (a dict of tensors) at the top');
  const out: Record<string, SafetensorsEntry> = {};
  for (const [name, value] of stateDict) {
    if (typeof name !== 'string' || !isTensor(value)) continue;
    const entry = materialise(value, storageBytes(value.storage), fail);
    if (entry) out[name] = entry;
  }
  return out;
}

const isTensor = (value: Value): value is TensorRef => typeof value === 'object' && value !== null && (value as TensorRef).tensor === true;

function collectStorages(value: Value, into: Map<string, SafetensorsDtype>): void {
  if (!(value instanceof Map)) return;
  for (const tensor of value.values()) if (isTensor(tensor)) into.set(tensor.storage.key, tensor.storage.dtype);
}

/** The tensor's elements in row-major order (a view with strides and an offset into its storage, copied out). */
function materialise(tensor: TensorRef, storage: Uint8Array, fail: (detail: string) => Error): SafetensorsEntry | null {
  const { dtype } = tensor.storage;
  const width = BYTES_PER_ELEMENT[dtype];
  const count = tensor.size.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(count * width);
  const contiguous = tensor.stride.every((s, i) => s === tensor.size.slice(i + 1).reduce((a, b) => a * b, 1) || tensor.size[i] === 1);
  if (contiguous) {
    const start = tensor.offset * width;
    if (start + out.byteLength > storage.byteLength) throw fail('a tensor reaches past its storage');
    out.set(storage.subarray(start, start + out.byteLength));
  } else {
    const index = new Array<number>(tensor.size.length).fill(0);
    for (let i = 0; i < count; i++) {
      const at = (tensor.offset + index.reduce((sum, k, d) => sum + k * tensor.stride[d]!, 0)) * width;
      out.set(storage.subarray(at, at + width), i * width);
      for (let d = index.length - 1; d >= 0 && ++index[d]! === tensor.size[d]; d--) index[d] = 0;
    }
  }
  return entryFromBytes(dtype, tensor.size, out.buffer);
}

/** The stored (uncompressed) files of a zip, by name, as views into `bytes` (torch.save never compresses). */
function zipEntries(bytes: Uint8Array, fail: (detail: string) => Error): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.byteLength - 22; i >= Math.max(0, bytes.byteLength - 22 - 65_557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw fail('the zip has no end of central directory (truncated?)');
  let count = view.getUint16(end + 10, true);
  let directory = view.getUint32(end + 16, true);
  if (directory === 0xffffffff || count === 0xffff) {
    const locator = end - 20;
    if (view.getUint32(locator, true) !== 0x07064b50) throw fail('a ZIP64 archive without its locator');
    const end64 = Number(view.getBigUint64(locator + 8, true));
    count = Number(view.getBigUint64(end64 + 32, true));
    directory = Number(view.getBigUint64(end64 + 48, true));
  }
  const entries = new Map<string, Uint8Array>();
  let at = directory;
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw fail('a damaged zip directory');
    const method = view.getUint16(at + 10, true);
    let size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field (id 1): the 64-bit sizes and offset, for those whose 32-bit field is full.
    for (let e = at + 46 + nameLength; e < at + 46 + nameLength + extraLength; ) {
      const id = view.getUint16(e, true);
      const length = view.getUint16(e + 2, true);
      if (id === 1) {
        let field = e + 4;
        if (view.getUint32(at + 24, true) === 0xffffffff) field += 8;
        if (size === 0xffffffff) (size = Number(view.getBigUint64(field, true))), (field += 8);
        if (local === 0xffffffff) local = Number(view.getBigUint64(field, true));
      }
      e += 4 + length;
    }
    if (method !== 0) throw fail(`${name} in the zip is compressed (method ${method}); torch.save stores files uncompressed`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + size > bytes.byteLength) throw fail(`${name} runs past the end of the file (truncated?)`);
    entries.set(name, bytes.subarray(start, start + size));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Python's pickle machine, reduced to what a state dict needs. */
class Unpickler {
  private readonly view: DataView;
  private readonly stack: Value[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, Value>();

  constructor(private readonly bytes: Uint8Array, public position: number, private readonly fail: (detail: string) => Error) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  load(): Value {
    const { view } = this;
    for (;;) {
      if (this.position >= this.bytes.byteLength) throw this.fail('the pickle ends before its STOP');
      const op = this.bytes[this.position++]!;
      switch (op) {
        case 0x80: this.position += 1; break; // PROTO
        case 0x95: this.position += 8; break; // FRAME
        case 0x2e: return this.stack.pop(); // STOP
        case 0x28: this.marks.push(this.stack.length); break; // MARK
        case 0x7d: this.stack.push(new Map()); break; // EMPTY_DICT
        case 0x5d: this.stack.push([]); break; // EMPTY_LIST
        case 0x29: this.stack.push([]); break; // EMPTY_TUPLE
        case 0x4e: this.stack.push(null); break; // NONE
        case 0x88: this.stack.push(true); break; // NEWTRUE
        case 0x89: this.stack.push(false); break; // NEWFALSE
        case 0x4b: this.stack.push(this.bytes[this.position++]); break; // BININT1
        case 0x4d: this.stack.push(view.getUint16(this.take(2), true)); break; // BININT2
        case 0x4a: this.stack.push(view.getInt32(this.take(4), true)); break; // BININT
        case 0x8a: this.stack.push(this.long(this.bytes[this.position++]!)); break; // LONG1
        case 0x47: this.stack.push(view.getFloat64(this.take(8), false)); break; // BINFLOAT
        case 0x58: this.stack.push(this.text(view.getUint32(this.take(4), true))); break; // BINUNICODE
        case 0x8c: this.stack.push(this.text(this.bytes[this.position++]!)); break; // SHORT_BINUNICODE
        case 0x55: this.stack.push(this.text(this.bytes[this.position++]!)); break; // SHORT_BINSTRING
        case 0x54: this.stack.push(this.text(view.getUint32(this.take(4), true))); break; // BINSTRING
        case 0x43: { const n = this.bytes[this.position++]!; this.stack.push(this.bytes.slice(this.position, (this.position += n))); break; } // SHORT_BINBYTES
        case 0x42: { const n = view.getUint32(this.take(4), true); this.stack.push(this.bytes.slice(this.position, (this.position += n))); break; } // BINBYTES
        case 0x71: this.memo.set(this.bytes[this.position++]!, this.top()); break; // BINPUT
        case 0x72: this.memo.set(view.getUint32(this.take(4), true), this.top()); break; // LONG_BINPUT
        case 0x94: this.memo.set(this.memo.size, this.top()); break; // MEMOIZE
        case 0x68: this.stack.push(this.recall(this.bytes[this.position++]!)); break; // BINGET
        case 0x6a: this.stack.push(this.recall(view.getUint32(this.take(4), true))); break; // LONG_BINGET
        case 0x74: this.stack.push(this.popMark()); break; // TUPLE
        case 0x85: this.stack.push([this.stack.pop()]); break; // TUPLE1
        case 0x86: { const b = this.stack.pop(); const a = this.stack.pop(); this.stack.push([a, b]); break; } // TUPLE2
        case 0x87: { const c = this.stack.pop(); const b = this.stack.pop(); const a = this.stack.pop(); this.stack.push([a, b, c]); break; } // TUPLE3
        case 0x61: { const item = this.stack.pop(); (this.top() as Value[]).push(item); break; } // APPEND
        case 0x65: { const items = this.popMark(); (this.top() as Value[]).push(...items); break; } // APPENDS
        case 0x73: { const value = this.stack.pop(); const key = this.stack.pop(); this.dict(this.top()).set(key, value); break; } // SETITEM
        case 0x75: { const items = this.popMark(); const dict = this.dict(this.top()); for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]); break; } // SETITEMS
        case 0x63: { const module = this.line(); const name = this.line(); this.stack.push(this.global(`${module}.${name}`)); break; } // GLOBAL
        case 0x93: { const name = this.stack.pop(); const module = this.stack.pop(); this.stack.push(this.global(`${module}.${name}`)); break; } // STACK_GLOBAL
        case 0x51: this.stack.push(this.persistent(this.stack.pop())); break; // BINPERSID
        case 0x52: { const args = this.stack.pop() as Value[]; const callable = this.stack.pop(); this.stack.push(this.reduce(callable, args)); break; } // REDUCE
        case 0x62: this.stack.pop(); break; // BUILD: the state (OrderedDict's _metadata) is not needed
        default: throw this.fail(`pickle opcode 0x${op.toString(16)} at byte ${this.position - 1} is not one a state dict uses`);
      }
    }
  }

  private take(n: number): number {
    const at = this.position;
    this.position += n;
    return at;
  }

  private top(): Value {
    return this.stack[this.stack.length - 1];
  }

  private text(n: number): string {
    return new TextDecoder().decode(this.bytes.subarray(this.position, (this.position += n)));
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    return this.text(end - this.position + 1).slice(0, -1);
  }

  private long(n: number): bigint | number {
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[this.position + i]!);
    if (n > 0 && this.bytes[this.position + n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
    this.position += n;
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private recall(key: number): Value {
    if (!this.memo.has(key)) throw this.fail(`the pickle refers to memo ${key} before setting it`);
    return this.memo.get(key);
  }

  private popMark(): Value[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.fail('the pickle pops a mark it never set');
    return this.stack.splice(mark);
  }

  private dict(value: Value): Map<Value, Value> {
    if (!(value instanceof Map)) throw this.fail('the pickle sets items on something that is not a dict');
    return value;
  }

  private global(name: string): Global {
    const allowed = name === 'collections.OrderedDict' || name.startsWith('torch._utils._rebuild_') || (name.startsWith('torch.') && name.slice(6) in STORAGE_DTYPES);
    if (!allowed) throw this.fail(`it names ${name}, which a state dict does not use`);
    return { global: name };
  }

  private persistent(id: Value): StorageRef {
    if (!Array.isArray(id) || id[0] !== 'storage') throw this.fail('a persistent id that is not a storage');
    const type = (id[1] as Global | undefined)?.global?.slice(6) ?? '';
    const dtype = STORAGE_DTYPES[type];
    if (!dtype) throw this.fail(`storage type ${type || String(id[1])} is not supported`);
    return { storage: true, dtype, key: String(id[2]) };
  }

  private reduce(callable: Value, args: Value[]): Value {
    const name = (callable as Global | null)?.global;
    if (name === 'collections.OrderedDict') return new Map();
    if (name === 'torch._utils._rebuild_tensor_v2' || name === 'torch._utils._rebuild_tensor') {
      const [storage, offset, size, stride] = args as [StorageRef, number, number[], number[]];
      if (!storage?.storage) throw this.fail('a tensor without a storage');
      return { tensor: true, storage, offset, size: [...size], stride: [...stride] } satisfies TensorRef;
    }
    if (name === 'torch._utils._rebuild_parameter' || name === 'torch._utils._rebuild_parameter_with_state') return args[0];
    throw this.fail(`it calls ${name ?? 'something'}, which a state dict does not`);
  }
}
