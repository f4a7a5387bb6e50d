// Resuming a run from one of its checkpoints: the optimizer's moments and step, the loop's running sums, and
// the metric history cut back to the checkpoint's step.
import { fetchJson, type ModelFiles } from '../model/files.ts';
import type { SequenceClassifier } from '../model/classifier.ts';
import { openSafetensorsIn } from '../model/weights-file.ts';
import { AdamW, type AdamWConfig } from './adamw.ts';
import type { ResumeFields } from './checkpoint.ts';
import type { MetricPoint, RunRecord } from './run-record.ts';
import type { LoopState, ResumePoint, Technique } from './trainer.ts';

/** A run to continue: its record (history already cut back) and the files of the checkpoint to continue from. */
export interface ResumeSource {
  run: RunRecord;
  step: number;
  /**
   * The checkpoint's files: config.json, model.safetensors, optimizer.safetensors, trainer_state.json, tokenizer
   * files. Null for a run that stopped before its first checkpoint: it trains again from the start, as the same run.
   */
  files: ModelFiles | null;
}

/** The settings a run must keep to be continued: its parameter name and what the message calls it. */
const RESUME_SETTINGS: Array<[param: string, setting: string]> = [
  ['technique', 'technique'],
  ['per_device_train_batch_size', 'batch size'],
  ['train_sample_count', 'number of training examples'],
  ['train_sample_sha256', 'training sample (data file, seed or shuffle)'],
];

/**
 * Why `run` cannot be continued by a job of model `modelName` whose fresh run would log `params`, or null. One
 * line, naming the first setting that differs.
 */
export function resumeConflict(run: RunRecord, params: Record<string, string>, modelName: string): string | null {
  const recorded = run.tags.model_name;
  if (recorded !== undefined && recorded !== modelName) return `it trained the model ${recorded}, not ${modelName}`;
  for (const [param, setting] of RESUME_SETTINGS) {
    const before = run.params[param];
    if (before !== undefined && params[param] !== undefined && before !== params[param]) {
      return `its ${setting} was ${before}, this job's is ${params[param]}: use the same settings, or start a new run`;
    }
  }
  return null;
}

/** Logged once, at the end of a run: a resumed run logs them again when it ends. */
export const SUMMARY_METRICS = ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'train_loss', 'total_flos'];

/**
 * The history as it stood when the checkpoint at `step` was written: points of later steps are dropped (the
 * resumed run logs them again) and so are the end-of-run summaries.
 */
export function historyAtCheckpoint(points: readonly MetricPoint[], step: number): MetricPoint[] {
  return points.filter((p) => p.step <= step && !SUMMARY_METRICS.includes(p.key));
}

interface TrainerStateJson {
  global_step?: number;
  xnli_resume?: Partial<ResumeFields>;
}

/** The loop state a checkpoint recorded, or zero sums for checkpoints written without it (e.g. by transformers). */
export function loopStateOf(state: TrainerStateJson): LoopState {
  const saved = state.xnli_resume ?? {};
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  return {
    lossSinceLog: number(saved.lossSinceLog),
    stepsSinceLog: number(saved.stepsSinceLog),
    totalLoss: number(saved.totalLoss),
    realTokens: number(saved.realTokens),
    paddedTokens: number(saved.paddedTokens),
  };
}

/**
 * Reads a checkpoint's trainer_state.json and optimizer.safetensors into the point `train` continues from. The
 * model must already hold the checkpoint's weights. Every parameter the technique trains must have its moments
 * (a checkpoint from another technique or model is refused with the missing name).
 */
export async function readResumePoint(
  model: SequenceClassifier,
  files: ModelFiles,
  technique: Technique,
  adam: AdamWConfig,
): Promise<ResumePoint & { optimizer: AdamW }> {
  const state = await fetchJson<TrainerStateJson>(files, 'trainer_state.json');
  if (!Number.isInteger(state.global_step) || (state.global_step as number) < 0) {
    throw new Error(`trainer_state.json of ${files.describe} has no valid global_step; this checkpoint cannot be resumed`);
  }
  const source = `optimizer.safetensors of ${files.describe}`;
  // Read a tensor at a time where the store allows: the moments are twice the model's size.
  const file = await openSafetensorsIn(files, 'optimizer.safetensors');
  const step = Number(file.metadata.step ?? state.global_step);
  model.setTrainable(technique);
  const restored = [];
  for (const p of model.parameters.filter((p) => p.trainable)) {
    const m = file.tensors.get(`${p.hfName}.exp_avg`);
    const v = file.tensors.get(`${p.hfName}.exp_avg_sq`);
    if (!m || !v) {
      if (step === 0) continue;
      throw new Error(`${source} has no optimizer state for ${p.hfName}: it was written for another model or technique than ${technique}`);
    }
    const expected = p.variable.shape.join(',');
    if (m.shape.join(',') !== expected || v.shape.join(',') !== expected) {
      throw new Error(`${source}: the state of ${p.hfName} has shape [${m.shape}] but the parameter is [${p.variable.shape}]`);
    }
    restored.push({ variable: p.variable, m: m.name, v: v.name });
  }
  const optimizer = new AdamW(adam);
  try {
    optimizer.restore(step, []);
    for (const { variable, m, v } of restored) optimizer.restore(step, [{ variable, m: await file.readFloat32(m), v: await file.readFloat32(v) }]);
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  return { globalStep: state.global_step as number, optimizer, state: loopStateOf(state) };
}
