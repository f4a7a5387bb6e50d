import { REFERENCE_DEFAULTS, TECHNIQUES, type BackendChoice, type RunConfig } from './run-config.ts';
import type { Technique } from '../train/trainer.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

type FlagKind = 'list' | 'int' | 'float' | 'string' | 'switch' | 'pair';

/** The reference's flags (same names, same defaults) and ours. */
const FLAGS: Record<string, { kind: FlagKind; key: keyof RunConfig | 'evalFile' }> = {
  '--model-names': { kind: 'list', key: 'modelNames' },
  '--eval-datasets-names': { kind: 'list', key: 'evalLanguages' },
  '--output-dir': { kind: 'string', key: 'outputDir' },
  '--batch-size': { kind: 'int', key: 'batchSize' },
  '--num-train-batches': { kind: 'int', key: 'numTrainExamples' },
  '--num-train-samples': { kind: 'int', key: 'numTrainExamples' },
  '--num-train-epochs': { kind: 'float', key: 'numTrainEpochs' },
  '--eval-steps': { kind: 'int', key: 'evalSteps' },
  '--seed': { kind: 'int', key: 'seed' },
  '--learning-rate': { kind: 'float', key: 'learningRate' },
  '--logging-steps': { kind: 'int', key: 'loggingSteps' },
  '--save-steps': { kind: 'int', key: 'saveSteps' },
  '--max-steps': { kind: 'int', key: 'maxSteps' },
  '--max-length': { kind: 'int', key: 'maxLength' },
  '--backend': { kind: 'string', key: 'backend' },
  '--train-file': { kind: 'string', key: 'trainFile' },
  '--eval-file': { kind: 'pair', key: 'evalFile' },
  '--no-shuffle': { kind: 'switch', key: 'shuffle' },
  '--feature-extraction-cache': { kind: 'switch', key: 'featureExtractionCache' },
  '--hub-endpoint': { kind: 'string', key: 'hubEndpoint' },
  '--revision': { kind: 'string', key: 'revision' },
  '--mlflow-tracking-uri': { kind: 'string', key: 'mlflowTrackingUri' },
};

export const TRAIN_FLAGS = Object.keys(FLAGS);

function parseNumber(flag: string, text: string | undefined, integer: boolean): number {
  if (text === undefined || text.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  const value = Number(text);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} takes ${integer ? 'an integer' : 'a number'}, got "${text}"`);
  }
  return value;
}

/**
 * `xnli-train <fine-tune|feature-extraction> [flags]` → a RunConfig on the reference's defaults.
 * `env` supplies HF_ENDPOINT as the default Hub endpoint, as huggingface_hub does, and MLFLOW_TRACKING_URI as
 * MLflow's clients read it.
 */
export function parseTrainArgs(argv: string[], env: Record<string, string | undefined> = {}): RunConfig {
  const [technique, ...rest] = argv;
  if (!TECHNIQUES.includes(technique as Technique)) {
    throw new UsageError(`the first argument is the technique: fine-tune or feature-extraction, got "${technique ?? ''}"`);
  }
  const config: RunConfig = { ...REFERENCE_DEFAULTS, technique: technique as Technique, evalFiles: {} };
  if (env.HF_ENDPOINT) config.hubEndpoint = env.HF_ENDPOINT;
  if (env.MLFLOW_TRACKING_URI) config.mlflowTrackingUri = env.MLFLOW_TRACKING_URI;
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].startsWith('--') && rest[i].includes('=') ? [rest[i].slice(0, rest[i].indexOf('=')), rest[i].slice(rest[i].indexOf('=') + 1)] : [rest[i], undefined];
    const spec = FLAGS[flag];
    if (!spec) throw new UsageError(`unknown argument "${rest[i]}"; run xnli-train --help for the flags`);
    const next = () => (inline !== undefined ? inline : rest[++i]);
    const target = config as unknown as Record<string, unknown>;
    switch (spec.kind) {
      case 'list': {
        const values: string[] = inline !== undefined ? [inline] : [];
        while (inline === undefined && i + 1 < rest.length && !rest[i + 1].startsWith('--')) values.push(rest[++i]);
        if (values.length === 0) throw new UsageError(`${flag} needs at least one value`);
        target[spec.key] = values;
        break;
      }
      case 'int':
      case 'float':
        target[spec.key] = parseNumber(flag, next(), spec.kind === 'int');
        break;
      case 'string': {
        const value = next();
        if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
        target[spec.key] = value;
        break;
      }
      case 'switch':
        if (spec.key === 'shuffle') config.shuffle = false;
        else target[spec.key] = true;
        break;
      case 'pair': {
        const value = next() ?? '';
        const eq = value.indexOf('=');
        if (eq <= 0 || eq === value.length - 1) throw new UsageError(`--eval-file takes LANG=PATH, got "${value}"`);
        config.evalFiles[value.slice(0, eq)] = value.slice(eq + 1);
        break;
      }
    }
  }
  for (const language of Object.keys(config.evalFiles)) {
    if (!config.evalLanguages.includes(language)) config.evalLanguages.push(language);
  }
  if (config.featureExtractionCache && config.technique !== 'feature-extraction') {
    throw new UsageError('--feature-extraction-cache works with feature-extraction only: fine-tuning changes the features every step');
  }
  config.backend = config.backend as BackendChoice;
  return config;
}
