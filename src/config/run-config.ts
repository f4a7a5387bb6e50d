import type { Technique } from '../train/trainer.ts';

import { XNLI_LANGUAGES } from '../data/xnli-facts.ts';
export const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export const TECHNIQUES: readonly Technique[] = ['fine-tune', 'feature-extraction'];

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

/** The reference's defaults (shared/REFERENCE.md). */
export const REFERENCE_DEFAULTS: RunConfig = {
  technique: 'fine-tune',
  modelNames: [],
  evalLanguages: [],
  outputDir: 'logs',
  batchSize: 8,
  numTrainExamples: 15000,
  numTrainEpochs: 3,
  evalSteps: 500,
  seed: 73,
  learningRate: 5e-5,
  loggingSteps: 500,
  saveSteps: 500,
  maxSteps: -1,
  maxLength: 0,
  backend: 'auto',
  evalFiles: {},
  shuffle: true,
  hubEndpoint: 'https://huggingface.co',
  revision: 'main',
};

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
export function configIssues(config: RunConfig, audience: 'cli' | 'page' = 'cli'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (setting: keyof RunConfig, message: string) => issues.push({ setting, message });
  const cli = audience === 'cli';
  const positiveInt = (setting: keyof RunConfig, name: string, value: number) => {
    if (!Number.isInteger(value) || value <= 0) add(setting, `${name} must be a positive integer, got ${value}`);
  };
  if (!TECHNIQUES.includes(config.technique)) add('technique', `technique must be fine-tune or feature-extraction, got "${config.technique}"`);
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
  positiveInt('batchSize', 'batch size', config.batchSize);
  positiveInt('numTrainExamples', 'number of training examples', config.numTrainExamples);
  if (!(config.numTrainEpochs > 0)) add('numTrainEpochs', `number of epochs must be positive, got ${config.numTrainEpochs}`);
  positiveInt('evalSteps', 'eval steps', config.evalSteps);
  positiveInt('loggingSteps', 'logging steps', config.loggingSteps);
  positiveInt('saveSteps', 'save steps', config.saveSteps);
  if (!Number.isInteger(config.seed) || config.seed < 0) add('seed', `seed must be a non-negative integer, got ${config.seed}`);
  if (!(config.learningRate > 0 && config.learningRate < 1)) add('learningRate', `learning rate must be in (0, 1), got ${config.learningRate}`);
  if (!Number.isInteger(config.maxSteps) || config.maxSteps === 0 || config.maxSteps < -1) {
    add('maxSteps', cli ? `max steps must be a positive integer (or -1 for none), got ${config.maxSteps}` : `the step limit must be a positive integer (or empty for none), got ${config.maxSteps}`);
  }
  if (!Number.isInteger(config.maxLength) || config.maxLength < 0 || config.maxLength === 1 || config.maxLength === 2) {
    add('maxLength', `max length must be 0 (the model's) or an integer of at least 3, got ${config.maxLength}`);
  }
  if (!(BACKENDS as readonly string[]).includes(config.backend)) add('backend', `backend must be one of ${BACKENDS.join(', ')}, got "${config.backend}"`);
  if (!/^https?:\/\//.test(config.hubEndpoint)) add('hubEndpoint', `hub endpoint must be an http(s) URL, got "${config.hubEndpoint}"`);
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
