/**
 * A run as MLflow's REST API shapes it (`runs/get`: {"run": {"info", "data"}}), plus every metric's
 * full history (`metric_history`, each list as `metrics/get-history` returns it) and the experiment's
 * name, so that scripts can take a run without parsing folders and the page can import it back.
 * Keys and params are those the file store holds (mapped, over-long params left out). Non-finite
 * values are written as protobuf JSON writes doubles: "NaN", "Infinity", "-Infinity".
 */
import { type MetricPoint, type RunRecord, type RunStatus } from '../train/run-record.ts';
import { ERROR_TAG, mlflowRunData, resolveExperiments, runArtifactUri, type ExperimentInfo } from './mlflow-file-store.ts';

type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';
interface JsonMetric {
  key: string;
  value: JsonNumber;
  timestamp: number;
  step: number;
}

export interface RunJson {
  run: {
    info: {
      run_id: string;
      run_uuid: string;
      run_name: string;
      experiment_id: string;
      user_id: string;
      status: RunStatus;
      start_time: number;
      end_time?: number;
      artifact_uri: string;
      lifecycle_stage: 'active';
    };
    data: { metrics: JsonMetric[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] };
  };
  experiment: { experiment_id: string; name: string };
  metric_history: Record<string, JsonMetric[]>;
}

export function jsonNumber(value: number): JsonNumber {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function numberFromJson(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value); // int64 as protobuf JSON may write it
  throw new Error(`${where} should be a number, "NaN", "Infinity" or "-Infinity"; got ${JSON.stringify(value)}`);
}

const jsonMetric = (p: MetricPoint): JsonMetric => ({ key: p.key, value: jsonNumber(p.value), timestamp: p.timestamp, step: p.step });

export interface RunJsonOptions {
  /** Absolute file:// URI of the mlruns folder the run's artifacts belong to (as in the file-store export). */
  rootUri: string;
  existingExperiments?: ExperimentInfo[];
  maxParamValueLength?: number;
}

export function runJson(run: RunRecord, options: RunJsonOptions): RunJson {
  const experiment = resolveExperiments([run.experimentName], options.rootUri, options.existingExperiments).get(run.experimentName)!;
  const data = mlflowRunData(run, options.maxParamValueLength);
  const history: Record<string, JsonMetric[]> = {};
  for (const [key, points] of data.histories) history[key] = points.map(jsonMetric);
  // The value MLflow reports as latest: the largest (step, timestamp), as FileStore._get_metric_from_file picks it.
  const latestPoints = [...data.histories.values()].map((points) =>
    points.reduce((best, p) => (p.step > best.step || (p.step === best.step && p.timestamp >= best.timestamp) ? p : best)),
  );
  return {
    run: {
      info: {
        run_id: run.runId,
        run_uuid: run.runId,
        run_name: run.runName,
        experiment_id: experiment.experimentId,
        user_id: run.tags['mlflow.user'] ?? 'unknown',
        status: run.status,
        start_time: Math.round(run.startTime),
        ...(run.endTime !== undefined ? { end_time: Math.round(run.endTime) } : {}),
        artifact_uri: runArtifactUri(experiment, run.runId),
        lifecycle_stage: 'active',
      },
      data: {
        metrics: latestPoints.map(jsonMetric),
        params: data.params.map(([key, value]) => ({ key, value })),
        tags: data.tags.map(([key, value]) => ({ key, value })),
      },
    },
    experiment: { experiment_id: experiment.experimentId, name: experiment.name },
    metric_history: history,
  };
}

function fail(message: string): never {
  throw new Error(`not a run JSON export: ${message}`);
}

function keyValues(list: unknown, where: string): Record<string, string> {
  if (list === undefined) return {};
  if (!Array.isArray(list)) fail(`${where} should be a list of {key, value}`);
  const out: Record<string, string> = {};
  for (const item of list) {
    if (typeof item?.key !== 'string' || typeof item?.value !== 'string') fail(`${where} holds an entry without string key and value: ${JSON.stringify(item)}`);
    out[item.key] = item.value;
  }
  return out;
}

const STATUSES: RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'];

/** Reads a run JSON (text or parsed) back into a RunRecord. Without `metric_history`, only the latest values come back. */
export function importRunJson(input: string | unknown): RunRecord {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (error) {
      fail(`invalid JSON (${(error as Error).message})`);
    }
  }
  const root = doc as Partial<RunJson>;
  const info = root?.run?.info;
  if (!info || typeof info !== 'object') fail('missing run.info');
  if (typeof info.run_id !== 'string' && typeof info.run_uuid !== 'string') fail('run.info has no run_id');
  const status = STATUSES.includes(info.status) ? info.status : info.status === ('SCHEDULED' as RunStatus) ? 'RUNNING' : fail(`unknown run status ${JSON.stringify(info.status)}`);
  const data = root.run!.data ?? { metrics: [], params: [], tags: [] };
  const tags = keyValues(data.tags, 'run.data.tags');
  const params = keyValues(data.params, 'run.data.params');
  const source: unknown[] = root.metric_history ? Object.values(root.metric_history).flat() : (data.metrics ?? []);
  const metrics: MetricPoint[] = source.map((m, i) => {
    const point = m as Partial<JsonMetric>;
    const where = `metric ${i} (${String(point?.key)})`;
    if (typeof point?.key !== 'string') fail(`${where} has no key`);
    return { key: point.key, value: numberFromJson(point.value, `${where} value`), timestamp: numberFromJson(point.timestamp ?? 0, `${where} timestamp`), step: numberFromJson(point.step ?? 0, `${where} step`) };
  });
  metrics.sort((a, b) => a.timestamp - b.timestamp || a.step - b.step);
  const error = tags[ERROR_TAG];
  delete tags[ERROR_TAG];
  const runId = (info.run_id ?? info.run_uuid) as string;
  return {
    runId,
    runName: info.run_name || tags['mlflow.runName'] || runId,
    experimentName: root.experiment?.name ?? fail('missing experiment.name'),
    status,
    startTime: numberFromJson(info.start_time, 'run.info.start_time'),
    ...(info.end_time !== undefined && info.end_time !== null ? { endTime: numberFromJson(info.end_time, 'run.info.end_time') } : {}),
    params,
    tags,
    metrics,
    ...(error !== undefined ? { error } : {}),
  };
}
