import { MissingFileError, type ModelFiles } from './files.ts';

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
  };
}

/** Files held in memory (a checkpoint the training worker sent), read like any other model folder. */
export function memoryFiles(files: Record<string, Uint8Array>, describe: string): ModelFiles {
  return {
    describe,
    async fetchBytes(name) {
      const bytes = files[name];
      if (!bytes) throw new MissingFileError(name, describe);
      return bytes.slice().buffer;
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
