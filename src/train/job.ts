import { hubFiles } from '../hub/files.ts';
import type { ModelFiles } from '../model/files.ts';
import { fileUrlMapFiles, urlFiles } from '../hub/url-files.ts';
import { loadXnliRows } from '../hub/xnli.ts';
import type { NliRow, XnliSplit } from '../data/xnli-facts.ts';
import { formatDownloadProgress, type DownloadProgress } from '../hub/download.ts';
import { readNliFile } from '../data/nli-files.ts';
import { indicesHash, sampleIndices } from '../data/numpy-random.ts';
import { loadSequenceClassifier, type SequenceClassifier } from '../model/classifier.ts';
import { PairTokenizer, loadTokenizerFiles } from '../tokenize/pair-tokenizer.ts';
import { modelMaxPositions } from '../model/architecture.ts';
import { experimentName, type RunConfig } from '../config/run-config.ts';
import { SETTINGS } from '../config/settings.ts';
import { newRunId, type RunRecord } from './run-record.ts';
import type { JobEvent, JobProgress } from './events.ts';
import { train, totalTrainSteps, trainOptionsOf, type LabelledPair, type Technique, type TrainOptions } from './trainer.ts';
import { estimateTrainingMemory, wasmFitProblem } from '../model/memory-estimate.ts';
import { checkpointFiles } from './checkpoint.ts';
import type { CheckpointFile } from './checkpoint-stream.ts';
import type { AdamW } from './adamw.ts';
import { readResumePoint, resumeConflict, type ResumeSource } from './resume.ts';
import type { LoopState } from './trainer.ts';

/** Where rows come from: a file the host serves at a URL, or an XNLI subset on the Hub. */
export type DataSource = { kind: 'url'; url: string; name: string } | { kind: 'xnli'; language: string; split: XnliSplit };

export interface ModelSource {
  /** What the user named: a Hub id or a folder. */
  name: string;
  endpoint: string;
  repo: string;
  revision: string;
  /** A folder at a plain URL (`<url>/config.json`, ...) instead of a Hub repository, e.g. the page's embedded demo. */
  url?: string;
  /** Files each at a URL of their own (blob: URLs of a folder picked in the page), by file name. */
  fileUrls?: Record<string, string>;
}

export interface TrainJob {
  config: RunConfig;
  models: ModelSource[];
  train: DataSource;
  eval: Record<string, DataSource>;
  token?: string;
  /** Tags describing where the run trained (backend, adapter). */
  environment: Record<string, string>;
  /** Appended to each run's name (`<model>-<technique>-<suffix>`), so that a page's runs are told apart. */
  runNameSuffix?: string;
}

/** Where a job's events and checkpoints go. */
export interface JobOutput {
  /** Each event, in order; the job waits for what a run's or metrics' event returns (the store has it then). */
  report(event: JobEvent): void | Promise<void>;
  /** Stores the checkpoint's files, streaming them (src/train/checkpoint-stream.ts); training waits for it. */
  checkpoint(run: RunRecord, step: number, files: CheckpointFile[]): void | Promise<void>;
}

async function loadRows(source: DataSource, endpoint: string, token: string | undefined, onProgress?: (p: DownloadProgress) => void, language?: string): Promise<NliRow[]> {
  if (source.kind === 'xnli') return loadXnliRows({ endpoint, language: source.language, split: source.split, token }, { onProgress });
  let response: Response;
  try {
    response = await fetch(source.url);
  } catch (error) {
    throw new Error(`could not read ${source.name}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not read ${source.name}: HTTP ${response.status}`);
  return readNliFile(await response.arrayBuffer(), source.name, { language });
}

/** The training rows the reference draws: the first N of numpy's default_rng(seed).permutation, or file order. */
export async function drawTrainingRows(rows: NliRow[], config: Pick<RunConfig, 'numTrainExamples' | 'seed' | 'shuffle'>) {
  const count = Math.min(config.numTrainExamples, rows.length);
  const indices = config.shuffle ? sampleIndices(config.seed, rows.length, count) : Uint32Array.from({ length: count }, (_, i) => i);
  return { rows: Array.from(indices, (i) => rows[i]), indices, hash: await indicesHash(indices) };
}

function flatten(prefix: string, value: unknown, out: Record<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else {
    out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/** The training arguments under transformers' names, then the model's config.json fields, as the MLflow callback logs them. */
export function runParams(job: TrainJob, model: SequenceClassifier, options: TrainOptions, runName: string, totalSteps: number, sample: { count: number; hash: string }): Record<string, string> {
  const params: Record<string, string> = {};
  flatten('', model.config.raw, params);
  const args: Record<string, unknown> = {
    output_dir: `${job.config.outputDir}/checkpoints/${runName}`,
    run_name: runName,
    ...Object.fromEntries(SETTINGS.filter((s) => s.hfName).map((s) => [s.hfName, options[s.key as keyof TrainOptions]])),
    per_device_eval_batch_size: options.evalBatchSize,
    evaluation_strategy: 'steps',
    max_grad_norm: options.maxGradNorm,
    adam_beta1: options.adam.beta1,
    adam_beta2: options.adam.beta2,
    adam_epsilon: options.adam.epsilon,
    weight_decay: options.adam.weightDecay,
    lr_scheduler_type: 'linear',
    warmup_steps: options.warmupSteps,
    optim: 'adamw_torch',
    technique: options.technique,
    total_train_steps: totalSteps,
    train_sample_seed: job.config.seed,
    train_sample_count: sample.count,
    train_sample_sha256: sample.hash,
    train_shuffle: options.shuffle,
    group_by_length: options.shuffle,
    feature_extraction_cache: Boolean(options.featureCache),
  };
  for (const [k, v] of Object.entries(args)) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return params;
}

/** What an interrupted job already did, by model name (as the job's `models` name them). */
export interface JobResume {
  /** Models whose runs finished: not trained again. */
  finished: string[];
  /** The interrupted run of a model, continued from its checkpoint (weights, optimizer, tokenizer). */
  runs: Record<string, ResumeSource>;
}

/**
 * Trains every model of the job in turn, each a run of its own. With `resume`, finished models are skipped and an
 * interrupted model's run continues from its checkpoint; the other models train from the start.
 */
export async function runTrainJob(job: TrainJob, output: JobOutput, shouldStop: () => boolean = () => false, jobResume?: JobResume): Promise<RunRecord[]> {
  const { config } = job;
  const runs: RunRecord[] = [];
  const log = (message: string) => output.report({ type: 'log', message });
  log(`reading training data (${job.train.kind === 'xnli' ? `XNLI ${job.train.language}/${job.train.split}` : job.train.name})`);
  // Download progress goes out as 'data' progress lines of a pseudo-run named "download" (the CLI prints them).
  const onDownload = (p: DownloadProgress) => output.report({ type: 'progress', run: 'download', progress: { phase: 'data', message: formatDownloadProgress(p) } });
  const allTrainRows = await loadRows(job.train, config.hubEndpoint, job.token, onDownload, 'en');
  const sample = await drawTrainingRows(allTrainRows, config);
  log(`training on ${sample.rows.length} of ${allTrainRows.length} examples (seed ${config.seed}, sha256 ${sample.hash.slice(0, 12)}…)`);
  const evalRows: Record<string, NliRow[]> = {};
  for (const [language, source] of Object.entries(job.eval)) evalRows[language] = await loadRows(source, config.hubEndpoint, job.token, onDownload, language);

  for (const source of job.models) {
    if (shouldStop()) break;
    if (jobResume?.finished.includes(source.name)) {
      log(`${source.name}: its run finished already; not trained again`);
      continue;
    }
    const resume = jobResume?.runs[source.name];
    const runName = resume?.run.runName ?? [source.name.split('/').pop(), config.technique, job.runNameSuffix].filter(Boolean).join('-');
    const progress = (p: JobProgress) => output.report({ type: 'progress', run: runName, progress: p });
    const files: ModelFiles = source.fileUrls ? fileUrlMapFiles(source.fileUrls, source.name) : source.url ? urlFiles(source.url, source.name) : hubFiles({ endpoint: source.endpoint, repo: source.repo, revision: source.revision, token: job.token }, { onProgress: onDownload });
    progress({ phase: 'load', message: `loading ${source.name}` });
    const weights: ModelFiles = resume?.files ?? files;
    if (resume) progress({ phase: 'load', message: resume.files ? `continuing ${runName} from ${resume.files.describe}` : `restarting ${runName}: it stopped before its first checkpoint` });
    const model = await loadSequenceClassifier(weights, {
      seed: config.seed,
      onProgress: (p) => progress({ phase: 'load', message: `loading ${source.name}: ${p.stage}`, done: p.loaded, total: p.total }),
    });
    try {
      const { tokenizerJsonBytes, tokenizerJson, tokenizerConfig } = await loadTokenizerFiles(weights);
      const maxPositions = modelMaxPositions(model.config.raw as { max_position_embeddings?: number; model_type?: string });
      const tokenizer = PairTokenizer.fromJson(tokenizerJson, tokenizerConfig, {
        maxPositions: config.maxLength > 0 ? Math.min(config.maxLength, maxPositions ?? config.maxLength) : maxPositions,
      });
      const encode = (rows: NliRow[], what: string): LabelledPair[] =>
        rows.map((row, i) => {
          if (i % 2000 === 0) progress({ phase: 'tokenize', message: `tokenising ${what}`, done: i, total: rows.length });
          return { pair: tokenizer.encodePair(row.premise, row.hypothesis), label: row.label };
        });
      const trainSet = encode(sample.rows, 'training pairs');
      const evalSets = Object.fromEntries(Object.entries(evalRows).map(([language, rows]) => [language, encode(rows, `${language} validation pairs`)]));
      const options = trainOptionsOf(config);
      if (job.environment.backend === 'wasm') {
        // Refused before it starts: past WASM's 4 GiB a step stalls in the allocator instead of failing.
        const seqLen = trainSet.reduce((max, example) => Math.max(max, example.pair.inputIds.length), 0);
        const estimate = (technique: Technique) => estimateTrainingMemory(model.config, technique, options.batchSize, seqLen);
        const problem = wasmFitProblem(`${options.technique === 'fine-tune' ? 'fine-tuning' : 'feature-extraction of'} ${source.name} at batch ${options.batchSize}, ${seqLen} tokens`, estimate(options.technique), options.technique === 'fine-tune' ? estimate('feature-extraction') : undefined);
        if (problem) throw new Error(problem);
      }
      const totalSteps = totalTrainSteps(trainSet.length, options);
      const params = runParams(job, model, options, runName, totalSteps, { count: sample.rows.length, hash: sample.hash });
      const tags = { 'mlflow.runName': runName, 'mlflow.source.name': 'xnli-browser-trainer', 'mlflow.user': 'xnli-browser-trainer', model_name: source.name, ...job.environment };
      if (resume) {
        const conflict = resumeConflict(resume.run, params, source.name);
        if (conflict) throw new Error(`cannot resume ${runName}${resume.files ? ` from ${resume.files.describe}` : ''}: ${conflict}`);
      }
      const run: RunRecord = resume
        ? { ...resume.run, status: 'RUNNING', endTime: undefined, error: undefined, tags: { ...resume.run.tags, ...job.environment } }
        : { runId: newRunId(), runName, experimentName: experimentName(config.technique), status: 'RUNNING', startTime: Date.now(), params, tags, metrics: [] };
      runs.push(run);
      await output.report({ type: 'run', run });
      const extraFiles = { 'tokenizer.json': tokenizerJsonBytes, 'tokenizer_config.json': new TextEncoder().encode(JSON.stringify(tokenizerConfig, null, 2)) };
      const start = resume?.files ? await readResumePoint(model, weights, options.technique, options.adam) : undefined;
      if (start) progress({ phase: 'load', message: `resuming ${runName} at step ${start.globalStep} of ${totalSteps}` });
      try {
        const result = await train(model, { trainSet, evalSets, options, hooks: {
          onProgress: progress,
          onMetrics: async (points) => {
            run.metrics.push(...points);
            await output.report({ type: 'metrics', runId: run.runId, points });
          },
          onCheckpoint: async (step: number, optimizer: AdamW, loopState: LoopState) => {
            progress({ phase: 'save', message: `saving checkpoint-${step}` });
            const files = checkpointFiles(model, optimizer, { run, step, totalSteps, stepsPerEpoch: Math.ceil(trainSet.length / options.batchSize), options, extraFiles, loopState });
            await output.checkpoint(run, step, files);
          },
          shouldStop,
        }, padTokenId: tokenizer.padTokenId, maxLength: tokenizer.maxLength, resume: start });
        run.status = result.stopped ? 'KILLED' : 'FINISHED';
      } catch (error) {
        run.status = 'FAILED';
        run.error = (error as Error).message;
        throw error;
      } finally {
        start?.optimizer.dispose();
        run.endTime = Date.now();
        await output.report({ type: 'run', run });
      }
    } finally {
      model.dispose();
    }
  }
  return runs;
}

