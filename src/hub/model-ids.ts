/**
 * The reference's four models by the short ids its write-up uses, and the ids the Hub lists them under today. The
 * Hub redirects the short ids; a redirected request that carries a token is preflighted, and a preflight that is
 * redirected fails in the browser, so the known ones are asked for by their current id from the start.
 */
export const LEGACY_MODEL_IDS: Readonly<Record<string, string>> = {
  'bert-base-multilingual-cased': 'google-bert/bert-base-multilingual-cased',
  'bert-base-multilingual-uncased': 'google-bert/bert-base-multilingual-uncased',
  'xlm-roberta-base': 'FacebookAI/xlm-roberta-base',
  'distilbert-base-multilingual-cased': 'distilbert/distilbert-base-multilingual-cased',
};

/** The id to ask the Hub for: the current one for a known legacy id, else the id as given. */
export function currentModelId(repo: string): string {
  return LEGACY_MODEL_IDS[repo] ?? repo;
}
