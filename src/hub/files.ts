/** Where a model's files come from: the Hub, a Hub-like mirror, a local folder served over HTTP, or picked files. */
export interface ModelFiles {
  /** Human-readable origin, used in error messages ("bert-base-multilingual-cased@main on https://huggingface.co"). */
  readonly describe: string;
  /** The file's bytes; throws MissingFileError when the file does not exist. */
  fetchBytes(name: string): Promise<ArrayBuffer>;
}

export class MissingFileError extends Error {
  constructor(readonly fileName: string, readonly origin: string, detail = '') {
    super(`${fileName} not found in ${origin}${detail ? ` (${detail})` : ''}`);
    this.name = 'MissingFileError';
  }
}

export async function fetchJson<T = unknown>(files: ModelFiles, name: string): Promise<T> {
  const bytes = await files.fetchBytes(name);
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${name} from ${files.describe} is not valid JSON: ${(error as Error).message}`);
  }
}

export interface HubLocation {
  /** Base URL of the Hub or a mirror laid out like it, e.g. https://huggingface.co */
  endpoint: string;
  /** Repository id, e.g. google-bert/bert-base-multilingual-cased */
  repo: string;
  revision?: string;
  token?: string;
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export function resolveUrl({ endpoint, repo, revision = 'main' }: HubLocation, file: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** Files of a model repository, fetched from `<endpoint>/<repo>/resolve/<revision>/<file>`. */
export function hubFiles(location: HubLocation): ModelFiles {
  const describe = `${location.repo}@${location.revision ?? 'main'} on ${location.endpoint}`;
  return {
    describe,
    async fetchBytes(name) {
      const headers: Record<string, string> = {};
      if (location.token) headers.Authorization = `Bearer ${location.token}`;
      let response: Response;
      try {
        response = await fetch(resolveUrl(location, name), { headers });
      } catch (error) {
        throw new Error(`could not reach ${location.endpoint} for ${name} of ${describe}: ${(error as Error).message}. Check the network or the Hub endpoint.`);
      }
      if (response.status === 404) throw new MissingFileError(name, describe, 'wrong model id, revision or file name?');
      if (response.status === 401 || response.status === 403) {
        throw new Error(`access to ${name} of ${describe} was refused (HTTP ${response.status}): the repository is gated or private; give a Hugging Face token.`);
      }
      if (!response.ok) throw new Error(`fetching ${name} of ${describe} failed: HTTP ${response.status}`);
      return response.arrayBuffer();
    },
  };
}
