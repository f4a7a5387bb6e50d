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
