// `xnli-train predict` end to end: the real command, a real headless Chromium, models from a local folder
// and from the Hub-like test server; and its error cases with their exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type RunningServer } from '../support/hub-server.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { xnliTrain } from '../support/run-cli.ts';

const PAIRS = [
  { id: 'a', premise: 'The cat sat on the mat.', hypothesis: 'A cat is sitting.' },
  { id: 'b', premise: 'Der Hund schläft im Garten.', hypothesis: 'Ein Tier ruht.' },
  { id: 'c', premise: 'Il pleut.', hypothesis: 'Le soleil brille et il fait très chaud aujourd’hui.' },
];

let hubRoot: string;
let server: RunningServer;
let work: string;
let pairsFile: string;

before(async () => {
  hubRoot = await ensureHubFixtures();
  server = await startHubServer(hubRoot, { serveApp: false });
  work = await mkdtemp(join(tmpdir(), 'xnli-cli-'));
  pairsFile = join(work, 'pairs.jsonl');
  await writeFile(pairsFile, PAIRS.map((p) => JSON.stringify(p)).join('\n') + '\n');
});

after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function checkPredictionLines(lines: Record<string, unknown>[], id2label: string[]): void {
  assert.equal(lines.length, PAIRS.length);
  lines.forEach((line, i) => {
    assert.equal(line.id, PAIRS[i]!.id, 'input fields are kept, in order');
    assert.equal(line.premise, PAIRS[i]!.premise);
    const logits = line.logits as number[];
    const probabilities = line.probabilities as number[];
    assert.equal(logits.length, id2label.length);
    assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'probabilities sum to 1');
    assert.equal(line.label, id2label[probabilities.indexOf(Math.max(...probabilities))]);
  });
}

const parseJsonl = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
/** The error is one line, prefixed with the command, and the last thing on stderr. */
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';

test('predict with a local model folder writes --output on the default (WebGPU) backend', async () => {
  const folder = join(hubRoot, 'fixtures', 'tiny-distilbert');
  const output = join(work, 'out.jsonl');
  const result = await xnliTrain(['predict', '--model', folder, '--input', pairsFile, '--output', output]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^backend: webgpu/m);
  const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  checkPredictionLines(parseJsonl(await readFile(output, 'utf8')), Object.values(config.id2label));
});

test('predict with a Hub id from --hub-endpoint writes to stdout; HF_ENDPOINT is the default endpoint', async () => {
  const viaFlag = await xnliTrain(['predict', '--model', 'fixtures/tiny-xlm-roberta', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.match(viaFlag.stderr, /^backend: cpu/m);
  checkPredictionLines(parseJsonl(viaFlag.stdout), ['entailment', 'neutral', 'contradiction']);

  const viaEnv = await xnliTrain(['predict', '--model', 'fixtures/tiny-xlm-roberta', '--input', pairsFile, '--backend=cpu'], { HF_ENDPOINT: server.url });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.deepEqual(parseJsonl(viaEnv.stdout), parseJsonl(viaFlag.stdout));
});

test('a model the Hub does not have fails with one clear line and exit code 1', async () => {
  const result = await xnliTrain(['predict', '--model', 'fixtures/no-such-model', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(result.code, 1);
  assert.match(lastLine(result.stderr), /^xnli-train predict: fixtures\/no-such-model does not exist on http:\/\/127\.0\.0\.1:\d+ \(or it is private: give a token\): check the model id\.$/);
  assert.equal(result.stdout, '');
});

test('an unknown revision fails with exit code 1', async () => {
  const result = await xnliTrain(['predict', '--model', 'fixtures/tiny-bert', '--revision', 'v9', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(result.code, 1);
  assert.match(lastLine(result.stderr), /revision "v9" does not exist in fixtures\/tiny-bert on http:\/\/127\.0\.0\.1:\d+/);
});

test('an unsupported architecture fails with exit code 1 and says so', async () => {
  const folder = join(work, 'gpt2-model');
  await cp(join(hubRoot, 'fixtures', 'tiny-bert'), folder, { recursive: true });
  const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(folder, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
  const result = await xnliTrain(['predict', '--model', folder, '--input', pairsFile, '--backend', 'cpu']);
  assert.equal(result.code, 1);
  assert.match(lastLine(result.stderr), /^xnli-train predict: .*gpt2/);
});

test('usage errors exit with code 2 and one line, before starting a browser', async () => {
  const badJsonl = join(work, 'bad.jsonl');
  await writeFile(badJsonl, `${JSON.stringify(PAIRS[0])}\n\n{"premise": "unterminated\n`);
  const missingField = join(work, 'missing-field.jsonl');
  await writeFile(missingField, `${JSON.stringify({ premise: 'only a premise' })}\n`);
  const cases: [string[], RegExp][] = [
    [['predict', '--model', 'x/y', '--input', badJsonl], /bad\.jsonl:3: not valid JSON/],
    [['predict', '--model', 'x/y', '--input', missingField], /missing-field\.jsonl:1: "hypothesis" must be a string/],
    [['predict', '--model', 'x/y', '--input', join(work, 'absent.jsonl')], /input file .*absent\.jsonl does not exist/],
    [['predict', '--model', 'x/y', '--input', pairsFile, '--backend', 'tpu'], /unknown backend "tpu": use one of webgpu, webgl, wasm, cpu/],
    [['predict', '--model', 'x/y', '--input', pairsFile, '--batch', '4'], /unknown flag --batch/],
    [['predict', '--input', pairsFile], /--model is required/],
    [['predict', '--model', 'x/y', '--input'], /--input needs a value/],
    [['fly'], /unknown command "fly"/],
  ];
  for (const [args, message] of cases) {
    const result = await xnliTrain(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: more than one line:\n${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test('--help prints the usage of every flag', async () => {
  const result = await xnliTrain(['predict', '--help']);
  assert.equal(result.code, 0);
  for (const flag of ['--model', '--input', '--output', '--backend', '--hub-endpoint', '--revision', '--verbose', 'HF_TOKEN']) assert.ok(result.stdout.includes(flag), flag);
  const top = await xnliTrain(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /predict/);
});
