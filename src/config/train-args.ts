import { REFERENCE_DEFAULTS, TECHNIQUES, type RunConfig, type Technique } from './run-config.ts';
import { SETTINGS, type Setting } from './settings.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Every flag of the settings table (aliases included), to its setting. */
const FLAGS = new Map<string, Setting>(SETTINGS.filter((s) => !s.positional).flatMap((s) => [s.flag, ...(s.aliases ?? [])].map((flag) => [flag, s] as const)));

export const TRAIN_FLAGS = [...FLAGS.keys()];

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
 * `env` supplies the defaults the table names a variable for: HF_ENDPOINT as huggingface_hub reads it, and
 * MLFLOW_TRACKING_URI as MLflow's clients do.
 */
export function parseTrainArgs(argv: string[], env: Record<string, string | undefined> = {}): RunConfig {
  const [technique, ...rest] = argv;
  if (!TECHNIQUES.includes(technique as Technique)) {
    throw new UsageError(`the first argument is the technique: fine-tune or feature-extraction, got "${technique ?? ''}"`);
  }
  const config: RunConfig = { ...REFERENCE_DEFAULTS, technique: technique as Technique, evalFiles: {} };
  const target = config as unknown as Record<string, unknown>;
  for (const s of SETTINGS) if (s.env && env[s.env]) target[s.key] = env[s.env];
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].startsWith('--') && rest[i].includes('=') ? [rest[i].slice(0, rest[i].indexOf('=')), rest[i].slice(rest[i].indexOf('=') + 1)] : [rest[i], undefined];
    const spec = FLAGS.get(flag);
    if (!spec) throw new UsageError(`unknown argument "${rest[i]}"; run xnli-train --help for the flags`);
    const next = () => (inline !== undefined ? inline : rest[++i]);
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
      case 'string':
      case 'choice': {
        const value = next();
        if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
        target[spec.key] = value;
        break;
      }
      case 'switch':
        target[spec.key] = !spec.negates;
        break;
      case 'pair': {
        const value = next() ?? '';
        const eq = value.indexOf('=');
        if (eq <= 0 || eq === value.length - 1) throw new UsageError(`${flag} takes ${spec.value}, got "${value}"`);
        (target[spec.key] as Record<string, string>)[value.slice(0, eq)] = value.slice(eq + 1);
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
  return config;
}
