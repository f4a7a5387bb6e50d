import { readNliParquet, type NliRow } from '../data/nli-files.ts';

export const XNLI_REPO = 'facebook/xnli';
export type XnliSplit = 'train' | 'validation' | 'test';

export interface XnliLocation {
  endpoint: string;
  language: string;
  split: XnliSplit;
  token?: string;
}

function authHeaders(token?: string): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * The parquet files of one XNLI subset and split, as the Hub's API lists them
 * (`GET /api/datasets/facebook/xnli/parquet/<language>/<split>` → a JSON array of URLs), so file names are never guessed.
 */
export async function listXnliParquet({ endpoint, language, split, token }: XnliLocation): Promise<string[]> {
  const base = endpoint.replace(/\/+$/, '');
  const url = `${base}/api/datasets/${XNLI_REPO}/parquet/${encodeURIComponent(language)}/${split}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: authHeaders(token) });
  } catch (error) {
    throw new Error(`could not reach ${base} to list XNLI ${language}/${split}: ${(error as Error).message}. Check the network, or give local files (--train-file, --eval-file).`);
  }
  if (response.status === 404) throw new Error(`XNLI has no subset "${language}" with split "${split}" on ${base}.`);
  if (!response.ok) throw new Error(`listing XNLI ${language}/${split} on ${base} failed: HTTP ${response.status}`);
  const urls = (await response.json()) as unknown;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
    throw new Error(`the Hub's parquet listing for XNLI ${language}/${split} was not a list of URLs`);
  }
  return urls as string[];
}

/** Every row of one XNLI subset and split, in the Hub's order (the order the `datasets` library sees). */
export async function loadXnliRows(location: XnliLocation, onFile?: (done: number, total: number) => void): Promise<NliRow[]> {
  const urls = await listXnliParquet(location);
  const rows: NliRow[] = [];
  for (const [i, url] of urls.entries()) {
    // The token goes only to the endpoint itself, never to the storage host a file redirects to.
    const sameHost = new URL(url, location.endpoint).origin === new URL(location.endpoint).origin;
    const response = await fetch(url, { headers: sameHost ? authHeaders(location.token) : {} });
    if (!response.ok) throw new Error(`downloading ${url} failed: HTTP ${response.status}`);
    rows.push(...(await readNliParquet(await response.arrayBuffer(), `XNLI ${location.language}/${location.split} file ${i + 1}`)));
    onFile?.(i + 1, urls.length);
  }
  return rows;
}
