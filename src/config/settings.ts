// Every setting of a run, once: its key in RunConfig, its command-line flag (whose name without the dashes is its
// key in a link), default, form label, Hugging Face TrainingArguments name and help. The CLI's parser and usage
// text (train-args.ts), the page's link code (url-query.ts), the form's fields (ui/setup-panel.ts), the trainer's
// options and the logged params (train/job.ts) are all made from this table.
import type { RunConfig } from './run-config.ts';
import { XNLI_LANGUAGES } from '../data/xnli-facts.ts';
import type { TrainingTechnique } from '../model/classifier.ts';

export const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type Technique = TrainingTechnique;
export const TECHNIQUES: readonly Technique[] = ['fine-tune', 'feature-extraction'];

/** Who reads a problem: the CLI's user (settings named by flag) or the page's (by field). */
export type Audience = 'cli' | 'page';

/**
 * How a setting is written: `list` takes one or more values (comma-separated in a link); `switch` is a flag with no
 * value (`1` in a link); `pair` is LANG=PATH, repeatable.
 */
export type SettingKind = 'list' | 'int' | 'float' | 'string' | 'choice' | 'switch' | 'pair';

/** A number field of the page's form. */
export interface FormNumber {
  section: 'training' | 'advanced';
  step: 'any' | '1';
  min: string;
  /** The value an empty field stands for; absent: the field is required. */
  empty?: number;
  help?: string;
}

export interface Setting<K extends keyof RunConfig = keyof RunConfig> {
  key: K;
  /** The command-line flag; without its dashes, the setting's key in a link. */
  flag: string;
  /** The CLI takes it as its first argument, not as the flag. */
  positional?: true;
  /** Other flags that set it. */
  aliases?: string[];
  kind: SettingKind;
  default: RunConfig[K];
  /** The value's placeholder in the usage text. */
  value?: string;
  /** The usage text's line (wrapped at print). */
  help: string;
  /** The usage text's default, where the value alone does not say it. */
  defaultText?: string;
  /** One of the reference's own flags (same name, same default). */
  reference?: true;
  /** The environment variable that supplies the default, as the tool it comes from reads it. */
  env?: string;
  /** What the page's form calls it, where the form shows it. */
  label?: string;
  /** A number field of the form (other settings have controls of their own in the form). */
  form?: FormNumber;
  /** In links: a local path or an output folder means nothing on another machine. */
  inLinks: boolean;
  /** The TrainOptions field of the same name the trainer reads. */
  trains?: true;
  /** The name transformers' TrainingArguments give it, which the run's params log. */
  hfName?: string;
  /** `switch` only: the flag turns the setting off (`--no-shuffle`). */
  negates?: true;
  /** `choice` only. */
  choices?: readonly string[];
  /** What is wrong with a value, in words that name no flag; null when it is fine. */
  check?: (value: RunConfig[K], audience: Audience) => string | null;
}

/** "A or B", or "one of A, B, C": the values a choice allows, as problems with it say. */
export const allowedValues = (choices: readonly string[]) => (choices.length === 2 ? choices.join(' or ') : `one of ${choices.join(', ')}`);

const oneOf = (noun: string, choices: readonly string[]) => (value: string) => (choices.includes(value) ? null : `${noun} must be ${allowedValues(choices)}, got "${value}"`);

const positiveInteger = (noun: string) => (value: number) => (Number.isInteger(value) && value > 0 ? null : `${noun} must be a positive integer, got ${value}`);

const setting = <K extends keyof RunConfig>(spec: Setting<K>): Setting => spec as unknown as Setting;

const SAMPLE_HELP = 'English pairs drawn with the seed';

/** In the usage text's order: the reference's flags first. The technique is the CLI's first argument. */
export const SETTINGS: readonly Setting[] = [
  setting({ key: 'technique', flag: '--technique', kind: 'choice', choices: TECHNIQUES, default: 'fine-tune', positional: true, inLinks: true,
    help: 'fine-tune (all weights train) or feature-extraction (only the classifier head trains)', label: 'Technique',
    check: oneOf('technique', TECHNIQUES) }),
  setting({ key: 'modelNames', flag: '--model-names', kind: 'list', default: [], value: 'ID|DIR ...', reference: true, inLinks: true,
    help: 'Hub model ids or local model folders, trained one after the other', label: 'Models (trained one after the other)' }),
  setting({ key: 'evalLanguages', flag: '--eval-datasets-names', kind: 'list', default: [], value: 'LANG ...', reference: true, inLinks: true,
    help: `XNLI languages to evaluate on: ${XNLI_LANGUAGES.join(' ')}`, label: 'Evaluation languages (training is on English)' }),
  setting({ key: 'outputDir', flag: '--output-dir', kind: 'string', default: 'logs', value: 'DIR', reference: true, inLinks: false,
    help: 'checkpoints and run records go here' }),
  setting({ key: 'batchSize', flag: '--batch-size', kind: 'int', default: 8, value: 'N', reference: true, inLinks: true, trains: true, hfName: 'per_device_train_batch_size',
    help: 'training batch size', label: 'Batch size', check: positiveInteger('batch size'), form: { section: 'training', step: '1', min: '1' } }),
  setting({ key: 'numTrainExamples', flag: '--num-train-batches', aliases: ['--num-train-samples'], kind: 'int', default: 15000, value: 'N', reference: true, inLinks: true,
    help: 'training EXAMPLES kept, despite the name', label: 'Training examples', check: positiveInteger('number of training examples'), form: { section: 'training', step: '1', min: '1', help: SAMPLE_HELP } }),
  setting({ key: 'numTrainEpochs', flag: '--num-train-epochs', kind: 'float', default: 3, defaultText: '3.0', value: 'X', reference: true, inLinks: true, trains: true, hfName: 'num_train_epochs',
    help: 'epochs, a float', label: 'Epochs', check: (value) => (value > 0 ? null : `number of epochs must be positive, got ${value}`), form: { section: 'training', step: 'any', min: '0' } }),
  setting({ key: 'evalSteps', flag: '--eval-steps', kind: 'int', default: 500, value: 'N', reference: true, inLinks: true, trains: true, hfName: 'eval_steps',
    help: 'evaluate every N optimizer steps', label: 'Evaluate every (steps)', check: positiveInteger('eval steps'), form: { section: 'training', step: '1', min: '1' } }),
  setting({ key: 'seed', flag: '--seed', kind: 'int', default: 73, value: 'N', reference: true, inLinks: true, trains: true, hfName: 'seed',
    help: "seed of the training sample's shuffle", label: 'Seed', check: (value) => (Number.isInteger(value) && value >= 0 ? null : `seed must be a non-negative integer, got ${value}`), form: { section: 'advanced', step: '1', min: '0' } }),
  setting({ key: 'learningRate', flag: '--learning-rate', kind: 'float', default: 5e-5, defaultText: '5e-5', value: 'X', inLinks: true, trains: true, hfName: 'learning_rate',
    help: 'AdamW peak learning rate, decayed linearly to 0', label: 'Learning rate', check: (value) => (value > 0 && value < 1 ? null : `learning rate must be in (0, 1), got ${value}`), form: { section: 'training', step: 'any', min: '0' } }),
  setting({ key: 'loggingSteps', flag: '--logging-steps', kind: 'int', default: 500, value: 'N', inLinks: true, trains: true, hfName: 'logging_steps',
    help: 'log the mean loss every N steps', label: 'Log loss every (steps)', check: positiveInteger('logging steps'), form: { section: 'advanced', step: '1', min: '1' } }),
  setting({ key: 'saveSteps', flag: '--save-steps', kind: 'int', default: 500, defaultText: '500; also at the end', value: 'N', inLinks: true, trains: true, hfName: 'save_steps',
    help: 'checkpoint every N steps', label: 'Save a checkpoint every (steps)', check: positiveInteger('save steps'), form: { section: 'advanced', step: '1', min: '1', help: 'a reload or crash loses at most this much training' } }),
  setting({ key: 'maxSteps', flag: '--max-steps', kind: 'int', default: -1, defaultText: '-1, none', value: 'N', inLinks: true, trains: true, hfName: 'max_steps',
    help: 'stop after N steps, overriding the epochs', label: 'Stop after (steps)',
    check: (value, audience) => (Number.isInteger(value) && (value > 0 || value === -1) ? null
      : audience === 'cli' ? `max steps must be a positive integer (or -1 for none), got ${value}` : `the step limit must be a positive integer (or empty for none), got ${value}`), form: { section: 'advanced', step: '1', min: '1', empty: -1, help: 'empty: train every epoch' } }),
  setting({ key: 'maxLength', flag: '--max-length', kind: 'int', default: 0, defaultText: "the tokenizer's model_max_length", value: 'N', inLinks: true,
    help: 'truncate pairs to N tokens',
    check: (value) => (Number.isInteger(value) && (value === 0 || value >= 3) ? null : `max length must be 0 (the model's) or an integer of at least 3, got ${value}`) }),
  setting({ key: 'backend', flag: '--backend', kind: 'choice', choices: BACKENDS, default: 'auto', defaultText: 'auto, the best available', value: 'NAME', inLinks: true,
    help: BACKENDS.join(' | '), label: 'Training backend',
    check: oneOf('backend', BACKENDS) }),
  setting({ key: 'trainFile', flag: '--train-file', kind: 'string', default: undefined, value: 'PATH', inLinks: false,
    help: 'train on this XNLI parquet, JSONL (premise, hypothesis, label) or XNLI TSV', label: 'Training file (English)' }),
  setting({ key: 'evalFiles', flag: '--eval-file', kind: 'pair', default: {}, value: 'LANG=PATH', inLinks: false,
    help: 'evaluate LANG on this file instead of XNLI validation (repeatable; TSV: LANG rows)' }),
  setting({ key: 'shuffle', flag: '--no-shuffle', kind: 'switch', negates: true, default: true, inLinks: true, trains: true,
    help: 'file order, consecutive batches, no length grouping (exact comparisons)' }),
  setting({ key: 'featureExtractionCache', flag: '--feature-extraction-cache', kind: 'switch', default: undefined, inLinks: true,
    help: 'feature-extraction only: run the frozen encoder once per example (no encoder dropout), later epochs train only the head (about 3x faster over 3 epochs)',
    label: "Cache the frozen encoder's features (feature-extraction only: about 3x faster over 3 epochs, but no encoder dropout, unlike the reference)" }),
  setting({ key: 'hubEndpoint', flag: '--hub-endpoint', kind: 'string', default: 'https://huggingface.co', env: 'HF_ENDPOINT', value: 'URL', inLinks: true,
    help: 'Hub or mirror', label: 'Hub endpoint',
    check: (value) => (/^https?:\/\//.test(value) ? null : `hub endpoint must be an http(s) URL, got "${value}"`) }),
  setting({ key: 'mlflowTrackingUri', flag: '--mlflow-tracking-uri', kind: 'string', default: undefined, env: 'MLFLOW_TRACKING_URI', defaultText: '<output-dir>/mlruns', value: 'URI', inLinks: false,
    help: 'http(s)://host:port logs live to an MLflow server; a folder or file:// URI is the file store to write' }),
  setting({ key: 'revision', flag: '--revision', kind: 'string', default: 'main', value: 'REV', inLinks: true,
    help: 'model revision: branch, tag or commit', label: 'Revision (branch, tag or commit)' }),
];

const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));

/** The table's entry for a RunConfig key. */
export function settingOf(key: keyof RunConfig): Setting {
  const found = BY_KEY.get(key);
  if (!found) throw new Error(`no setting "${key}"`);
  return found;
}

/** The setting's key in a link: its flag without the dashes (`batch-size`). */
export const linkKey = (s: Setting) => s.flag.slice(2);

/** The keys the trainer reads under the same name. */
export const TRAINER_SETTINGS = SETTINGS.filter((s) => s.trains).map((s) => s.key);

/** `--flag VALUE   help (default: ...)`, wrapped at `width` columns, for the usage text. */
export function usageLines(settings: readonly Setting[], width = 118): string {
  const column = 34;
  return settings.map((s) => {
    const shown = s.defaultText ?? (['string', 'int', 'float', 'choice'].includes(s.kind) && s.default !== undefined ? String(s.default) : undefined);
    const fallback = s.env ? `$${s.env}${shown ? ` or ${shown}` : ''}` : shown;
    const aliases = s.aliases?.length ? `; alias ${s.aliases.join(', ')}` : '';
    const text = `${s.help}${fallback ? ` (default: ${fallback})` : ''}${aliases}`;
    return wrap(`  ${s.flag}${s.value ? ` ${s.value}` : ''}`.padEnd(column), text, column, width);
  }).join('\n');
}

function wrap(head: string, text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = head.length > indent ? `${head} ` : head;
  for (const word of text.split(' ')) {
    if (line.length + word.length > width && line.trim().length > 0 && line.length > indent) {
      lines.push(line.trimEnd());
      line = ' '.repeat(indent);
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

/** The defaults of every setting (the reference's, where it has the setting). */
export function settingDefaults(): RunConfig {
  const config: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    if (s.default !== undefined) config[s.key] = Array.isArray(s.default) ? [...s.default] : typeof s.default === 'object' ? { ...s.default } : s.default;
  }
  return config as unknown as RunConfig;
}
