// A classifier and its tokenizer, loaded together from one set of files (the Hub, a URL folder, picked files, a
// stored checkpoint): what the runner page and the page's predict form run.
import { fetchJson, type ModelFiles } from './model/files.ts';
import { loadSequenceClassifier, type SequenceClassifier } from './model/classifier.ts';
import { loadPairTokenizer, type PairTokenizer } from './tokenize/pair-tokenizer.ts';

export interface ModelSummary {
  /** Where the model came from ("org/name@main on http://..."). */
  source: string;
  modelType: string;
  numLabels: number;
  id2label: string[];
  /** Longest input in tokens (pairs are truncated to it). */
  maxLength: number;
  loadMs: number;
}

export interface ClassifierBundle {
  classifier: SequenceClassifier;
  tokenizer: PairTokenizer;
  summary: ModelSummary;
}

/** Loads a model's classifier and tokenizer from one set of files (config.json fetched once). */
export async function loadClassifierBundle(
  files: ModelFiles,
  report: (line: string) => void = () => {},
  options: { seed?: number } = {},
): Promise<ClassifierBundle> {
  const started = performance.now();
  const cached = memoized(files);
  const config = await fetchJson<{ max_position_embeddings?: number; model_type?: string }>(cached, 'config.json');
  report(`loading ${config.model_type ?? 'model'} from ${files.describe}`);
  const classifier = await loadSequenceClassifier(cached, {
    seed: options.seed,
    onProgress: ({ stage, loaded = 0, total }) => {
      // Per-variable progress would be hundreds of lines for a real model: report quarters.
      if (!total) report(stage);
      else if (loaded === total || Math.floor((4 * loaded) / total) > Math.floor((4 * (loaded - 1)) / total)) report(`${stage}: ${loaded}/${total}`);
    },
  });
  try {
    const tokenizer = await loadPairTokenizer(cached, config);
    const summary: ModelSummary = {
      source: files.describe,
      modelType: classifier.config.modelType,
      numLabels: classifier.config.numLabels,
      id2label: [...classifier.config.id2label],
      maxLength: tokenizer.maxLength,
      loadMs: Math.round(performance.now() - started),
    };
    return { classifier, tokenizer, summary };
  } catch (error) {
    classifier.dispose();
    throw error;
  }
}

/** The same files, small JSON ones fetched at most once (config.json is read by the model and the tokenizer). */
function memoized(files: ModelFiles): ModelFiles {
  const cache = new Map<string, Promise<ArrayBuffer>>();
  return {
    describe: files.describe,
    fetchBytes(name) {
      if (!name.endsWith('.json')) return files.fetchBytes(name);
      let bytes = cache.get(name);
      if (!bytes) {
        bytes = files.fetchBytes(name);
        cache.set(name, bytes);
        bytes.catch(() => cache.delete(name));
      }
      return bytes.then((b) => b.slice(0));
    },
  };
}
