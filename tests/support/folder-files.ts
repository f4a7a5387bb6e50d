import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MissingFileError, type ModelFiles } from '../../src/model/files.ts';

/** A model folder on disk, for Node tests (the browser reaches folders through the Hub-like server). */
export function folderFiles(dir: string): ModelFiles {
  return {
    describe: dir,
    async fetchBytes(name) {
      try {
        const buf = await readFile(join(dir, name));
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingFileError(name, dir);
        throw error;
      }
    },
  };
}
