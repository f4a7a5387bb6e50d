// A folder of files as one zip, streamed through fflate without compression: safetensors data barely
// compresses, and storing keeps a gigabyte export fast. Parts stay separate until the Blob joins them.
import { Zip, ZipPassThrough } from 'fflate';

export function zipFolder(folder: string, files: Record<string, Uint8Array>): Blob {
  const parts: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else parts.push(chunk);
  });
  for (const [name, bytes] of Object.entries(files)) {
    const entry = new ZipPassThrough(`${folder}/${name}`);
    zip.add(entry);
    entry.push(bytes, true);
  }
  zip.end();
  if (failure) throw failure;
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'application/zip' });
}
