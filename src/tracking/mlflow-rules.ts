/**
 * MLflow's own rules, as its tracking code enforces them (mlflow/utils/validation.py,
 * mlflow/entities/run_status.py, source_type.py) and as transformers' MLflowCallback applies them.
 */
import type { RunStatus } from '../train/run-record.ts';

export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;
export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_TAG_VAL_LENGTH = 5000;
/**
 * The reference pins mlflow 1.28, whose MAX_PARAM_VAL_LENGTH is 500 (MLflow 2.3+ allows 6000).
 * The callback drops longer values, so 500 lands the same params in every MLflow version.
 */
export const REFERENCE_MAX_PARAM_VAL_LENGTH = 500;

const STATUS_CODES: Record<RunStatus | 'SCHEDULED', number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
/** mlflow.entities.SourceType.LOCAL, what MLflow stores in every run's meta.yaml. */
export const SOURCE_TYPE_LOCAL = 4;

export function statusCode(status: RunStatus): number {
  return STATUS_CODES[status];
}

export function statusFromCode(code: number): RunStatus {
  const found = (Object.entries(STATUS_CODES) as [RunStatus | 'SCHEDULED', number][]).find(([, c]) => c === code);
  if (!found) throw new Error(`unknown MLflow run status code ${code} (expected 1..5)`);
  return found[0] === 'SCHEDULED' ? 'RUNNING' : found[0];
}

/** MLflow's `^[/\w.\- ]*$` restricted to ASCII, so folder names survive zips and every file system. */
const ALLOWED_KEY = /^[A-Za-z0-9_\-. /]*$/;

/** MLflow's path_not_unique: the key must be its own posixpath.normpath and not climb out. */
function pathUnique(key: string): boolean {
  if (key === '' || key.startsWith('/') || key.endsWith('/') || key.includes('//')) return false;
  return key.split('/').every((segment) => segment !== '.' && segment !== '..');
}

export function isValidMlflowKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_ENTITY_KEY_LENGTH && ALLOWED_KEY.test(key) && pathUnique(key);
}

/**
 * The key MLflow would accept for `key`. The mapping:
 *  - every character outside ASCII letters, digits, `_ - . /` and space becomes `_`;
 *  - empty path segments are dropped (`a//b` → `a/b`, leading/trailing `/` removed);
 *    segments `.` and `..` become `_` and `__`;
 *  - an empty result becomes `_`; keys are cut to 250 characters (MAX_ENTITY_KEY_LENGTH).
 * Valid keys are returned unchanged.
 */
export function mlflowSafeKey(key: string): string {
  if (isValidMlflowKey(key)) return key;
  const chars = Array.from(key, (c) => (/^[A-Za-z0-9_\-. /]$/.test(c) ? c : '_')).join('');
  const segments = chars
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s === '.' ? '_' : s === '..' ? '__' : s));
  let safe = segments.join('/') || '_';
  if (safe.length > MAX_ENTITY_KEY_LENGTH) safe = safe.slice(0, MAX_ENTITY_KEY_LENGTH).replace(/\/+$/, '');
  return safe;
}

/**
 * Maps a run's keys of one kind (metrics, params or tags) consistently: the same input key always
 * gives the same output, and two different keys never collapse onto one (the later one gets `_2`, `_3`, ...).
 */
export class KeyMapper {
  private readonly mapped = new Map<string, string>();
  private readonly taken = new Set<string>();
  readonly changes: { from: string; to: string }[] = [];

  constructor(allKeys: Iterable<string>) {
    const keys = [...new Set(allKeys)];
    // Valid keys claim their names first so that a mapped key never takes a real one.
    for (const key of keys) if (isValidMlflowKey(key)) this.claim(key, key);
    for (const key of keys) {
      if (this.mapped.has(key)) continue;
      const base = mlflowSafeKey(key);
      let candidate = base;
      for (let n = 2; this.taken.has(candidate); n++) candidate = `${base.slice(0, MAX_ENTITY_KEY_LENGTH - String(n).length - 1)}_${n}`;
      this.claim(key, candidate);
      this.changes.push({ from: key, to: candidate });
    }
  }

  private claim(key: string, as: string): void {
    this.mapped.set(key, as);
    this.taken.add(as);
  }

  map(key: string): string {
    const found = this.mapped.get(key);
    if (found === undefined) throw new Error(`key '${key}' was not given to this KeyMapper`);
    return found;
  }
}

export interface PreparedRunData {
  params: [string, string][];
  tags: [string, string][];
  metricKeys: KeyMapper;
  warnings: string[];
}

/**
 * Params and tags as MLflow will hold them: keys mapped, param values longer than the limit left out
 * with a warning (what transformers' MLflowCallback does), tag values cut to MAX_TAG_VAL_LENGTH
 * (what MLflow itself does with MLFLOW_TRUNCATE_LONG_VALUES).
 */
export function prepareRunData(
  run: { params: Record<string, string>; tags: Record<string, string>; metrics: { key: string }[] },
  maxParamValueLength = REFERENCE_MAX_PARAM_VAL_LENGTH,
): PreparedRunData {
  const warnings: string[] = [];
  const paramKeys = new KeyMapper(Object.keys(run.params));
  const tagKeys = new KeyMapper(Object.keys(run.tags));
  const metricKeys = new KeyMapper(run.metrics.map((m) => m.key));
  for (const [kind, mapper] of [['param', paramKeys], ['tag', tagKeys], ['metric', metricKeys]] as const) {
    for (const { from, to } of mapper.changes) warnings.push(`${kind} key '${from}' is not a valid MLflow key; written as '${to}'`);
  }
  const params: [string, string][] = [];
  for (const [key, value] of Object.entries(run.params)) {
    if (value.length > maxParamValueLength) {
      warnings.push(`param '${key}' left out: its value has ${value.length} characters, MLflow accepts at most ${maxParamValueLength} (as transformers' MLflowCallback does)`);
      continue;
    }
    params.push([paramKeys.map(key), value]);
  }
  const tags: [string, string][] = Object.entries(run.tags).map(([key, value]) => {
    if (value.length > MAX_TAG_VAL_LENGTH) warnings.push(`tag '${key}' cut to ${MAX_TAG_VAL_LENGTH} characters`);
    return [tagKeys.map(key), value.slice(0, MAX_TAG_VAL_LENGTH)];
  });
  return { params, tags, metricKeys, warnings };
}

/** Python's repr() of a float, what MLflow's FileStore writes with f"{metric.value}". */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.slice(1);
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${digits[0]}${fraction ? `.${fraction}` : ''}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

/** Python's float() on the strings MLflow writes or a user might: decimal, exponent, nan, inf, infinity. */
export function parsePythonFloat(text: string): number {
  const t = text.trim();
  if (/^[+-]?(nan)$/i.test(t)) return NaN;
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/.test(t)) throw new Error(`'${text}' is not a float`);
  return Number(t.replaceAll('_', ''));
}

/** Python's int(): optional sign, digits (underscores between them allowed). */
export function parsePythonInt(text: string): number {
  const t = text.trim();
  if (!/^[+-]?\d(_?\d)*$/.test(t)) throw new Error(`'${text}' is not an integer`);
  const value = Number(t.replaceAll('_', ''));
  if (!Number.isSafeInteger(value)) throw new Error(`'${text}' is too large for an exact integer`);
  return value;
}

/**
 * A stable experiment id for a name: MLflow's ids are decimal integers (18 digits since 2.0);
 * deriving one from the name makes two exports of the same experiment land in the same folder.
 * `attempt` > 0 gives alternatives when an id is already taken by another experiment.
 */
export function experimentIdFor(name: string, attempt = 0): string {
  // 64-bit FNV-1a over the UTF-8 bytes.
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(attempt ? `${name}#${attempt}` : name)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return (100000000000000000n + (hash % 900000000000000000n)).toString();
}
