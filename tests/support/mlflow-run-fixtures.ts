/** Realistic RunRecords for the tracking tests, with the metric names and cadence of the trainer. */
import type { MetricPoint, RunRecord, RunStatus } from '../../src/train/run-record.ts';

export const LANGUAGES = ['en', 'de', 'fr', 'es', 'ar', 'zh'];

interface RunShape {
  runId: string;
  runName: string;
  technique?: 'fine-tune' | 'feature-extraction';
  status: RunStatus;
  steps: number;
  loggingSteps?: number;
  evalSteps?: number;
  startTime?: number;
  error?: string;
  /** Step at which the loss becomes NaN (and stays NaN). */
  nanFromStep?: number;
}

export function trainingRun(shape: RunShape): RunRecord {
  const { steps, loggingSteps = 10, evalSteps = 100, startTime = 1_700_000_000_123 } = shape;
  const metrics: MetricPoint[] = [];
  let clock = startTime + 2_000;
  const at = (key: string, value: number, step: number) => metrics.push({ key, value, step, timestamp: clock });
  for (let step = 1; step <= steps; step++) {
    clock += 37;
    if (step % loggingSteps === 0) {
      const loss = shape.nanFromStep !== undefined && step >= shape.nanFromStep ? NaN : 1.1 * Math.exp(-step / 900) + 0.01 * Math.sin(step);
      at('loss', loss, step);
      at('learning_rate', 5e-5 * (1 - step / steps), step);
      at('grad_norm', 3.5 + Math.cos(step / 7), step);
      at('epoch', step / 375, step);
    }
    if (step % evalSteps === 0) {
      LANGUAGES.forEach((lang, i) => {
        clock += 1;
        at(`eval_${lang}_loss`, 1.0 - step / (steps * 3) + i / 100, step);
        at(`eval_${lang}_accuracy`, 0.33 + step / (steps * 2.5) - i / 50, step);
        at(`eval_${lang}_runtime`, 12.25 + i, step);
        at(`eval_${lang}_samples_per_second`, 203.2 - i, step);
        at(`eval_${lang}_steps_per_second`, 25.4, step);
        at('epoch', step / 375, step);
      });
    }
  }
  const terminated = shape.status !== 'RUNNING';
  if (shape.status === 'FINISHED') {
    clock += 5;
    at('train_runtime', (clock - startTime) / 1000, steps);
    at('train_samples_per_second', 30.75, steps);
    at('train_steps_per_second', 3.844, steps);
    at('train_loss', 0.8123, steps);
    at('total_flos', 3.05e15, steps);
    at('padding_efficiency', 0.61, steps);
  }
  const technique = shape.technique ?? 'fine-tune';
  return {
    runId: shape.runId,
    runName: shape.runName,
    experimentName: `xnli_${technique}`,
    status: shape.status,
    startTime,
    ...(terminated ? { endTime: clock + 10 } : {}),
    params: {
      learning_rate: '5e-05',
      num_train_epochs: '3',
      per_device_train_batch_size: '8',
      eval_steps: String(evalSteps),
      logging_steps: String(loggingSteps),
      seed: '73',
      output_dir: `logs/checkpoints/${shape.runName}`,
      run_name: shape.runName,
      lr_scheduler_type: 'linear',
      model_type: 'bert',
      hidden_size: '768',
      _name_or_path: 'bert-base-multilingual-cased',
      architectures: '["BertForMaskedLM"]',
      'id2label.0': 'LABEL_0',
      technique,
    },
    tags: {
      'mlflow.runName': shape.runName,
      'mlflow.source.name': 'xnli-browser-trainer',
      'mlflow.user': 'xnli-browser-trainer',
      model_name: 'bert-base-multilingual-cased',
      backend: 'webgpu',
      adapter: 'SwiftShader Device (Subzero)',
    },
    metrics,
    ...(shape.error !== undefined ? { error: shape.error } : {}),
  };
}

/** Every metric's history, keyed, in logging order: what each export must reproduce. */
export function historiesOf(run: RunRecord): Record<string, { value: number; step: number; timestamp: number }[]> {
  const out: Record<string, { value: number; step: number; timestamp: number }[]> = {};
  for (const p of run.metrics) (out[p.key] ??= []).push({ value: p.value, step: p.step, timestamp: p.timestamp });
  return out;
}
