// The page's URL query ⇄ RunConfig, so a link reproduces a set-up. Keys are the CLI's flag names without the
// dashes (`batch-size=16`); lists are comma-separated. Every bad value is reported; none is silently replaced.
import { configIssues, isModelName, REFERENCE_DEFAULTS, type RunConfig } from './run-config.ts';
import { allowedValues, linkKey, SETTINGS, type Setting } from './settings.ts';
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

/** The settings a link can carry, by their key in it. */
const LINK_SETTINGS = new Map(SETTINGS.filter((s) => s.inLinks).map((s) => [linkKey(s), s]));
/** Keys the page itself reads that are not part of a run's set-up. */
const PAGE_KEYS = new Set(['endpoint']);
/** Not a setting: `data=demo` points the run at the embedded sample's files. */
const DATA_KEY = 'data';

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
    if (key === DATA_KEY) {
      if (value === 'demo') demoData = true;
      else issues.push({ setting: 'data', message: `data=${raw}: the only data preset is "demo" (the embedded offline sample)` });
      continue;
    }
    const setting = LINK_SETTINGS.get(key);
    if (!setting) {
      issues.push({ message: `${key}=${raw}: unknown setting; known: ${[...LINK_SETTINGS.keys(), DATA_KEY].join(', ')}` });
      continue;
    }
    const problem = readLinkValue(config, setting, key, raw, value, base);
    if (problem) issues.push({ setting: setting.key, message: problem });
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

/** Sets `setting` from a link's value; what is wrong with the value (the base's value kept), or null. */
function readLinkValue(config: RunConfig, setting: Setting, key: string, raw: string, value: string, base: RunConfig): string | null {
  const target = config as unknown as Record<string, unknown>;
  switch (setting.kind) {
    case 'int':
    case 'float': {
      const integer = setting.kind === 'int';
      const parsed = value === '' ? NaN : Number(value);
      if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) return `${key}=${raw}: not ${integer ? 'an integer' : 'a number'}; the form keeps ${formatKept(base[setting.key])}`;
      target[setting.key] = parsed;
      return null;
    }
    case 'choice':
      if (!setting.choices!.includes(value)) return `${key}=${raw}: must be ${allowedValues(setting.choices!)}`;
      target[setting.key] = value;
      return null;
    case 'list':
      target[setting.key] = list(value);
      return null;
    case 'switch': {
      const on = !(value === '0' || value === 'false');
      target[setting.key] = setting.negates ? !on : on;
      return null;
    }
    default:
      if (value === '') return `${key}=: empty; the form keeps ${formatKept(base[setting.key])}`;
      target[setting.key] = value;
      return null;
  }
}

/** The set-up → a query holding its technique, models and languages, and every other setting that differs from the reference's defaults. */
export function configToQuery(config: RunConfig): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, setting] of LINK_SETTINGS) {
    const value = config[setting.key];
    // Files picked in the page (local:...) cannot travel in a link; the Hub token is not part of RunConfig at all.
    if (setting.key === 'modelNames') {
      const names = config.modelNames.filter((name) => !name.startsWith('local:'));
      if (names.length) params.set(key, names.join(','));
    } else if (setting.key === 'technique') params.set(key, config.technique);
    else if (setting.kind === 'switch') {
      if (setting.negates ? value === false : value === true) params.set(key, '1');
    } else if (Array.isArray(value)) {
      if (value.join(',') !== (REFERENCE_DEFAULTS[setting.key] as string[]).join(',')) params.set(key, value.join(','));
    } else if (value !== REFERENCE_DEFAULTS[setting.key]) params.set(key, String(value));
  }
  if (usesDemoData(config)) params.set(DATA_KEY, 'demo');
  return params;
}
