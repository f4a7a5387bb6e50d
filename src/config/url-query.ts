// The page's URL query ⇄ RunConfig, so a link reproduces a set-up. Keys are the CLI's flag names without the
// dashes (`batch-size=16`); lists are comma-separated. Every bad value is reported; none is silently replaced.
import { BACKENDS, configIssues, isModelName, REFERENCE_DEFAULTS, TECHNIQUES, type BackendChoice, type RunConfig } from './run-config.ts';
import type { Technique } from '../train/trainer.ts';
import { XNLI_LANGUAGES } from '../data/xnli-facts.ts';

/** The embedded offline demo (public/demo): a model folder and data files relative to the app. */
export const DEMO_MODEL = './demo/model';
export const DEMO_LANGUAGES = ['en', 'de', 'fr', 'es', 'ar', 'zh'] as const;
export const DEMO_TRAIN_FILE = './demo/xnli/en/train.parquet';
export const demoEvalFile = (language: string) => `./demo/xnli/${language}/validation.parquet`;
/**
 * How the demo trains, in the page's preset and the CLI's no-argument run alike: all 3,000 pairs of the sample,
 * 4 epochs of 150 batches of 20 (600 steps; a step of this tiny model costs about the same at 8 or 20 pairs, so
 * 20 learns more per second) at lr 1e-3 (at the reference's 5e-5 English stays near 53% in 600 steps). English
 * ends at ~94% and the other languages 3-33 points below it, in under a minute on a 2-core CPU (WASM; README,
 * "The embedded offline demo"). Evaluation once per epoch (4 points), the loss every 15 steps (40 points; every
 * epoch ends on one), a checkpoint every 200 steps (about 10 s here, so a reload mid-demo loses at most that).
 */
export const DEMO_TRAINING = { numTrainExamples: 3000, numTrainEpochs: 4, batchSize: 20, learningRate: 1e-3, evalSteps: 150, loggingSteps: 15, saveSteps: 200 } as const;

type NumberKey = 'batchSize' | 'numTrainExamples' | 'numTrainEpochs' | 'evalSteps' | 'seed' | 'learningRate' | 'loggingSteps' | 'saveSteps' | 'maxSteps' | 'maxLength';

const NUMBER_KEYS: Record<string, { key: NumberKey; integer: boolean }> = {
  'batch-size': { key: 'batchSize', integer: true },
  'num-train-batches': { key: 'numTrainExamples', integer: true },
  'num-train-epochs': { key: 'numTrainEpochs', integer: false },
  'eval-steps': { key: 'evalSteps', integer: true },
  seed: { key: 'seed', integer: true },
  'learning-rate': { key: 'learningRate', integer: false },
  'logging-steps': { key: 'loggingSteps', integer: true },
  'save-steps': { key: 'saveSteps', integer: true },
  'max-steps': { key: 'maxSteps', integer: true },
  'max-length': { key: 'maxLength', integer: true },
};

/** Keys the page itself reads that are not part of a run's set-up. */
const PAGE_KEYS = new Set(['endpoint']);
const OTHER_KEYS = ['technique', 'model-names', 'eval-datasets-names', 'backend', 'hub-endpoint', 'revision', 'data', 'no-shuffle', 'feature-extraction-cache'];

export interface QueryParseResult {
  config: RunConfig;
  /** One line per bad value, naming the key, the value and what is allowed. */
  errors: string[];
  /** The same problems, each with the setting it is about (`data`: the data source), for a form to mark. */
  issues: LinkIssue[];
  /** The keys the link set, so a page can tell a shared link from a bare visit. */
  keys: string[];
}

const formatKept = (value: unknown) => (Array.isArray(value) ? value.join(', ') || 'none' : String(value));

export interface LinkIssue {
  /** Absent: a key the app does not know. */
  setting?: keyof RunConfig | 'data';
  message: string;
}

const SETTING_OF_KEY: Record<string, LinkIssue['setting']> = {
  technique: 'technique', 'model-names': 'modelNames', 'eval-datasets-names': 'evalLanguages', backend: 'backend',
  'hub-endpoint': 'hubEndpoint', revision: 'revision', data: 'data', 'feature-extraction-cache': 'featureExtractionCache',
};

const list = (value: string) => value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);

export function usesDemoData(config: Pick<RunConfig, 'trainFile' | 'evalFiles' | 'evalLanguages'>): boolean {
  return config.trainFile === DEMO_TRAIN_FILE && config.evalLanguages.every((l) => config.evalFiles[l] === demoEvalFile(l));
}

/** Points the run at the demo's files for the given languages (those the demo has). */
export function withDemoData(config: RunConfig): RunConfig {
  const evalFiles: Record<string, string> = {};
  for (const language of config.evalLanguages) if ((DEMO_LANGUAGES as readonly string[]).includes(language)) evalFiles[language] = demoEvalFile(language);
  return { ...config, trainFile: DEMO_TRAIN_FILE, evalFiles };
}

/** A link's query → the set-up, on top of `base` (a preset); bad values keep the base's value and are listed. */
export function configFromQuery(query: URLSearchParams | string, base: RunConfig = REFERENCE_DEFAULTS): QueryParseResult {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const config: RunConfig = { ...base, modelNames: [...base.modelNames], evalLanguages: [...base.evalLanguages], evalFiles: { ...base.evalFiles } };
  const issues: LinkIssue[] = [];
  const keys: string[] = [];
  let demoData = false;
  for (const [key, raw] of params) {
    const value = raw.trim();
    if (PAGE_KEYS.has(key)) continue;
    keys.push(key);
    const numeric = NUMBER_KEYS[key];
    if (numeric) {
      const parsed = value === '' ? NaN : Number(value);
      if (!Number.isFinite(parsed) || (numeric.integer && !Number.isInteger(parsed))) {
        issues.push({ setting: numeric.key, message: `${key}=${raw}: not ${numeric.integer ? 'an integer' : 'a number'}; the form keeps ${base[numeric.key]}` });
      } else config[numeric.key] = parsed;
      continue;
    }
    switch (key) {
      case 'technique':
        if (TECHNIQUES.includes(value as Technique)) config.technique = value as Technique;
        else issues.push({ setting: SETTING_OF_KEY[key], message: `technique=${raw}: must be ${TECHNIQUES.join(' or ')}` });
        break;
      case 'model-names':
        config.modelNames = list(value);
        break;
      case 'eval-datasets-names':
        config.evalLanguages = list(value);
        break;
      case 'backend':
        if ((BACKENDS as readonly string[]).includes(value)) config.backend = value as BackendChoice;
        else issues.push({ setting: SETTING_OF_KEY[key], message: `backend=${raw}: must be one of ${BACKENDS.join(', ')}` });
        break;
      case 'hub-endpoint':
        config.hubEndpoint = value;
        break;
      case 'revision':
        if (value) config.revision = value;
        else issues.push({ setting: SETTING_OF_KEY[key], message: 'revision=: empty; give a branch, tag or commit' });
        break;
      case 'no-shuffle':
        config.shuffle = value === '0' || value === 'false';
        break;
      case 'feature-extraction-cache':
        config.featureExtractionCache = !(value === '0' || value === 'false');
        break;
      case 'data':
        if (value === 'demo') demoData = true;
        else issues.push({ setting: SETTING_OF_KEY[key], message: `data=${raw}: the only data preset is "demo" (the embedded offline sample)` });
        break;
      default:
        issues.push({ message: `${key}=${raw}: unknown setting; known: ${[...OTHER_KEYS, ...Object.keys(NUMBER_KEYS)].join(', ')}` });
    }
  }
  if (demoData) {
    const missing = config.evalLanguages.filter((l) => !(DEMO_LANGUAGES as readonly string[]).includes(l));
    if (missing.length) {
      issues.push({ setting: 'evalLanguages', message: `eval-datasets-names: the offline demo has no ${missing.join(', ')} data; it has ${DEMO_LANGUAGES.join(' ')}` });
      config.evalLanguages = config.evalLanguages.filter((l) => !missing.includes(l));
    }
  }
  // Only settings the link named are checked here: a link need not name a model to be valid. A value out of range
  // is handled like one that does not parse: the form keeps the base's value, and the problem names the setting.
  if (keys.length) {
    for (const issue of configIssues(demoData ? withDemoData(config) : config)) {
      if (issue.setting === 'modelNames' && /at least one model/.test(issue.message) && !params.has('model-names')) continue;
      if (issue.setting === 'evalLanguages' && /at least one evaluation language/.test(issue.message) && !params.has('eval-datasets-names')) continue;
      if (issues.some((known) => known.setting === issue.setting)) continue;
      if (issue.setting === 'evalLanguages') config.evalLanguages = config.evalLanguages.filter((l) => (XNLI_LANGUAGES as readonly string[]).includes(l));
      else if (issue.setting === 'modelNames') config.modelNames = config.modelNames.filter(isModelName);
      else (config as unknown as Record<string, unknown>)[issue.setting] = base[issue.setting];
      issues.push({ setting: issue.setting, message: `${issue.message}; the form keeps ${formatKept(config[issue.setting])}` });
    }
  }
  const result = demoData ? withDemoData(config) : config;
  return { config: result, errors: issues.map((i) => i.message), issues, keys };
}

/** The set-up → a query holding every setting that differs from the reference's defaults, plus models and languages. */
export function configToQuery(config: RunConfig): URLSearchParams {
  const params = new URLSearchParams();
  params.set('technique', config.technique);
  // Files picked in the page (local:...) cannot travel in a link; the Hub token is not part of RunConfig at all.
  const modelNames = config.modelNames.filter((name) => !name.startsWith('local:'));
  if (modelNames.length) params.set('model-names', modelNames.join(','));
  if (config.evalLanguages.length) params.set('eval-datasets-names', config.evalLanguages.join(','));
  for (const [name, { key }] of Object.entries(NUMBER_KEYS)) {
    if (config[key] !== REFERENCE_DEFAULTS[key]) params.set(name, String(config[key]));
  }
  if (config.backend !== REFERENCE_DEFAULTS.backend) params.set('backend', config.backend);
  if (config.hubEndpoint !== REFERENCE_DEFAULTS.hubEndpoint) params.set('hub-endpoint', config.hubEndpoint);
  if (config.revision !== REFERENCE_DEFAULTS.revision) params.set('revision', config.revision);
  if (!config.shuffle) params.set('no-shuffle', '1');
  if (config.featureExtractionCache) params.set('feature-extraction-cache', '1');
  if (usesDemoData(config)) params.set('data', 'demo');
  return params;
}
