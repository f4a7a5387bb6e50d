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

/** Every problem with a configuration, each one line naming the setting and what is allowed. */
export function validateRunConfig(config: RunConfig): string[] {
  const errors: string[] = [];
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value <= 0) errors.push(`${name} must be a positive integer, got ${value}`);
  };
  if (!TECHNIQUES.includes(config.technique)) errors.push(`technique must be fine-tune or feature-extraction, got "${config.technique}"`);
  if (config.featureExtractionCache && config.technique !== 'feature-extraction') errors.push('the feature-extraction cache works with technique feature-extraction only');
  if (config.modelNames.length === 0) errors.push('name at least one model (--model-names), e.g. bert-base-multilingual-cased');
  for (const name of config.modelNames) {
    // local:<folder> names a model folder picked in the page.
    if (!/^(local:)?[\w.\-/]+$/.test(name)) errors.push(`"${name}" is not a Hub model id or a folder path`);
  }
  if (config.evalLanguages.length === 0 && Object.keys(config.evalFiles).length === 0) {
    errors.push(`name at least one evaluation language (--eval-datasets-names), from: ${XNLI_LANGUAGES.join(' ')}`);
  }
  for (const language of config.evalLanguages) {
    if (!config.evalFiles[language] && !(XNLI_LANGUAGES as readonly string[]).includes(language)) {
      errors.push(`XNLI has no language "${language}"; choose from: ${XNLI_LANGUAGES.join(' ')} (or give --eval-file ${language}=PATH)`);
    }
  }
  positiveInt('batch size', config.batchSize);
  positiveInt('number of training examples', config.numTrainExamples);
  if (!(config.numTrainEpochs > 0)) errors.push(`number of epochs must be positive, got ${config.numTrainEpochs}`);
  positiveInt('eval steps', config.evalSteps);
  positiveInt('logging steps', config.loggingSteps);
  positiveInt('save steps', config.saveSteps);
  if (!Number.isInteger(config.seed) || config.seed < 0) errors.push(`seed must be a non-negative integer, got ${config.seed}`);
  if (!(config.learningRate > 0 && config.learningRate < 1)) errors.push(`learning rate must be in (0, 1), got ${config.learningRate}`);
  if (!Number.isInteger(config.maxSteps) || config.maxSteps === 0 || config.maxSteps < -1) errors.push(`max steps must be a positive integer (or -1 for none), got ${config.maxSteps}`);
  if (!Number.isInteger(config.maxLength) || config.maxLength < 0 || config.maxLength === 1 || config.maxLength === 2) {
    errors.push(`max length must be 0 (the model's) or an integer of at least 3, got ${config.maxLength}`);
  }
  if (!(BACKENDS as readonly string[]).includes(config.backend)) errors.push(`backend must be one of ${BACKENDS.join(', ')}, got "${config.backend}"`);
  if (!/^https?:\/\//.test(config.hubEndpoint)) errors.push(`hub endpoint must be an http(s) URL, got "${config.hubEndpoint}"`);
  return errors;
}

/** The experiment of a run, as the reference names it. */
export function experimentName(technique: Technique): string {
  return `xnli_${technique}`;
}
