import { REFERENCE_DEFAULTS, type RunConfig } from '../config/run-config.ts';
import { DEMO_LANGUAGES, DEMO_MODEL, DEMO_TRAINING, withDemoData } from '../config/url-query.ts';

/** The four models of the reference write-up, under their current Hub ids. */
export const REFERENCE_MODELS = [
  'google-bert/bert-base-multilingual-cased',
  'google-bert/bert-base-multilingual-uncased',
  'FacebookAI/xlm-roberta-base',
  'distilbert/distilbert-base-multilingual-cased',
];

/** The six languages the reference write-up shows. */
export const WRITE_UP_LANGUAGES = ['en', 'de', 'fr', 'es', 'ar', 'zh'];

export interface Preset {
  id: string;
  title: string;
  description: string;
  config: RunConfig;
}

const base = (): RunConfig => ({ ...REFERENCE_DEFAULTS, evalFiles: {}, modelNames: [], evalLanguages: [] });

export const PRESETS: Preset[] = [
  {
    id: 'quick-demo',
    title: 'Quick demo',
    description: 'DistilBERT, 2,000 English examples, one epoch, four languages: minutes on a laptop GPU.',
    config: { ...base(), modelNames: ['distilbert/distilbert-base-multilingual-cased'], evalLanguages: ['en', 'de', 'es', 'zh'], numTrainExamples: 2000, numTrainEpochs: 1, batchSize: 16, evalSteps: 125, loggingSteps: 25, saveSteps: 125 },
  },
  {
    id: 'reference-run',
    title: 'Reference run',
    description: "The reference's defaults: four models, 15,000 examples, three epochs, evaluation every 500 steps (hours per model).",
    config: { ...base(), modelNames: [...REFERENCE_MODELS], evalLanguages: [...WRITE_UP_LANGUAGES] },
  },
  {
    id: 'offline-demo',
    title: 'Offline demo',
    description: 'The embedded 0.1M-parameter model and a synthetic six-language sample: no download, about half a minute on a laptop CPU.',
    config: withDemoData({ ...base(), modelNames: [DEMO_MODEL], evalLanguages: [...DEMO_LANGUAGES], ...DEMO_TRAINING }),
  },
];
