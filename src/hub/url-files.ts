import { MissingFileError, type ModelFiles } from '../model/files.ts';
import type { RandomAccessFile } from '../model/safetensors.ts';

/** Files of a model folder served at a plain URL (`<baseUrl>/<file>`), e.g. the app's embedded demo model. */
export function urlFiles(baseUrl: string, describe = baseUrl): ModelFiles {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    describe,
    async fetchBytes(name) {
      let response: Response;
      try {
        response = await fetch(`${base}/${name}`);
      } catch (error) {
        throw new Error(`could not read ${name} of ${describe}: ${(error as Error).message}`);
      }
      if (response.status === 404) throw new MissingFileError(name, describe);
      if (!response.ok) throw new Error(`fetching ${name} of ${describe} failed: HTTP ${response.status}`);
      return response.arrayBuffer();
    },
    async openFile(name) {
      const url = `${base}/${name}`;
      const head = await fetch(url, { method: 'HEAD' }).catch((error: Error) => {
        throw new Error(`could not read ${name} of ${describe}: ${error.message}`);
      });
      if (head.status === 404) throw new MissingFileError(name, describe);
      const size = Number(head.headers.get('content-length'));
      // Without a plain length (or under compression, where it is not the file's), the file is read whole.
      if (!head.ok || !Number.isInteger(size) || head.headers.get('content-encoding')) return bytesFile(new Uint8Array(await this.fetchBytes(name)));
      return {
        size,
        async read(start, end) {
          if (end <= start) return new Uint8Array(0);
          const response = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
          if (!response.ok) throw new Error(`fetching bytes ${start}-${end - 1} of ${name} of ${describe} failed: HTTP ${response.status}`);
          const bytes = new Uint8Array(await response.arrayBuffer());
          // A server that ignores Range sends the whole file.
          return response.status === 206 ? bytes : bytes.slice(start, end);
        },
      };
    },
  };
}

/** Files opened only when first read (a stored checkpoint the playground may never be asked for). */
export function lazyFiles(open: () => Promise<ModelFiles>, describe: string): ModelFiles {
  let files: Promise<ModelFiles> | null = null;
  const opened = () => (files ??= open());
  return {
    describe,
    fetchBytes: async (name) => (await opened()).fetchBytes(name),
    async openFile(name) {
      const files = await opened();
      if (files.openFile) return files.openFile(name);
      return bytesFile(new Uint8Array(await files.fetchBytes(name)));
    },
  };
}

/** Bytes in memory as a RandomAccessFile. */
function bytesFile(bytes: Uint8Array): RandomAccessFile {
  return { size: bytes.byteLength, read: async (start, end) => bytes.slice(start, end) };
}

/** Files held in memory (a small checkpoint, tests), read like any other model folder. */
export function memoryFiles(files: Record<string, Uint8Array>, describe: string): ModelFiles {
  return {
    describe,
    async fetchBytes(name) {
      const bytes = files[name];
      if (!bytes) throw new MissingFileError(name, describe);
      return bytes.slice().buffer;
    },
    async openFile(name) {
      if (!files[name]) throw new MissingFileError(name, describe);
      return bytesFile(files[name]);
    },
  };
}

/**
 * Files each at a URL of its own, e.g. blob: URLs of a folder the user picked in the page (the page's dedicated
 * worker can fetch its blob URLs). A missing file names the files the folder does have.
 */
export function fileUrlMapFiles(fileUrls: Record<string, string>, describe: string): ModelFiles {
  return {
    describe,
    async fetchBytes(name) {
      const url = fileUrls[name];
      if (!url) throw new MissingFileError(name, describe, `the folder has ${Object.keys(fileUrls).sort().join(', ') || 'no files'}`);
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new Error(`could not read ${name} of ${describe} (was the page reloaded since the folder was picked?): ${(error as Error).message}`);
      }
      if (!response.ok) throw new Error(`reading ${name} of ${describe} failed: HTTP ${response.status}`);
      return response.arrayBuffer();
    },
  };
}
