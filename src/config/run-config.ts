import { XNLI_LANGUAGES } from '../data/xnli-facts.ts';
import { SETTINGS, settingDefaults, type Audience, type BackendChoice, type Technique } from './settings.ts';

export { BACKENDS, TECHNIQUES, type BackendChoice, type Technique } from './settings.ts';

/** One run configuration, whether it comes from the page's form, a URL query or the command line. */
export interface RunConfig {
  technique: Technique;
  modelNames: string[];
  evalLanguages: string[];
  outputDir: string;
  batchSize: number;
  /** Training examples kept (the reference's --num-train-batches, despite its name). */
  numTrainExamples: number;
  numTrainEpochs: number;
  evalSteps: number;
  seed: number;
  learningRate: number;
  loggingSteps: number;
  saveSteps: number;
  /** > 0 overrides the epochs. */
  maxSteps: number;
  /** 0: the tokenizer's model_max_length. */
  maxLength: number;
  backend: BackendChoice;
  /** A local XNLI-schema file to train on instead of the Hub's English XNLI. */
  trainFile?: string;
  /** Local evaluation files by language, instead of the Hub's validation splits. */
  evalFiles: Record<string, string>;
  shuffle: boolean;
  /** feature-extraction only: encoder features computed once per example, then only the head trains (faster; no encoder dropout). */
  featureExtractionCache?: boolean;
  hubEndpoint: string;
  revision: string;
  /** MLflow tracking URI: http(s):// logs live to a server, a path or file:// names the file store (default <outputDir>/mlruns). */
  mlflowTrackingUri?: string;
}

/** The reference's defaults (shared/REFERENCE.md), from the settings table. */
export const REFERENCE_DEFAULTS: RunConfig = settingDefaults();

/** A Hub model id or a folder path (local:<folder> names a model folder picked in the page). */
export const isModelName = (name: string) => /^(local:)?[\w.\-/]+$/.test(name);

/** One problem with a configuration: the setting it is about, and what is wrong in words that name no flag. */
export interface ConfigIssue {
  setting: keyof RunConfig;
  message: string;
}

/**
 * Every problem with a configuration, each naming its setting (so a form can mark the field). `audience` picks
 * how settings are named where it matters: the CLI's flags, or the page's fields.
 */
export function configIssues(config: RunConfig, audience: Audience = 'cli'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (setting: keyof RunConfig, message: string) => issues.push({ setting, message });
  const cli = audience === 'cli';
  for (const setting of SETTINGS) {
    const problem = setting.check?.(config[setting.key] as never, audience);
    if (problem) add(setting.key, problem);
  }
  // What no single value says: how settings go together.
  if (config.featureExtractionCache && config.technique !== 'feature-extraction') add('featureExtractionCache', 'the feature-extraction cache works with technique feature-extraction only');
  if (config.modelNames.length === 0) add('modelNames', cli ? 'name at least one model (--model-names), e.g. bert-base-multilingual-cased' : 'tick at least one model');
  for (const name of config.modelNames) {
    if (!isModelName(name)) add('modelNames', `"${name}" is not a Hub model id or a folder path`);
  }
  if (config.evalLanguages.length === 0 && Object.keys(config.evalFiles).length === 0) {
    add('evalLanguages', cli ? `name at least one evaluation language (--eval-datasets-names), from: ${XNLI_LANGUAGES.join(' ')}` : 'tick at least one evaluation language');
  }
  for (const language of config.evalLanguages) {
    if (!config.evalFiles[language] && !(XNLI_LANGUAGES as readonly string[]).includes(language)) {
      add('evalLanguages', `XNLI has no language "${language}"; choose from: ${XNLI_LANGUAGES.join(' ')}${cli ? ` (or give --eval-file ${language}=PATH)` : ''}`);
    }
  }
  return issues;
}

/** Every problem with a configuration, each one line naming the setting and what is allowed (the CLI's wording). */
export function validateRunConfig(config: RunConfig): string[] {
  return configIssues(config).map((issue) => issue.message);
}

/** The experiment of a run, as the reference names it. */
export function experimentName(technique: Technique): string {
  return `xnli_${technique}`;
}
