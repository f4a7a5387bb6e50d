import type { SequenceClassifier } from '../model/classifier.ts';
import { CLASSIFIER_ARCHITECTURES } from '../model/architecture.ts';
import type { AdamW } from './adamw.ts';
import { bytesFile, safetensorsFile, type CheckpointFile, type StreamedTensor } from './checkpoint-stream.ts';
import type { RunRecord } from './run-record.ts';
import type { LoopState, TrainOptions } from './trainer.ts';

/** config.json of the trained classifier, loadable by AutoModelForSequenceClassification. */
export function classifierConfig(model: SequenceClassifier): Record<string, unknown> {
  const labels = model.config.id2label;
  return {
    ...model.config.raw,
    architectures: [CLASSIFIER_ARCHITECTURES[model.config.modelType]],
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(labels.map((label, i) => [label, i])),
    problem_type: 'single_label_classification',
  };
}

/** The model's weights under their Hugging Face names, read back one tensor at a time as the file is written. */
export function modelSafetensorsFile(model: SequenceClassifier): CheckpointFile {
  return safetensorsFile('model.safetensors', model.parameters.map((p) => ({
    name: p.hfName, shape: p.variable.shape, read: async () => (await p.variable.data()) as Float32Array,
  })));
}

/** AdamW's moments under the parameters' Hugging Face names, with the step in the metadata, for resuming. */
function optimizerSafetensorsFile(model: SequenceClassifier, optimizer: AdamW): CheckpointFile {
  const tensors: StreamedTensor[] = [];
  for (const p of model.parameters) {
    const state = optimizer.stateOf(p.variable);
    if (!state) continue;
    tensors.push({ name: `${p.hfName}.exp_avg`, shape: p.variable.shape, read: async () => (await state.m.data()) as Float32Array });
    tensors.push({ name: `${p.hfName}.exp_avg_sq`, shape: p.variable.shape, read: async () => (await state.v.data()) as Float32Array });
  }
  return safetensorsFile('optimizer.safetensors', tensors, { format: 'pt', step: String(optimizer.step) });
}

export interface CheckpointContext {
  run: RunRecord;
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  options: TrainOptions;
  /** The tokenizer files, copied as they came. */
  extraFiles: Record<string, Uint8Array>;
  /** The training loop's running sums at this step (src/train/resume.ts reads them back). */
  loopState?: LoopState;
}

/** What trainer_state.json carries beyond transformers' fields, so a run resumes exactly where it was. */
export interface ResumeFields extends LoopState {
  /** Seeds the data order (one generator per epoch, from seed and epoch) and the dropout masks (seed and step). */
  seed: number;
  epoch_index: number;
  batch_in_epoch: number;
}

/**
 * A checkpoint folder in the Hugging Face Trainer's layout, as files streamed from the backend: the weights and
 * moments are read tensor by tensor while a writer takes them (src/train/checkpoint-stream.ts).
 */
export function checkpointFiles(model: SequenceClassifier, optimizer: AdamW, context: CheckpointContext): CheckpointFile[] {
  const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
  const logHistory = groupByStep(context.run);
  const trainerState = {
    global_step: context.step,
    epoch: context.step / context.stepsPerEpoch,
    max_steps: context.totalSteps,
    num_train_epochs: context.options.numTrainEpochs,
    train_batch_size: context.options.batchSize,
    logging_steps: context.options.loggingSteps,
    eval_steps: context.options.evalSteps,
    save_steps: context.options.saveSteps,
    log_history: logHistory,
    run_id: context.run.runId,
    ...(context.loopState ? { xnli_resume: resumeFields(context) } : {}),
  };
  return [
    bytesFile('config.json', json(classifierConfig(model))),
    modelSafetensorsFile(model),
    optimizerSafetensorsFile(model, optimizer),
    bytesFile('trainer_state.json', json(trainerState)),
    // Copies: each checkpoint's pieces are handed over (transferred) on their own.
    ...Object.entries(context.extraFiles).map(([name, bytes]) => bytesFile(name, bytes.slice())),
  ];
}

function resumeFields(context: CheckpointContext): ResumeFields {
  return {
    ...context.loopState!,
    seed: context.options.seed,
    epoch_index: Math.floor(context.step / context.stepsPerEpoch),
    batch_in_epoch: context.step % context.stepsPerEpoch,
  };
}

/** transformers' log_history: one entry per logging or evaluation event, with its step. */
function groupByStep(run: RunRecord): Array<Record<string, number>> {
  const entries = new Map<string, Record<string, number>>();
  for (const point of run.metrics) {
    const kind = point.key.startsWith('eval_') ? `eval_${point.key.split('_')[1]}` : point.key.startsWith('train_') || point.key === 'total_flos' ? 'train' : 'log';
    const id = `${point.step}:${kind}`;
    const entry = entries.get(id) ?? { step: point.step };
    entry[point.key] = point.value;
    entries.set(id, entry);
  }
  return [...entries.values()];
}
