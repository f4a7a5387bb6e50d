/**
 * RunRecords as an MLflow FileStore (`mlruns/`) tree, laid out as mlflow/store/tracking/file_store.py
 * writes and reads it:
 *
 *   mlruns/.trash/
 *   mlruns/0/meta.yaml                          the Default experiment, as MLflow creates it
 *   mlruns/<experiment_id>/meta.yaml            artifact_location, creation_time, experiment_id, last_update_time, lifecycle_stage, name
 *   mlruns/<experiment_id>/<run_id>/meta.yaml   run info; status as its integer code (RUNNING 1 .. KILLED 5)
 *   mlruns/<experiment_id>/<run_id>/metrics/<key>   one `<timestamp_ms> <value> <step>` line per point
 *   mlruns/<experiment_id>/<run_id>/params/<key>    the value, no trailing newline
 *   mlruns/<experiment_id>/<run_id>/tags/<key>      the value, no trailing newline
 *   mlruns/<experiment_id>/<run_id>/artifacts/
 *
 * Pure: the caller writes the entries (Node writer, zip) and says where the tree will live,
 * since MLflow needs absolute `file://` artifact URIs.
 */
import type { MetricPoint, RunRecord, RunStatus } from '../train/run-record.ts';
import {
  experimentIdFor,
  parsePythonFloat,
  parsePythonInt,
  prepareRunData,
  pythonFloat,
  REFERENCE_MAX_PARAM_VAL_LENGTH,
  SOURCE_TYPE_LOCAL,
  statusCode,
  statusFromCode,
} from './mlflow-rules.ts';
import { dumpFlatYaml, parseFlatYaml, type FlatYamlValue } from './yaml.ts';

export type StoreEntry = { kind: 'file'; path: string; contents: string } | { kind: 'dir'; path: string };

export interface ExperimentInfo {
  experimentId: string;
  name: string;
  artifactLocation: string;
  creationTime?: number;
}

export interface MlrunsOptions {
  /** Absolute `file://` URI of the `mlruns` folder where the tree will live, e.g. file:///home/me/logs/mlruns */
  rootUri: string;
  /** Experiments already in the store at rootUri: runs of these names join them. */
  existingExperiments?: ExperimentInfo[];
  /** Write the Default experiment 0, as MLflow does when it creates a store. Default: when no experiment exists yet. */
  includeDefaultExperiment?: boolean;
  maxParamValueLength?: number;
}

export interface MlrunsTree {
  entries: StoreEntry[];
  /** Experiments of the runs (new and reused), by name. */
  experiments: Map<string, ExperimentInfo>;
  /** Keys mapped, params left out, values cut. */
  warnings: string[];
}

/** The tag a RunRecord's error message travels in, so that an import gets it back. */
export const ERROR_TAG = 'xnli.error';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

function checkRootUri(rootUri: string): string {
  if (!/^file:\/\/\//.test(rootUri)) throw new Error(`the mlruns location must be an absolute file:// URI (file:///path/to/mlruns), got '${rootUri}'`);
  return rootUri.replace(/\/+$/, '');
}

/** Resolves experiment ids: reuse by name, else a stable id from the name that no other experiment holds. */
export function resolveExperiments(names: Iterable<string>, rootUri: string, existing: ExperimentInfo[] = []): Map<string, ExperimentInfo> {
  const root = checkRootUri(rootUri);
  const byName = new Map(existing.map((e) => [e.name, e]));
  const takenIds = new Set(existing.map((e) => e.experimentId));
  const result = new Map<string, ExperimentInfo>();
  for (const name of names) {
    if (result.has(name)) continue;
    const known = byName.get(name);
    if (known) {
      result.set(name, known);
      continue;
    }
    let id = experimentIdFor(name);
    for (let attempt = 1; takenIds.has(id); attempt++) id = experimentIdFor(name, attempt);
    takenIds.add(id);
    result.set(name, { experimentId: id, name, artifactLocation: `${root}/${id}` });
  }
  return result;
}

export function experimentMetaYaml(experiment: ExperimentInfo, creationTime: number): string {
  return dumpFlatYaml({
    artifact_location: experiment.artifactLocation,
    creation_time: creationTime,
    experiment_id: experiment.experimentId,
    last_update_time: creationTime,
    lifecycle_stage: 'active',
    name: experiment.name,
  });
}

export function runArtifactUri(experiment: ExperimentInfo, runId: string): string {
  return `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`;
}

function integerTime(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${what} must be a non-negative time in milliseconds, got ${value}`);
  return Math.round(value);
}

/** The run's meta.yaml, with the fields MLflow's _make_persisted_run_info_dict writes. */
export function runMetaYaml(run: RunRecord, experiment: ExperimentInfo): string {
  const terminated = run.status !== 'RUNNING';
  if (terminated && run.endTime === undefined) throw new Error(`run ${run.runId} is ${run.status} but has no end time`);
  const fields: Record<string, FlatYamlValue> = {
    artifact_uri: runArtifactUri(experiment, run.runId),
    end_time: run.endTime === undefined ? null : integerTime(run.endTime, 'end_time'),
    entry_point_name: '',
    experiment_id: experiment.experimentId,
    lifecycle_stage: 'active',
    run_id: run.runId,
    run_name: run.runName,
    run_uuid: run.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: integerTime(run.startTime, 'start_time'),
    status: statusCode(run.status),
    tags: [],
    user_id: run.tags['mlflow.user'] ?? 'unknown',
  };
  // create_run writes deleted_time: null; update_run_info (on end) rewrites the file without it.
  if (!terminated) fields.deleted_time = null;
  return dumpFlatYaml(fields);
}

/** One `<timestamp> <value> <step>` line per point, as FileStore._log_run_metric appends them. */
export function metricFileContents(points: MetricPoint[]): string {
  return points.map((p) => `${Math.round(p.timestamp)} ${pythonFloat(p.value)} ${Math.round(p.step)}\n`).join('');
}

/** The tags MLflow's client sets on every run it creates, where the record lacks them. */
function tagsWithDefaults(run: RunRecord): Record<string, string> {
  const tags: Record<string, string> = { 'mlflow.source.type': 'LOCAL', ...run.tags };
  tags['mlflow.runName'] ??= run.runName;
  if (run.error !== undefined) tags[ERROR_TAG] = run.error;
  return tags;
}

/** A run's data as MLflow will hold it: mapped keys, params and tags within limits, metrics grouped by key in logging order. */
export function mlflowRunData(run: RunRecord, maxParamValueLength = REFERENCE_MAX_PARAM_VAL_LENGTH) {
  const prepared = prepareRunData({ params: run.params, tags: tagsWithDefaults(run), metrics: run.metrics }, maxParamValueLength);
  const histories = new Map<string, MetricPoint[]>();
  for (const point of run.metrics) {
    const key = prepared.metricKeys.map(point.key);
    let history = histories.get(key);
    if (!history) histories.set(key, (history = []));
    history.push({ key, value: point.value, step: Math.round(point.step), timestamp: Math.round(point.timestamp) });
  }
  return { params: prepared.params, tags: prepared.tags, histories, warnings: prepared.warnings.map((w) => `run ${run.runName}: ${w}`) };
}

export function mlrunsTree(runs: RunRecord[], options: MlrunsOptions): MlrunsTree {
  const root = checkRootUri(options.rootUri);
  const existing = options.existingExperiments ?? [];
  const experiments = resolveExperiments(runs.map((r) => r.experimentName), root, existing);
  const entries: StoreEntry[] = [{ kind: 'dir', path: '.trash' }];
  const warnings: string[] = [];
  const includeDefault = options.includeDefaultExperiment ?? existing.length === 0;
  const firstStart = runs.length ? Math.min(...runs.map((r) => r.startTime)) : 0;
  if (includeDefault && !existing.some((e) => e.experimentId === '0')) {
    const defaultExperiment = { experimentId: '0', name: DEFAULT_EXPERIMENT_NAME, artifactLocation: `${root}/0` };
    entries.push({ kind: 'file', path: '0/meta.yaml', contents: experimentMetaYaml(defaultExperiment, Math.round(firstStart)) });
  }
  const existingIds = new Set(existing.map((e) => e.experimentId));
  for (const experiment of experiments.values()) {
    if (existingIds.has(experiment.experimentId)) continue;
    const start = Math.min(...runs.filter((r) => r.experimentName === experiment.name).map((r) => r.startTime));
    entries.push({ kind: 'file', path: `${experiment.experimentId}/meta.yaml`, contents: experimentMetaYaml(experiment, Math.round(start)) });
  }
  for (const run of runs) {
    if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(run.runId)) throw new Error(`run id '${run.runId}' is not a valid MLflow run id (letters, digits, _ and -)`);
    const experiment = experiments.get(run.experimentName)!;
    const dir = `${experiment.experimentId}/${run.runId}`;
    const data = mlflowRunData(run, options.maxParamValueLength);
    warnings.push(...data.warnings);
    entries.push({ kind: 'file', path: `${dir}/meta.yaml`, contents: runMetaYaml(run, experiment) });
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) entries.push({ kind: 'dir', path: `${dir}/${sub}` });
    for (const [key, points] of data.histories) entries.push({ kind: 'file', path: `${dir}/metrics/${key}`, contents: metricFileContents(points) });
    for (const [key, value] of data.params) entries.push({ kind: 'file', path: `${dir}/params/${key}`, contents: value });
    for (const [key, value] of data.tags) entries.push({ kind: 'file', path: `${dir}/tags/${key}`, contents: value });
  }
  return { entries, experiments, warnings };
}

// ---- reading a store back (the page's import, the Node writer's merge) ----

/** Experiments found in a store's top-level meta.yaml files (path → contents, paths relative to mlruns/). */
export function experimentsInStore(files: Map<string, string>): ExperimentInfo[] {
  const experiments: ExperimentInfo[] = [];
  for (const [path, contents] of files) {
    const match = /^([^/]+)\/meta\.yaml$/.exec(path);
    if (!match || match[1] === '.trash') continue;
    const meta = parseFlatYaml(contents, path);
    const id = meta.experiment_id;
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof meta.name !== 'string' || typeof meta.artifact_location !== 'string') {
      throw new Error(`${path} is not an MLflow experiment meta.yaml (needs experiment_id, name, artifact_location)`);
    }
    if (String(id) !== match[1]) throw new Error(`${path} says experiment_id ${id} but lies in folder ${match[1]}`);
    experiments.push({ experimentId: String(id), name: meta.name, artifactLocation: meta.artifact_location, creationTime: typeof meta.creation_time === 'number' ? meta.creation_time : undefined });
  }
  return experiments;
}

function requireField<T>(meta: Record<string, FlatYamlValue>, key: string, check: (v: FlatYamlValue) => v is T & FlatYamlValue, path: string): T {
  const value = meta[key];
  if (!(key in meta) || !check(value)) throw new Error(`${path}: field ${key} is missing or of the wrong type (${JSON.stringify(value)})`);
  return value;
}
const isString = (v: FlatYamlValue): v is string => typeof v === 'string';
const isInt = (v: FlatYamlValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Parses one metric line as FileStore._get_metric_from_line does (2 fields allowed there; step 0 then). */
export function parseMetricLine(line: string, where: string): { timestamp: number; value: number; step: number } {
  const parts = line.trim().split(' ');
  if (parts.length !== 2 && parts.length !== 3) throw new Error(`${where}: metric line '${line}' has ${parts.length} fields, expected 3 (timestamp value step)`);
  try {
    return { timestamp: parsePythonInt(parts[0]), value: parsePythonFloat(parts[1]), step: parts.length === 3 ? parsePythonInt(parts[2]) : 0 };
  } catch (error) {
    throw new Error(`${where}: malformed metric line '${line}': ${(error as Error).message}`);
  }
}

/** The runs of a store given as path → contents (paths relative to mlruns/). Runs of deleted experiments (.trash) are skipped. */
export function runsFromStoreFiles(files: Map<string, string>): RunRecord[] {
  const experiments = new Map(experimentsInStore(files).map((e) => [e.experimentId, e]));
  const runs: RunRecord[] = [];
  for (const [path, contents] of files) {
    const match = /^([^/]+)\/([^/]+)\/meta\.yaml$/.exec(path);
    if (!match || match[1] === '.trash') continue;
    const [, experimentId, runDir] = match;
    const experiment = experiments.get(experimentId);
    if (!experiment) throw new Error(`${path}: run folder in ${experimentId}/, which has no meta.yaml`);
    const meta = parseFlatYaml(contents, path);
    const runId = requireField(meta, 'run_id', isString, path);
    if (runId !== runDir) throw new Error(`${path}: run_id ${runId} differs from its folder name ${runDir}`);
    if (String(meta.experiment_id) !== experimentId) throw new Error(`${path}: experiment_id ${meta.experiment_id} differs from its folder ${experimentId}`);
    if (meta.lifecycle_stage === 'deleted') continue;
    const status: RunStatus = statusFromCode(typeof meta.status === 'number' ? meta.status : 1);
    const prefix = `${experimentId}/${runDir}/`;
    const params: Record<string, string> = {};
    const tags: Record<string, string> = {};
    const metrics: MetricPoint[] = [];
    for (const [file, text] of files) {
      if (!file.startsWith(prefix)) continue;
      const rest = file.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) continue;
      const folder = rest.slice(0, slash);
      const key = rest.slice(slash + 1);
      if (folder === 'params') params[key] = text;
      else if (folder === 'tags') tags[key] = text;
      else if (folder === 'metrics') {
        const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
        if (text === '') throw new Error(`${file}: metric file is empty`);
        lines.forEach((line, i) => metrics.push({ key, ...parseMetricLine(line, `${file} line ${i + 1}`) }));
      }
    }
    metrics.sort((a, b) => a.timestamp - b.timestamp || a.step - b.step);
    const error = tags[ERROR_TAG];
    delete tags[ERROR_TAG];
    const endTime = meta.end_time;
    runs.push({
      runId,
      runName: typeof meta.run_name === 'string' && meta.run_name ? meta.run_name : (tags['mlflow.runName'] ?? runId),
      experimentName: experiment.name,
      status,
      startTime: requireField(meta, 'start_time', isInt, path),
      ...(typeof endTime === 'number' ? { endTime } : {}),
      params,
      tags,
      metrics,
      ...(error !== undefined ? { error } : {}),
    });
  }
  return runs.sort((a, b) => a.startTime - b.startTime);
}
