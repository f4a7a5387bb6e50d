/**
 * A strict reader of MLflow FileStore trees (mlflow/store/tracking/file_store.py): it fails, with the
 * path, on anything MLflow would reject or read differently — a missing meta.yaml field, a wrong type,
 * an id that differs from its folder, a malformed or blank metric line, a key outside MLflow's rules,
 * a finished run without an end time — and on what our exports promise beyond MLflow's own leniency
 * (exactly three single-space fields per metric line, a trailing newline, no extra files).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { parseFlatYaml, type FlatYamlValue } from '../../src/tracking/yaml.ts';

/** path (relative to mlruns/, '/'-separated) → file contents, or null for a folder. */
export type FileTree = Map<string, string | null>;

export interface StoredMetricPoint {
  timestamp: number;
  value: number;
  step: number;
}
export interface StoredRun {
  meta: Record<string, FlatYamlValue>;
  metrics: Record<string, StoredMetricPoint[]>;
  params: Record<string, string>;
  tags: Record<string, string>;
}
export interface StoredExperiment {
  meta: Record<string, FlatYamlValue>;
  runs: Map<string, StoredRun>;
}
export type StoredStore = Map<string, StoredExperiment>;

export function treeFromDirectory(dir: string): FileTree {
  const tree: FileTree = new Map();
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs)) {
      const childAbs = join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      if (statSync(childAbs).isDirectory()) {
        tree.set(childRel, null);
        walk(childAbs, childRel);
      } else tree.set(childRel, readFileSync(childAbs, 'utf8'));
    }
  };
  walk(dir, '');
  return tree;
}

/** The tree under `mlruns/` in a zip; folders come from explicit entries and from file paths. */
export function treeFromZip(zip: Uint8Array, rootFolder = 'mlruns'): FileTree {
  const tree: FileTree = new Map();
  for (const [path, bytes] of Object.entries(unzipSync(zip))) {
    if (!path.startsWith(`${rootFolder}/`)) throw new Error(`zip entry ${path} is outside ${rootFolder}/`);
    const rel = path.slice(rootFolder.length + 1).replace(/\/$/, '');
    if (rel === '') continue;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) tree.set(parts.slice(0, i).join('/'), null);
    tree.set(rel, path.endsWith('/') ? null : strFromU8(bytes));
  }
  return tree;
}

const VALID_KEY = /^[/\w.\- ]*$/u; // MLflow's _VALID_PARAM_AND_METRIC_NAMES (\w is Unicode in Python 3)
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;
const PY_INT = /^[+-]?\d+$/;
const PY_FLOAT = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity))$/i;

function normpathDiffers(key: string): boolean {
  return key === '' || key.startsWith('/') || key.endsWith('/') || key.includes('//') || key.split('/').some((s) => s === '.' || s === '..');
}

export function checkKey(key: string, kind: string, where: string): void {
  if (!VALID_KEY.test(key)) throw new Error(`${where}: invalid ${kind} name '${key}' (MLflow allows letters, digits, _ - . / and space)`);
  if (normpathDiffers(key)) throw new Error(`${where}: ${kind} name '${key}' is not its own normalised path`);
  if (key.length > 250) throw new Error(`${where}: ${kind} name longer than 250 characters`);
}

function field<T extends FlatYamlValue>(meta: Record<string, FlatYamlValue>, key: string, type: 'string' | 'int' | 'int|null' | 'list', where: string): T {
  if (!(key in meta)) throw new Error(`${where}: missing field ${key}`);
  const v = meta[key];
  const ok =
    type === 'string' ? typeof v === 'string' : type === 'int' ? Number.isSafeInteger(v) : type === 'int|null' ? v === null || Number.isSafeInteger(v) : Array.isArray(v);
  if (!ok) throw new Error(`${where}: field ${key} should be ${type}, got ${JSON.stringify(v)}`);
  return v as T;
}

export function parseMetricFile(text: string, where: string): StoredMetricPoint[] {
  if (text === '') throw new Error(`${where}: metric file is empty (MLflow: "No data found")`);
  if (!text.endsWith('\n')) throw new Error(`${where}: metric file does not end with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const at = `${where} line ${i + 1}`;
      if (line.trim() === '') throw new Error(`${at}: blank line`);
      const parts = line.split(' ');
      if (parts.length !== 3) throw new Error(`${at}: '${line}' has ${parts.length} space-separated fields, expected exactly 3`);
      const [ts, value, step] = parts;
      if (!PY_INT.test(ts) || Number(ts) < 0) throw new Error(`${at}: timestamp '${ts}' is not a non-negative integer`);
      if (!PY_FLOAT.test(value)) throw new Error(`${at}: value '${value}' is not a float Python can parse`);
      if (!PY_INT.test(step)) throw new Error(`${at}: step '${step}' is not an integer`);
      const v = /nan/i.test(value) ? NaN : /inf/i.test(value) ? (value.startsWith('-') ? -Infinity : Infinity) : Number(value);
      return { timestamp: Number(ts), value: v, step: Number(step) };
    });
}

function children(tree: FileTree, dir: string): string[] {
  const prefix = dir ? `${dir}/` : '';
  return [...tree.keys()].filter((p) => p.startsWith(prefix) && p !== dir && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
}

function filesUnder(tree: FileTree, dir: string): [string, string][] {
  return [...tree.entries()].filter(([p, c]) => p.startsWith(`${dir}/`) && c !== null).map(([p, c]) => [p.slice(dir.length + 1), c as string]);
}

export interface ReadOptions {
  /** The absolute file:// URI where the store lives: artifact URIs must lie under it. */
  rootUri?: string;
  maxParamValueLength?: number;
}

export function readMlflowStore(tree: FileTree, options: ReadOptions = {}): StoredStore {
  const store: StoredStore = new Map();
  if (tree.get('.trash') !== null) throw new Error('.trash folder missing (MLflow creates it with the store)');
  const names = new Set<string>();
  for (const expId of children(tree, '')) {
    if (expId === '.trash') continue;
    if (tree.get(expId) !== null) throw new Error(`${expId}: a file at the store's top level (only experiment folders belong there)`);
    const where = `${expId}/meta.yaml`;
    const metaText = tree.get(where);
    if (typeof metaText !== 'string') throw new Error(`${where}: missing`);
    const meta = parseFlatYaml(metaText, where);
    if (!EXPERIMENT_ID.test(expId)) throw new Error(`${expId}: not a valid experiment id`);
    if (field(meta, 'experiment_id', 'string', where) !== expId) throw new Error(`${where}: experiment_id ${String(meta.experiment_id)} differs from folder ${expId}`);
    const name = field<string>(meta, 'name', 'string', where);
    if (!name || names.has(name)) throw new Error(`${where}: experiment name '${name}' empty or used twice`);
    names.add(name);
    const location = field<string>(meta, 'artifact_location', 'string', where);
    if (!location.startsWith('file:///')) throw new Error(`${where}: artifact_location '${location}' is not an absolute file:// URI`);
    if (options.rootUri && location !== `${options.rootUri}/${expId}`) throw new Error(`${where}: artifact_location ${location} is not ${options.rootUri}/${expId}`);
    if (field(meta, 'lifecycle_stage', 'string', where) !== 'active') throw new Error(`${where}: lifecycle_stage is not active`);
    field(meta, 'creation_time', 'int', where);
    field(meta, 'last_update_time', 'int', where);
    const experiment: StoredExperiment = { meta, runs: new Map() };
    store.set(expId, experiment);
    for (const runId of children(tree, expId)) {
      if (runId === 'meta.yaml' || runId === 'tags') continue;
      experiment.runs.set(runId, readRun(tree, expId, runId, location, options));
    }
  }
  const defaultExperiment = store.get('0');
  if (!defaultExperiment || defaultExperiment.meta.name !== 'Default') throw new Error('0/meta.yaml: the Default experiment 0 is missing');
  return store;
}

function readRun(tree: FileTree, expId: string, runId: string, experimentLocation: string, options: ReadOptions): StoredRun {
  const dir = `${expId}/${runId}`;
  if (tree.get(dir) !== null) throw new Error(`${dir}: a file where a run folder belongs`);
  if (!RUN_ID.test(runId)) throw new Error(`${dir}: not a valid run id`);
  const where = `${dir}/meta.yaml`;
  const text = tree.get(where);
  if (typeof text !== 'string') throw new Error(`${where}: missing`);
  const meta = parseFlatYaml(text, where);
  if (field(meta, 'run_id', 'string', where) !== runId || field(meta, 'run_uuid', 'string', where) !== runId) throw new Error(`${where}: run_id/run_uuid differ from the folder name`);
  if (field(meta, 'experiment_id', 'string', where) !== expId) throw new Error(`${where}: experiment_id differs from the experiment folder`);
  field(meta, 'user_id', 'string', where);
  field(meta, 'run_name', 'string', where);
  field(meta, 'lifecycle_stage', 'string', where);
  field(meta, 'tags', 'list', where);
  if (field(meta, 'source_type', 'int', where) !== 4) throw new Error(`${where}: source_type should be 4 (LOCAL)`);
  const status = field<number>(meta, 'status', 'int', where);
  if (status < 1 || status > 5) throw new Error(`${where}: status ${status} is not an MLflow RunStatus code`);
  const start = field<number>(meta, 'start_time', 'int', where);
  const end = field<number | null>(meta, 'end_time', 'int|null', where);
  if (status >= 3 && (end === null || end < start)) throw new Error(`${where}: a terminated run (status ${status}) needs an end_time at or after start_time`);
  if (status === 1 && end !== null) throw new Error(`${where}: a RUNNING run has an end_time`);
  const artifactUri = field<string>(meta, 'artifact_uri', 'string', where);
  if (artifactUri !== `${experimentLocation}/${runId}/artifacts`) throw new Error(`${where}: artifact_uri ${artifactUri} is not under the experiment's artifact_location`);
  for (const sub of children(tree, dir)) {
    if (!['meta.yaml', 'metrics', 'params', 'tags', 'artifacts'].includes(sub)) throw new Error(`${dir}/${sub}: unexpected entry in a run folder`);
  }
  for (const sub of ['metrics', 'params', 'tags', 'artifacts']) if (tree.get(`${dir}/${sub}`) !== null) throw new Error(`${dir}/${sub}/: missing`);
  const run: StoredRun = { meta, metrics: {}, params: {}, tags: {} };
  for (const [key, contents] of filesUnder(tree, `${dir}/metrics`)) {
    checkKey(key, 'metric', `${dir}/metrics`);
    run.metrics[key] = parseMetricFile(contents, `${dir}/metrics/${key}`);
  }
  for (const [key, contents] of filesUnder(tree, `${dir}/params`)) {
    checkKey(key, 'param', `${dir}/params`);
    if (contents.length > (options.maxParamValueLength ?? 6000)) throw new Error(`${dir}/params/${key}: value longer than MLflow's limit`);
    run.params[key] = contents;
  }
  for (const [key, contents] of filesUnder(tree, `${dir}/tags`)) {
    checkKey(key, 'tag', `${dir}/tags`);
    if (contents.length > 5000) throw new Error(`${dir}/tags/${key}: value longer than 5000 characters`);
    run.tags[key] = contents;
  }
  if (run.tags['mlflow.runName'] !== meta.run_name) throw new Error(`${dir}/tags/mlflow.runName: differs from run_name in meta.yaml`);
  for (const tag of ['mlflow.user', 'mlflow.source.name']) if (run.tags[tag] === undefined) throw new Error(`${dir}/tags/${tag}: missing`);
  return run;
}
