// The CLI shows Hub downloads as they happen (bytes, rate, time left), resumes a cut one, and turns Hub refusals
// into one actionable line without ever printing the token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type Fault, type RequestInfo, type TestHub } from '../support/hub-server.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { ensureBuiltApp } from '../../cli/app-build.ts';
import { xnliTrain } from '../support/run-cli.ts';

const TOKEN = 'hf_cli_secret_token';
let server: TestHub;
let work: string;
let pairsFile: string;
const faults: Fault[] = [];
const requests: RequestInfo[] = [];

before(async () => {
  const hubRoot = await ensureHubFixtures();
  await ensureBuiltApp(() => {});
  server = await startTestHub({
    hubRoot,
    storageRedirect: true,
    faults,
    gated: { 'fixtures/tiny-distilbert': TOKEN },
    renamed: { 'tiny-bert-legacy-id': 'fixtures/tiny-bert' },
    onRequest: (info) => requests.push(info),
  });
  work = await mkdtemp(join(tmpdir(), 'hub-cli-'));
  pairsFile = join(work, 'pairs.jsonl');
  await writeFile(pairsFile, '{"premise":"A man sleeps.","hypothesis":"A person rests."}\n');
});

after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('predict prints download progress with rate and time left', { timeout: 300_000 }, async () => {
  faults.length = 0;
  faults.push({ match: '/__storage/', kind: 'slow', bytesPerSecond: 60_000 });
  const result = await xnliTrain(['predict', '--model', 'fixtures/tiny-bert', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.split('\n');
  assert.ok(lines.some((l) => /^downloading model\.safetensors: \d+(\.\d+)? KiB \/ 210 KiB, \d+(\.\d+)? KiB\/s, \d+ s left$/.test(l)), result.stderr);
  assert.ok(lines.some((l) => /^downloading model\.safetensors: 210 KiB \/ 210 KiB, .*\/s, done$/.test(l)), result.stderr);
  assert.ok(lines.some((l) => /^downloading config\.json: .* done$/.test(l)), result.stderr);
  assert.equal(JSON.parse(result.stdout.trim()).label !== undefined, true);
});

test('a rate limit on the listing and on a file is waited out, and the CLI says so', { timeout: 300_000 }, async () => {
  faults.length = 0;
  faults.push({ match: '/api/models/fixtures/tiny-bert/', kind: '429', retryAfter: 1 }, { match: '/fixtures/tiny-bert/resolve/', kind: '429', retryAfter: 1 });
  const result = await xnliTrain(['predict', '--model', 'fixtures/tiny-bert', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^the file list of fixtures\/tiny-bert: rate-limited by the Hub, retrying in 1 s$/m);
  assert.match(result.stderr, /^config\.json: rate-limited by the Hub, retrying in 1 s$/m);
});

test('a download cut halfway is resumed, and the CLI says so', { timeout: 300_000 }, async () => {
  faults.length = 0;
  faults.push({ match: '/__storage/', kind: 'cut', fraction: 0.5 });
  requests.length = 0;
  const result = await xnliTrain(['predict', '--model', 'fixtures/tiny-bert', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^downloading model\.safetensors: 210 KiB \/ 210 KiB, .*, done, resumed 1×$/m);
  assert.ok(requests.some((r) => r.origin === server.storageUrl && /^bytes=[1-9]\d*-$/.test(r.range ?? '')), 'resumed with a Range request');
});

test('a gated repository: without a token one line asks for it; with HF_TOKEN it loads and the token is never printed nor sent to the storage host', { timeout: 300_000 }, async () => {
  const refused = await xnliTrain(['predict', '--model', 'fixtures/tiny-distilbert', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr.trim().split('\n').at(-1)!, /^xnli-train predict: access to config\.json of fixtures\/tiny-distilbert@main on http:\/\/127\.0\.0\.1:\d+ was refused \(HTTP 401\): the repository is gated or private; give a Hugging Face token \(HF_TOKEN, or the page's token field\)\.$/);
  requests.length = 0;
  const allowed = await xnliTrain(['predict', '--model', 'fixtures/tiny-distilbert', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu', '--verbose'], { HF_TOKEN: TOKEN });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.doesNotMatch(allowed.stderr + allowed.stdout, new RegExp(TOKEN));
  const storage = requests.filter((r) => r.origin === server.storageUrl);
  assert.ok(storage.length > 0 && storage.every((r) => r.authorization === undefined), 'the storage host never sees the token');
  const hub = requests.filter((r) => r.origin === server.url && r.method === 'GET');
  assert.equal(hub[0]?.authorization, undefined, 'the listing is asked for without the token first (a renamed id redirects, and a redirected preflight fails)');
  assert.ok(hub.filter((r) => !r.path.startsWith('/api/models/')).every((r) => r.authorization === `Bearer ${TOKEN}`), 'the files carry the token');
});

test('a renamed (legacy) id with HF_TOKEN loads: the listing follows the Hub\'s redirect without the token, the files come from the current id', { timeout: 300_000 }, async () => {
  faults.length = 0;
  requests.length = 0;
  const result = await xnliTrain(['predict', '--model', 'tiny-bert-legacy-id', '--input', pairsFile, '--hub-endpoint', server.url, '--backend', 'cpu'], { HF_TOKEN: TOKEN });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout.trim()).label !== undefined, true);
  const legacy = requests.filter((r) => r.origin === server.url && r.path.includes('tiny-bert-legacy-id'));
  assert.deepEqual(legacy.map((r) => [r.method, r.authorization]), [['GET', undefined]], 'one request under the old id: the anonymous listing, redirected');
  assert.ok(requests.some((r) => r.path.startsWith('/fixtures/tiny-bert/resolve/') && r.authorization === `Bearer ${TOKEN}`), 'files asked for under the current id, with the token');
});
