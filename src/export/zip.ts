// A folder of files as one zip, stored (no compression: safetensors data barely compresses, and storing keeps a
// gigabyte export fast). Written by hand rather than through fflate so that a file is never held whole: its CRC
// is computed over pieces read one at a time, and its data joins the Blob as the stored file itself where the
// store hands out one (OPFS), so a gigabyte export costs one piece of memory. Entries stay under 4 GiB (no zip64).
import type { ExportFile } from './hf-folder.ts';

const PIECE = 8 * 1024 * 1024;
const ZIP_LIMIT = 0xffffffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** MS-DOS date and time, as zip headers keep them. */
function dosDateTime(date: Date): { time: number; day: number } {
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    day: ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function header(size: number, fill: (view: DataView) => void, name: Uint8Array, nameAt: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size + name.byteLength);
  fill(new DataView(bytes.buffer));
  bytes.set(name, nameAt);
  return bytes;
}

/** The zip of `files` under `folder/`, as a Blob whose parts are headers and the files' own data. */
export async function zipFolder(folder: string, files: ExportFile[], now = new Date()): Promise<Blob> {
  const { time, day } = dosDateTime(now);
  const parts: BlobPart[] = [];
  const central: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  for (const file of files) {
    if (file.size >= ZIP_LIMIT) throw new Error(`${file.name} is ${file.size} bytes: a zip entry holds under 4 GiB; export to a folder instead`);
    let crc = 0;
    const pieces: BlobPart[] = [];
    for (let start = 0; start < file.size; start += PIECE) {
      const piece = await file.read(start, Math.min(start + PIECE, file.size));
      crc = crc32(piece, crc);
      // Where the store has the file as a Blob, its slices join the zip; otherwise the piece itself does.
      pieces.push(file.blob ? file.blob.slice(start, start + piece.byteLength) : (piece as Uint8Array<ArrayBuffer>));
    }
    const name = new TextEncoder().encode(`${folder}/${file.name}`);
    const common = (view: DataView, at: number) => {
      view.setUint16(at, 20, true); // version needed: 2.0
      view.setUint16(at + 2, 0x0800, true); // UTF-8 names
      view.setUint16(at + 4, 0, true); // stored
      view.setUint16(at + 6, time, true);
      view.setUint16(at + 8, day, true);
      view.setUint32(at + 10, crc, true);
      view.setUint32(at + 14, file.size, true);
      view.setUint32(at + 18, file.size, true);
      view.setUint16(at + 22, name.byteLength, true);
    };
    const local = header(30, (view) => {
      view.setUint32(0, 0x04034b50, true);
      common(view, 4);
    }, name, 30);
    central.push(header(46, (view) => {
      view.setUint32(0, 0x02014b50, true);
      view.setUint16(4, 20, true); // made by: 2.0
      common(view, 6);
      view.setUint32(42, offset, true);
    }, name, 46));
    parts.push(local, ...pieces);
    offset += local.byteLength + file.size;
    if (offset >= ZIP_LIMIT) throw new Error('the export is over 4 GiB: a zip without zip64 cannot hold it; export to a folder instead');
  }
  const centralSize = central.reduce((sum, entry) => sum + entry.byteLength, 0);
  const end = new Uint8Array(22);
  const view = new DataView(end.buffer);
  view.setUint32(0, 0x06054b50, true);
  view.setUint16(8, files.length, true);
  view.setUint16(10, files.length, true);
  view.setUint32(12, centralSize, true);
  view.setUint32(16, offset, true);
  return new Blob([...parts, ...central, end], { type: 'application/zip' });
}
