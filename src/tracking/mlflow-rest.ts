/**
 * Live logging of one run to an MLflow tracking server over its REST API 2.0:
 * experiments/get-by-name (→ experiments/create when missing), runs/create, runs/log-batch within
 * the API's batch limits, runs/update with the final status and end time.
 *
 * Everything to send goes through a queue that is saved (QueueStorage) before any request, and an
 * item leaves it only when the server has acknowledged it; while the server is unreachable points
 * wait and go out when it is back. A request that failed without an answer may have been applied:
 * before sending its metrics again the logger reads their histories back (metrics/get-history) and
 * drops those already stored, so none is lost and none is stored twice.
 *
 * Wire format, from what a real MLflow 2.7.1 server does with other encodings (it silently stores 0):
 * NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity"; steps and timestamps as integers.
 */
import type { MetricPoint, RunRecord, RunStatus } from '../train/run-record.ts';
import {
  isValidMlflowKey,
  MAX_ENTITIES_PER_BATCH,
  MAX_ENTITY_KEY_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_TAG_VAL_LENGTH,
  mlflowSafeKey,
  REFERENCE_MAX_PARAM_VAL_LENGTH,
} from './mlflow-rules.ts';
import { jsonNumber } from './run-json.ts';
import { ERROR_TAG } from './mlflow-file-store.ts';

export interface WireMetric {
  key: string;
  value: number | 'NaN' | 'Infinity' | '-Infinity';
  timestamp: number;
  step: number;
}
interface KeyValue {
  key: string;
  value: string;
}

/** What the logger persists for a run: enough to resume after a reload or a CLI restart. */
export interface LoggerState {
  version: 1;
  experimentName: string;
  runName: string;
  userId: string;
  startTime: number;
  experimentId?: string;
  serverRunId?: string;
  /** Param values queued or sent: MLflow forbids changing one. */
  params: Record<string, string>;
  /** Our key → the key sent, per kind, so that a key maps the same way all run long. */
  keyMap: { metric: Record<string, string>; param: Record<string, string>; tag: Record<string, string> };
  queue: { params: KeyValue[]; tags: KeyValue[]; metrics: WireMetric[] };
  /** How many metrics at the head of the queue went out in a log-batch that got no answer: they may be stored already. */
  uncertain: number;
  /** Metric points the server has acknowledged, per key sent. */
  acknowledged: Record<string, number>;
  end?: { status: RunStatus; end_time: number };
  ended: boolean;
  /**
   * The run was continued from its checkpoint at `step`, so it logs again what came after it: points the server
   * holds for later steps (`stored`, read once, by key sent) are not sent twice; `reopen` sets it RUNNING again.
   */
  resumed?: { step: number; stored?: Record<string, number[]>; reopen: boolean };
}

/** Where the queue lives: IndexedDB in the page (idb-queue-storage.ts), a JSON file in the CLI (node/json-file-queue-storage.ts). */
export interface QueueStorage {
  load(id: string): Promise<LoggerState | undefined>;
  save(id: string, state: LoggerState): Promise<void>;
}

export class MemoryQueueStorage implements QueueStorage {
  private readonly states = new Map<string, string>();
  async load(id: string) {
    const text = this.states.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as LoggerState);
  }
  async save(id: string, state: LoggerState) {
    this.states.set(id, JSON.stringify(state));
  }
}

/** An error the server answered with ({"error_code", "message"}); retrying the same request will not help. */
export class MlflowApiError extends Error {
  constructor(readonly endpoint: string, readonly status: number, readonly errorCode: string, readonly serverMessage: string, server: string) {
    super(`MLflow server ${server} refused ${endpoint} (HTTP ${status}${errorCode ? ` ${errorCode}` : ''}): ${serverMessage}`);
    this.name = 'MlflowApiError';
  }
}

/** The server could not be reached (or a proxy said it is down): the queue waits and is sent later. */
export class MlflowUnreachableError extends Error {
  constructor(readonly endpoint: string, detail: string, server: string) {
    super(`MLflow server ${server} is unreachable (${endpoint}: ${detail}); points stay queued and are sent when it is back`);
    this.name = 'MlflowUnreachableError';
  }
}

export interface MlflowRestOptions {
  /** http(s)://host:port[/prefix] of the tracking server. */
  trackingUri: string;
  storage: QueueStorage;
  fetch?: typeof fetch;
  /** Extra request headers, e.g. Authorization for a server behind auth. */
  headers?: Record<string, string>;
  maxParamValueLength?: number;
  /** Retry delays while the server is unreachable; the last repeats. Empty: no automatic retries. */
  retryDelaysMs?: number[];
  /** Send as soon as something is queued (default true). With false, only flush() sends. */
  autoFlush?: boolean;
  onWarning?: (message: string) => void;
  /** A send failed: unreachable (will retry) or refused (stops until flush() is called again). */
  onError?: (error: Error) => void;
}

export interface FlushResult {
  /** Nothing is left to send. */
  done: boolean;
  pending: number;
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

export class MlflowRestLogger {
  private flushing: Promise<FlushResult> | undefined;
  private again = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryIndex = 0;
  private closed = false;
  readonly server: string;
  lastError: Error | undefined;

  private constructor(private readonly id: string, private readonly state: LoggerState, private readonly options: MlflowRestOptions) {
    this.server = options.trackingUri.replace(/\/+$/, '');
    if (!/^https?:\/\//i.test(this.server)) throw new Error(`MLflow live logging needs an http(s):// tracking URI, got '${options.trackingUri}'`);
  }

  /**
   * The logger of `run`: resumes the saved queue when there is one (same run id), else starts one
   * with the run's params, tags and metrics so far.
   */
  static async open(run: RunRecord, options: MlflowRestOptions): Promise<MlflowRestLogger> {
    const saved = await options.storage.load(run.runId);
    const state: LoggerState = saved ?? {
      version: 1,
      experimentName: run.experimentName,
      runName: run.runName,
      userId: run.tags['mlflow.user'] ?? 'unknown',
      startTime: Math.round(run.startTime),
      params: {},
      keyMap: { metric: {}, param: {}, tag: {} },
      queue: { params: [], tags: [], metrics: [] },
      uncertain: 0,
      acknowledged: {},
      ended: false,
    };
    const logger = new MlflowRestLogger(run.runId, state, options);
    if (!saved) {
      logger.enqueueTags({ 'mlflow.source.type': 'LOCAL', ...run.tags });
      logger.enqueueParams(run.params);
      logger.enqueueMetrics(run.metrics);
      await logger.save();
      logger.kick();
    }
    return logger;
  }

  get serverRunId(): string | undefined {
    return this.state.serverRunId;
  }

  get pending(): number {
    const q = this.state.queue;
    return q.params.length + q.tags.length + q.metrics.length + (this.state.end ? 1 : 0) + (this.state.serverRunId ? 0 : 1);
  }

  async logParams(params: Record<string, string>): Promise<void> {
    this.enqueueParams(params);
    await this.save();
    this.kick();
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    this.enqueueTags(tags);
    await this.save();
    this.kick();
  }

  async logMetrics(points: MetricPoint[]): Promise<void> {
    this.enqueueMetrics(points);
    await this.save();
    this.kick();
  }

  /** Ends the run on the server (after everything queued before it). */
  async finish(status: RunStatus, endTime: number, error?: string): Promise<void> {
    if (this.state.ended) return;
    if (error !== undefined) this.enqueueTags({ [ERROR_TAG]: error });
    this.state.end = { status, end_time: Math.round(endTime) };
    await this.save();
    this.kick();
  }

  /**
   * The run goes on from its checkpoint at `step`: what was queued for later steps is dropped (the resumed run
   * logs it again), and a run that had ended is set RUNNING again.
   */
  async resumeAt(step: number): Promise<void> {
    this.state.queue.metrics = this.state.queue.metrics.filter((m) => m.step <= step);
    // Points that went out unanswered are settled by the step check below, which covers every queued point.
    this.state.uncertain = 0;
    this.state.resumed = { step, reopen: this.state.ended || this.state.end !== undefined };
    this.state.ended = false;
    this.state.end = undefined;
    await this.save();
    this.kick();
  }

  /** Stops automatic retries (what is queued stays saved for a later open()). */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private warn(message: string) {
    this.options.onWarning?.(`MLflow run ${this.state.runName}: ${message}`);
  }

  private mapKey(kind: 'metric' | 'param' | 'tag', key: string): string {
    const map = this.state.keyMap[kind];
    if (map[key] !== undefined) return map[key];
    const taken = new Set(Object.values(map));
    let mapped = isValidMlflowKey(key) ? key : mlflowSafeKey(key);
    for (let n = 2; taken.has(mapped); n++) mapped = `${mlflowSafeKey(key).slice(0, MAX_ENTITY_KEY_LENGTH - String(n).length - 1)}_${n}`;
    if (mapped !== key) this.warn(`${kind} key '${key}' is not a valid MLflow key; sent as '${mapped}'`);
    map[key] = mapped;
    return mapped;
  }

  private enqueueParams(params: Record<string, string>) {
    const limit = this.options.maxParamValueLength ?? REFERENCE_MAX_PARAM_VAL_LENGTH;
    for (const [key, value] of Object.entries(params)) {
      if (value.length > limit) {
        this.warn(`param '${key}' left out: its value has ${value.length} characters, MLflow accepts at most ${limit} (as transformers' MLflowCallback does)`);
        continue;
      }
      const mapped = this.mapKey('param', key);
      const logged = this.state.params[mapped];
      if (logged === value) continue;
      if (logged !== undefined) throw new Error(`param '${key}' was already logged as '${logged}'; MLflow does not allow changing it to '${value}' within a run`);
      this.state.params[mapped] = value;
      this.state.queue.params.push({ key: mapped, value });
    }
  }

  private enqueueTags(tags: Record<string, string>) {
    for (const [key, value] of Object.entries(tags)) this.state.queue.tags.push({ key: this.mapKey('tag', key), value: value.slice(0, MAX_TAG_VAL_LENGTH) });
  }

  private enqueueMetrics(points: MetricPoint[]) {
    for (const p of points) {
      this.state.queue.metrics.push({ key: this.mapKey('metric', p.key), value: jsonNumber(p.value), timestamp: Math.round(p.timestamp), step: Math.round(p.step) });
    }
  }

  private save(): Promise<void> {
    return this.options.storage.save(this.id, this.state);
  }

  private kick() {
    if (this.options.autoFlush === false || this.closed) return;
    this.flush().catch(() => {
      // Reported through onError and lastError; a background flush has no caller to reject to.
    });
  }

  /** Sends everything queued. Resolves when the queue is empty; rejects with MlflowUnreachableError or MlflowApiError otherwise. */
  flush(): Promise<FlushResult> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    const run = async (): Promise<FlushResult> => {
      try {
        do {
          this.again = false;
          await this.sendAll();
        } while (this.again);
        this.retryIndex = 0;
        this.lastError = undefined;
        return { done: this.pending === 0, pending: this.pending };
      } catch (error) {
        this.lastError = error as Error;
        this.options.onError?.(error as Error);
        if (error instanceof MlflowUnreachableError) this.scheduleRetry();
        throw error;
      } finally {
        this.flushing = undefined;
      }
    };
    this.flushing = run();
    return this.flushing;
  }

  private scheduleRetry() {
    const delays = this.options.retryDelaysMs ?? [1000, 2000, 5000, 10000, 30000];
    if (this.closed || delays.length === 0 || this.retryTimer) return;
    const delay = delays[Math.min(this.retryIndex++, delays.length - 1)];
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  private async request(endpoint: string, body?: unknown, query?: Record<string, string>): Promise<any> {
    const url = new URL(`${this.server}/api/2.0/mlflow/${endpoint}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...this.options.headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new MlflowUnreachableError(endpoint, (error as Error).message, this.server);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      try {
        return text ? JSON.parse(text) : {};
      } catch {
        throw new MlflowApiError(endpoint, response.status, '', `the answer is not JSON: ${text.slice(0, 200)}`, this.server);
      }
    }
    if (TRANSIENT_STATUSES.has(response.status)) throw new MlflowUnreachableError(endpoint, `HTTP ${response.status}`, this.server);
    let code = '';
    let message = text.slice(0, 500) || response.statusText;
    try {
      const parsed = JSON.parse(text) as { error_code?: string; message?: string };
      code = parsed.error_code ?? '';
      message = parsed.message ?? message;
    } catch {
      // Not MLflow's JSON error body (a proxy's page, say): keep the text.
    }
    throw new MlflowApiError(endpoint, response.status, code, message, this.server);
  }

  private async ensureRun() {
    if (this.state.experimentId === undefined) {
      this.state.experimentId = await this.findOrCreateExperiment(this.state.experimentName);
      await this.save();
    }
    if (this.state.serverRunId === undefined) {
      const answer = await this.request('runs/create', {
        experiment_id: this.state.experimentId,
        user_id: this.state.userId,
        run_name: this.state.runName,
        start_time: this.state.startTime,
        tags: [{ key: 'mlflow.runName', value: this.state.runName }],
      });
      const runId = answer?.run?.info?.run_id ?? answer?.run?.info?.run_uuid;
      if (typeof runId !== 'string') throw new MlflowApiError('runs/create', 200, '', 'the answer holds no run.info.run_id', this.server);
      this.state.serverRunId = runId;
      await this.save();
    }
  }

  private async findOrCreateExperiment(name: string): Promise<string> {
    try {
      const found = await this.request('experiments/get-by-name', undefined, { experiment_name: name });
      return String(found.experiment.experiment_id);
    } catch (error) {
      if (!(error instanceof MlflowApiError) || error.errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw error;
    }
    try {
      const created = await this.request('experiments/create', { name });
      return String(created.experiment_id);
    } catch (error) {
      // Someone created it between our two calls.
      if (!(error instanceof MlflowApiError) || error.errorCode !== 'RESOURCE_ALREADY_EXISTS') throw error;
      const found = await this.request('experiments/get-by-name', undefined, { experiment_name: name });
      return String(found.experiment.experiment_id);
    }
  }

  /**
   * After a log-batch that got no answer: the server holds `acknowledged[key]` points of a key plus
   * those of the batch it applied (in order), so the surplus in its history says how many of the
   * unanswered points to drop from the head of the queue.
   */
  private async reconcileUncertain() {
    if (this.state.uncertain === 0) return;
    const head = this.state.queue.metrics.slice(0, this.state.uncertain);
    const drop = new Set<WireMetric>();
    for (const key of new Set(head.map((m) => m.key))) {
      const storedCount = await this.storedPointCount(key);
      const applied = Math.max(0, storedCount - (this.state.acknowledged[key] ?? 0));
      const ofKey = head.filter((m) => m.key === key);
      ofKey.slice(0, applied).forEach((m) => drop.add(m));
      this.state.acknowledged[key] = (this.state.acknowledged[key] ?? 0) + Math.min(applied, ofKey.length);
    }
    this.state.queue.metrics = [...head.filter((m) => !drop.has(m)), ...this.state.queue.metrics.slice(this.state.uncertain)];
    this.state.uncertain = 0;
    await this.save();
  }

  private async storedPointCount(key: string): Promise<number> {
    return (await this.storedSteps(key)).length;
  }

  /** The step of every point the server holds for `key`. */
  private async storedSteps(key: string): Promise<number[]> {
    const steps: number[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = { run_id: this.state.serverRunId!, metric_key: key };
      if (pageToken) query.page_token = pageToken;
      const page = await this.request('metrics/get-history', undefined, query);
      for (const point of page.metrics ?? []) steps.push(Number(point.step ?? 0));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return steps;
  }

  /** After resumeAt: reopens the run, and drops queued points of steps the server already holds for their key. */
  private async settleResumed() {
    const resumed = this.state.resumed;
    if (!resumed) return;
    if (resumed.reopen) {
      await this.request('runs/update', { run_id: this.state.serverRunId, run_uuid: this.state.serverRunId, status: 'RUNNING' });
      resumed.reopen = false;
    }
    if (!resumed.stored) {
      const stored: Record<string, number[]> = {};
      for (const key of Object.values(this.state.keyMap.metric)) {
        const steps = await this.storedSteps(key);
        this.state.acknowledged[key] = steps.length;
        stored[key] = steps.filter((step) => step > resumed.step);
      }
      resumed.stored = stored;
    }
    // Each stored point stands for one queued point of its key and step (a key may log twice at one step, as
    // `epoch` does with the loss and with an evaluation).
    const stored = resumed.stored;
    this.state.queue.metrics = this.state.queue.metrics.filter((m) => {
      const at = stored[m.key]?.indexOf(m.step) ?? -1;
      if (at >= 0) stored[m.key].splice(at, 1);
      return at < 0;
    });
    await this.save();
  }

  private async sendAll() {
    if (this.state.ended) return;
    await this.ensureRun();
    await this.reconcileUncertain();
    await this.settleResumed();
    const q = this.state.queue;
    while (q.params.length || q.tags.length || q.metrics.length) {
      const params = q.params.slice(0, MAX_PARAMS_TAGS_PER_BATCH);
      const tags = q.tags.slice(0, MAX_PARAMS_TAGS_PER_BATCH);
      const metrics = q.metrics.slice(0, Math.min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - params.length - tags.length));
      try {
        await this.request('runs/log-batch', { run_id: this.state.serverRunId, metrics, params, tags });
      } catch (error) {
        if (error instanceof MlflowUnreachableError) {
          this.state.uncertain = metrics.length;
          await this.save();
        }
        throw error;
      }
      q.params.splice(0, params.length);
      q.tags.splice(0, tags.length);
      q.metrics.splice(0, metrics.length);
      for (const m of metrics) this.state.acknowledged[m.key] = (this.state.acknowledged[m.key] ?? 0) + 1;
      await this.save();
    }
    if (this.state.end) {
      await this.request('runs/update', { run_id: this.state.serverRunId, run_uuid: this.state.serverRunId, status: this.state.end.status, end_time: this.state.end.end_time });
      this.state.end = undefined;
      this.state.ended = true;
      await this.save();
    }
  }
}
