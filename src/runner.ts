// Entry of runner.html: the page the CLI and the browser tests drive through `window.xnliRunner`.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, deviceLostMessage, type BackendInfo, type BackendName, type InitBackendOptions } from './backend/index.ts';
import { hubFiles, type HubLocation } from './hub/files.ts';
import { formatDownloadProgress } from './hub/download.ts';
import { registerAppShellWorker } from './sw/register.ts';
import { loadClassifierBundle, type ClassifierBundle, type ModelSummary } from './load-model.ts';
import { predictPairs, type Prediction, type SentencePair } from './predict.ts';
import type { TrainJob } from './train/job.ts';
import type { JobResumeRequest } from './train/worker-protocol.ts';
import type { RunRecord } from './train/run-record.ts';
import { stopTrainingOnRunner, trainOnRunner, type TrainEvent } from './train/runner-training.ts';
import { trainPrepared, type PreparedTrainingRequest, type PreparedTrainingResult } from './train/train-prepared.ts';
import { runnerStoreApi, type RunnerStoreApi } from './store/runner-api.ts';
import { checkpointModelFiles } from './store/checkpoints.ts';
import { loadPairTokenizer, type EncodedPair, type ModelConfigForTokenizer, type PairTokenizer } from './tokenize/pair-tokenizer.ts';

/** A padded batch as plain arrays, so it crosses `page.evaluate`. */
export interface PlainBatch {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  batchSize: number;
  seqLen: number;
}

export interface XnliRunner {
  init(preferred?: BackendName | null, options?: InitBackendOptions): Promise<BackendInfo>;
  /** Loads a model's classifier and tokenizer; `seed` initialises head weights the checkpoint lacks. */
  loadModel(location: HubLocation, options?: { seed?: number }): Promise<ModelSummary>;
  /** Loads only a tokenizer (for `tokenize`), e.g. from a tokenizer-only repository; returns its max length. */
  loadTokenizer(location: HubLocation, modelConfig?: ModelConfigForTokenizer): Promise<{ maxLength: number; padTokenId: number }>;
  predict(pairs: SentencePair[]): Promise<Prediction[]>;
  tokenize(pairs: SentencePair[]): EncodedPair[];
  logits(batch: PlainBatch): Promise<number[]>;
  numTensors(): number;
  /** The message of a lost WebGPU device, or null. */
  deviceLost(): string | null;
  /**
   * Runs a training job in the training worker: events go to `window.xnliTrainEvent`, checkpoint folders to
   * `outputUrl` (PUT per file, then POST ?commit). Resolves when every run has ended. With `resume`, finished
   * models are skipped and interrupted runs continue from their checkpoints (`checkpointUrl`, under `outputUrl`).
   */
  train(job: TrainJob, backend: BackendName | null, outputUrl: string, resume?: JobResumeRequest): Promise<RunRecord[]>;
  /** Asks a running job to stop after its current step; false when none runs. */
  stopTraining(): boolean;
  /** Runs, metric histories and checkpoints kept in this browser (src/store/). */
  store: RunnerStoreApi;
  /** Loads a stored checkpoint (the run's last when `step` is null) as the model `predict`/`logits` use. */
  loadCheckpoint(runId: string, step: number | null): Promise<ModelSummary>;
  /** Trains on tokenised examples in this page, reading back every step (the optimizer-parity tests). */
  trainPrepared(request: PreparedTrainingRequest): Promise<PreparedTrainingResult>;
}

declare global {
  interface Window {
    xnliRunner: XnliRunner;
    /** Installed by the CLI (page.exposeFunction) to print progress lines on its stderr. */
    xnliReportProgress?: (line: string) => void;
    /** Installed by the CLI to receive training events. */
    xnliTrainEvent?: (event: TrainEvent) => void;
  }
}

let bundle: ClassifierBundle | null = null;
/** The tokenizer `tokenize` uses: the model's, or one loaded alone with loadTokenizer. */
let activeTokenizer: PairTokenizer | null = null;

function requireModel(): ClassifierBundle {
  if (!bundle) throw new Error('no model loaded: call xnliRunner.loadModel first');
  return bundle;
}

const report = (line: string) => window.xnliReportProgress?.(line);

window.xnliRunner = {
  init: (preferred, options) => initBackend(preferred ?? undefined, options),
  async loadModel(location, options = {}) {
    bundle?.classifier.dispose();
    bundle = null;
    bundle = await loadClassifierBundle(hubFiles(location, { onProgress: (p) => report(formatDownloadProgress(p)) }), report, options);
    activeTokenizer = bundle.tokenizer;
    return bundle.summary;
  },
  async loadTokenizer(location, modelConfig) {
    activeTokenizer = await loadPairTokenizer(hubFiles(location), modelConfig);
    return { maxLength: activeTokenizer.maxLength, padTokenId: activeTokenizer.padTokenId };
  },
  predict(pairs) {
    const { classifier, tokenizer } = requireModel();
    return predictPairs(classifier, tokenizer, pairs, { onBatch: (done, total) => report(`predicted ${done}/${total} pairs`) });
  },
  tokenize(pairs) {
    const tokenizer = activeTokenizer;
    if (!tokenizer) throw new Error('no tokenizer loaded: call xnliRunner.loadModel or xnliRunner.loadTokenizer first');
    return pairs.map((pair) => tokenizer.encodePair(pair.premise, pair.hypothesis));
  },
  async logits(batch) {
    const { classifier } = requireModel();
    const logits = await classifier.predictLogits({
      inputIds: Int32Array.from(batch.inputIds),
      attentionMask: Int32Array.from(batch.attentionMask),
      tokenTypeIds: Int32Array.from(batch.tokenTypeIds),
      batchSize: batch.batchSize,
      seqLen: batch.seqLen,
    });
    return Array.from(logits);
  },
  numTensors: () => tf.memory().numTensors,
  deviceLost: () => deviceLostMessage(),
  train: (job, backend, outputUrl, resume) => trainOnRunner(job, backend, { outputUrl, resume, report: (event) => window.xnliTrainEvent?.(event) }),
  stopTraining: () => stopTrainingOnRunner(),
  store: runnerStoreApi(),
  async loadCheckpoint(runId, step) {
    bundle?.classifier.dispose();
    bundle = null;
    bundle = await loadClassifierBundle(await checkpointModelFiles(runId, step ?? undefined), report);
    activeTokenizer = bundle.tokenizer;
    return bundle.summary;
  },
  trainPrepared: (request) => trainPrepared(request),
};
// ?offline: keep the app shell for offline use (the page's index registers it always; the runner on request).
if (new URLSearchParams(location.search).has('offline')) void registerAppShellWorker();
document.documentElement.dataset.runnerReady = 'true';
