import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { KeyMapper, experimentIdFor, isValidMlflowKey, mlflowSafeKey, parsePythonFloat, pythonFloat } from '../../src/tracking/mlflow-rules.ts';
import { dumpFlatYaml, parseFlatYaml } from '../../src/tracking/yaml.ts';
import { parseTrackingUri } from '../../src/tracking/tracking-uri.ts';

const SAMPLES = [0, -0, 1, -1, 0.5, 1 / 3, 5e-5, 4.9833333333333336e-05, 1e-4, 1.5e-7, 123456789.125, 3.05e15, 1e16, 1.5e16, 2 ** 60, 1e300, 5e-324, -2.5e-10, NaN, Infinity, -Infinity, 0.1 + 0.2];
const REPRS = ['0.0', '-0.0', '1.0', '-1.0', '0.5', '0.3333333333333333', '5e-05', '4.9833333333333336e-05', '0.0001', '1.5e-07', '123456789.125', '3050000000000000.0', '1e+16', '1.5e+16', '1.152921504606847e+18', '1e+300', '5e-324', '-2.5e-10', 'nan', 'inf', '-inf', '0.30000000000000004'];

test("metric values are written as Python's repr() writes them, and read back exactly", () => {
  assert.deepEqual(SAMPLES.map(pythonFloat), REPRS);
  for (const x of SAMPLES) assert.ok(Object.is(parsePythonFloat(pythonFloat(x)), x) || (x === 0 && parsePythonFloat(pythonFloat(x)) === 0), String(x));
  assert.throws(() => parsePythonFloat('1.0.0'), /not a float/);
});

test('the repr table above is what python3 prints', { skip: spawnSync('python3', ['-V']).status !== 0 ? 'no python3' : false }, () => {
  const script = `import sys\nfor a in sys.argv[1:]: print(repr(float(a)))`;
  const args = SAMPLES.map((x) => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : Object.is(x, -0) ? '-0.0' : x.toPrecision(17)));
  const result = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.deepEqual(result.stdout.trim().split('\n'), REPRS);
});

test("keys follow MLflow's rules; others map as documented and never collide", () => {
  for (const ok of ['loss', 'eval_en_accuracy', 'mlflow.runName', 'a/b', 'with space', 'x-y.z']) assert.ok(isValidMlflowKey(ok), ok);
  for (const bad of ['', 'a:b', '/a', 'a/', 'a//b', './a', 'a/../b', '..', 'é', 'x'.repeat(251)]) assert.ok(!isValidMlflowKey(bad), bad);
  assert.equal(mlflowSafeKey('eval_zh-Hant:accuracy'), 'eval_zh-Hant_accuracy');
  assert.equal(mlflowSafeKey('//a//b/'), 'a/b');
  assert.equal(mlflowSafeKey('a/./b/../c'), 'a/_/b/__/c');
  assert.equal(mlflowSafeKey('日本'), '__');
  assert.equal(mlflowSafeKey(''), '_');
  assert.equal(mlflowSafeKey('x'.repeat(300)).length, 250);
  const mapper = new KeyMapper(['a:b', 'a_b', 'a?b', 'ok']);
  assert.deepEqual(['a:b', 'a_b', 'a?b', 'ok'].map((k) => mapper.map(k)), ['a_b_2', 'a_b', 'a_b_3', 'ok']);
  for (const k of ['a:b', 'a?b']) assert.ok(isValidMlflowKey(mapper.map(k)));
});

test('experiment ids are stable 18-digit integers per name', () => {
  assert.equal(experimentIdFor('xnli_fine-tune'), experimentIdFor('xnli_fine-tune'));
  assert.notEqual(experimentIdFor('xnli_fine-tune'), experimentIdFor('xnli_feature-extraction'));
  assert.notEqual(experimentIdFor('xnli_fine-tune', 1), experimentIdFor('xnli_fine-tune'));
  assert.match(experimentIdFor('xnli_fine-tune'), /^[1-9]\d{17}$/);
});

test('meta.yaml scalars survive a dump and parse, including strings that look like other types', () => {
  const data = { a: '0', b: 'yes', c: '', d: "it's", e: 'file:///x y/z', f: 12, g: null, h: [] as [], i: 'line\nbreak', j: 'plain-name_1.2', k: '- dash', l: 'a: b' };
  const text = dumpFlatYaml(data);
  assert.deepEqual(parseFlatYaml(text), data);
  assert.match(text, /^a: '0'$/m);
  assert.match(text, /^j: plain-name_1.2$/m);
  assert.deepEqual(parseFlatYaml("name: a long\n  folded value\nx: 1\n"), { name: 'a long folded value', x: 1 });
  assert.throws(() => parseFlatYaml('tags:\n- a\n'), /expected 'key: value'/);
});

test('tracking URIs follow MLflow: http(s) is a server, a path or file:// is a file store', () => {
  assert.deepEqual(parseTrackingUri('http://127.0.0.1:5000/'), { kind: 'rest', url: 'http://127.0.0.1:5000' });
  assert.deepEqual(parseTrackingUri('file:///tmp/my%20logs/mlruns'), { kind: 'file', path: '/tmp/my logs/mlruns' });
  assert.deepEqual(parseTrackingUri('logs/mlruns'), { kind: 'file', path: 'logs/mlruns' });
  assert.throws(() => parseTrackingUri('databricks://profile'), /not supported/);
  assert.throws(() => parseTrackingUri(' '), /empty/);
});
