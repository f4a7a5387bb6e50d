// The real Hub client (src/hub) against the Hub stand-in (tests/support/hub-server.ts) with its storage redirect and injected faults.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type Fault, type RequestInfo, type TestHub } from '../support/hub-server.ts';
import { hubFiles } from '../../src/hub/files.ts';
import { MissingFileError } from '../../src/model/files.ts';
import { HubError } from '../../src/hub/errors.ts';
import { MemoryFileCache } from '../../src/hub/file-cache.ts';
import { fetchRepoListing, listedFileSize } from '../../src/hub/hub-api.ts';
import { formatDownloadProgress, type DownloadProgress } from '../../src/hub/download.ts';
import { listXnliParquet, loadXnliRows } from '../../src/hub/xnli.ts';
import { xnliParquet, syntheticXnliRows } from '../support/xnli-parquet.ts';

let root: string;
let server: TestHub;
const faults: Fault[] = [];
const requests: RequestInfo[] = [];
const TOKEN = 'hf_secret_test_token';
// 600 KB of pseudo-random bytes: big enough to be cut mid-body, small enough to be quick.
const WEIGHTS = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 2654435761) >>> 24);
const CONFIG = JSON.stringify({ model_type: 'bert', hidden_size: 4 });
const EN_ROWS = syntheticXnliRows(500, 'en');
const FAST = { stallTimeoutMs: 3000, progressIntervalMs: 0 };

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-dl-'));
  const repo = (name: string) => join(root, 'hub', ...name.split('/'));
  await mkdir(repo('org/tiny'), { recursive: true });
  await writeFile(join(repo('org/tiny'), 'config.json'), CONFIG);
  await writeFile(join(repo('org/tiny'), 'model.safetensors'), WEIGHTS);
  await mkdir(repo('org/tiny@v1'), { recursive: true });
  await writeFile(join(repo('org/tiny@v1'), 'config.json'), '{"model_type":"bert","v":1}');
  await mkdir(repo('org/gated'), { recursive: true });
  await writeFile(join(repo('org/gated'), 'config.json'), CONFIG);
  await writeFile(join(repo('org/gated'), 'model.safetensors'), WEIGHTS.subarray(0, 1000));
  await mkdir(repo('org/pt-only'), { recursive: true });
  await writeFile(join(repo('org/pt-only'), 'config.json'), CONFIG);
  await writeFile(join(repo('org/pt-only'), 'pytorch_model.bin'), WEIGHTS.subarray(0, 100));
  const train = join(root, 'hub', 'datasets', 'facebook', 'xnli', 'en', 'train');
  await mkdir(train, { recursive: true });
  await writeFile(join(train, '0000.parquet'), xnliParquet(EN_ROWS.slice(0, 300)));
  await writeFile(join(train, '0001.parquet'), xnliParquet(EN_ROWS.slice(300)));
  server = await startTestHub({
    hubRoot: join(root, 'hub'),
    storageRedirect: true,
    gated: { 'org/gated': TOKEN },
    faults,
    onRequest: (info) => requests.push(info),
  });
});

after(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  faults.length = 0;
  requests.length = 0;
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tiny = (cache = new MemoryFileCache(), progress: DownloadProgress[] = []) =>
  hubFiles({ endpoint: server.url, repo: 'org/tiny' }, { cache, onProgress: (p) => progress.push(p), download: FAST });

async function rejectsWith(promise: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof HubError, `expected a HubError, got ${error.name}: ${error.message}`);
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, new RegExp(TOKEN));
    return true;
  });
}

test('the API lists the revision as the Hub does: a commit, sizes, and SHA-256 for LFS files', async () => {
  const listing = await fetchRepoListing(server.url, 'org/tiny', 'main');
  assert.ok(listing);
  assert.match(listing.commit, /^[0-9a-f]{40}$/);
  assert.deepEqual(listing.files, [
    { path: 'config.json', size: CONFIG.length, sha256: undefined },
    { path: 'model.safetensors', size: WEIGHTS.length, sha256: sha256(WEIGHTS) },
  ]);
  const v1 = await fetchRepoListing(server.url, 'org/tiny', 'v1');
  assert.notEqual(v1!.commit, listing.commit);
  // The resolve URL accepts the commit in place of the branch.
  const byCommit = await fetch(`${server.url}/org/tiny/resolve/${v1!.commit}/config.json`);
  assert.deepEqual(await byCommit.json(), { model_type: 'bert', v: 1 });
});

test('downloads through the storage redirect, checks the hash, caches by commit, and a second read uses the cache', async () => {
  const cache = new MemoryFileCache();
  const progress: DownloadProgress[] = [];
  const bytes = new Uint8Array(await tiny(cache, progress).fetchBytes('model.safetensors'));
  assert.deepEqual(bytes, WEIGHTS);
  const storage = requests.filter((r) => r.origin === server.storageUrl);
  assert.equal(storage.length, 1, 'the weights came from the storage host');
  const last = progress.at(-1)!;
  assert.equal(last.done, true);
  assert.equal(last.loaded, WEIGHTS.length);
  assert.equal(last.total, WEIGHTS.length);
  assert.match(formatDownloadProgress(progress[0]!), /^downloading model\.safetensors: .* \/ 586 KiB, .*\/s/);
  const [entry] = (await cache.list()).filter((e) => e.key.endsWith('model.safetensors'));
  assert.match(entry!.key, /\|org\/tiny\|[0-9a-f]{40}\|model\.safetensors$/);
  assert.equal(entry!.size, WEIGHTS.length);

  requests.length = 0;
  const again: DownloadProgress[] = [];
  assert.deepEqual(new Uint8Array(await tiny(cache, again).fetchBytes('model.safetensors')), WEIGHTS);
  assert.deepEqual(requests.map((r) => r.path.split('?')[0]), ['/api/models/org/tiny/revision/main'], 'only the listing is asked again');
  assert.equal(again.at(-1)!.fromCache, true);
});

test('a connection cut halfway is resumed with a Range request and the file is whole', async () => {
  faults.push({ match: '/__storage/', kind: 'cut', fraction: 0.5 });
  const progress: DownloadProgress[] = [];
  const bytes = new Uint8Array(await tiny(new MemoryFileCache(), progress).fetchBytes('model.safetensors'));
  assert.equal(sha256(bytes), sha256(WEIGHTS));
  const storage = requests.filter((r) => r.origin === server.storageUrl);
  assert.equal(storage.length, 2);
  assert.equal(storage[1]!.range, `bytes=${WEIGHTS.length / 2}-`, 'the second request asks only for the missing half');
  assert.equal(progress.at(-1)!.resumes, 1);
});

test('a cut on a server without ranges restarts the download and still ends whole', async () => {
  faults.push({ match: '/__storage/', kind: 'cut', fraction: 0.3 }, { match: '/__storage/', kind: 'no-range' });
  const progress: DownloadProgress[] = [];
  const bytes = new Uint8Array(await tiny(new MemoryFileCache(), progress).fetchBytes('model.safetensors'));
  assert.equal(sha256(bytes), sha256(WEIGHTS));
  assert.equal(progress.at(-1)!.resumes, 0);
});

test('a file\'s size for the storage estimate comes from the listing, without a request to the file or its storage host', async () => {
  assert.equal(await listedFileSize(server.url, 'org/tiny', 'main', ['model.safetensors']), WEIGHTS.length);
  assert.equal(await listedFileSize(server.url, 'org/tiny', 'main', ['pytorch_model.bin']), null);
  assert.deepEqual(requests.map((r) => r.path.split('?')[0]), ['/api/models/org/tiny/revision/main', '/api/models/org/tiny/revision/main']);
});

test('a rate limit (429 with Retry-After) on the listing and on a file is waited out, and said', async () => {
  faults.push({ match: '/api/models/org/tiny', kind: '429', retryAfter: 1 }, { match: '/org/tiny/resolve/', kind: '429', retryAfter: 1, times: 2 });
  const progress: DownloadProgress[] = [];
  const started = performance.now();
  const bytes = new Uint8Array(await tiny(new MemoryFileCache(), progress).fetchBytes('model.safetensors'));
  assert.equal(sha256(bytes), sha256(WEIGHTS));
  assert.ok(performance.now() - started >= 2900, 'three waits of the one second asked');
  const said = progress.filter((p) => p.retryInSeconds !== undefined).map(formatDownloadProgress);
  assert.deepEqual(said, [
    'the file list of org/tiny: rate-limited by the Hub, retrying in 1 s',
    'model.safetensors: rate-limited by the Hub, retrying in 1 s',
    'model.safetensors: rate-limited by the Hub, retrying in 1 s',
  ]);
});

test('a rate limit longer than a minute fails at once with when to try again', async () => {
  faults.push({ match: '/api/models/org/tiny', kind: '429', retryAfter: 300 });
  await rejectsWith(tiny().fetchBytes('config.json'), 'http', /the file list of org\/tiny: the Hub is rate-limiting these requests; try again in 300 s \(a Hugging Face token raises the limit\)/);
});

test('the reference\'s four short ids are asked for by their current ids, and one cache entry serves both names', async () => {
  await assert.rejects(fetchRepoListing(server.url, 'xlm-roberta-base', 'main'));
  assert.ok(requests[0]!.path.startsWith('/api/models/FacebookAI/xlm-roberta-base/revision/main'), requests[0]!.path);
  requests.length = 0;
  const renamed = await startTestHub({ hubRoot: join(root, 'hub'), renamed: { 'tiny-old': 'org/tiny' }, onRequest: (info) => requests.push(info) });
  try {
    const cache = new MemoryFileCache();
    const files = (repo: string, progress: DownloadProgress[]) => hubFiles({ endpoint: renamed.url, repo, token: TOKEN }, { cache, onProgress: (p) => progress.push(p), download: FAST });
    const first: DownloadProgress[] = [];
    assert.deepEqual(new Uint8Array(await files('tiny-old', first).fetchBytes('model.safetensors')), WEIGHTS);
    const second: DownloadProgress[] = [];
    assert.deepEqual(new Uint8Array(await files('org/tiny', second).fetchBytes('model.safetensors')), WEIGHTS);
    assert.equal(second.at(-1)!.fromCache, true, 'the current id finds what the old one downloaded');
    assert.ok(requests.every((r) => !r.path.includes('tiny-old') || r.authorization === undefined), 'the token never goes to the old id');
  } finally {
    await renamed.close();
  }
});

test('a refused Range (the ranged request rejected outright) starts the file over instead of asking again', async () => {
  faults.push({ match: '/__storage/', kind: 'cut', fraction: 0.5 }, { match: '/__storage/', kind: 'refuse-range', times: 10 });
  const progress: DownloadProgress[] = [];
  const bytes = new Uint8Array(await tiny(new MemoryFileCache(), progress).fetchBytes('model.safetensors'));
  assert.equal(sha256(bytes), sha256(WEIGHTS));
  const storage = requests.filter((r) => r.origin === server.storageUrl);
  assert.deepEqual(storage.map((r) => r.range), [undefined, `bytes=${WEIGHTS.length / 2}-`, undefined], 'cut, refused range, whole file');
});

test('a compressed response (Content-Encoding: gzip) is read whole: its Content-Length is the compressed size', async () => {
  faults.push({ match: '/__storage/', kind: 'gzip' });
  const bytes = new Uint8Array(await tiny(new MemoryFileCache(), []).fetchBytes('model.safetensors'));
  assert.equal(sha256(bytes), sha256(WEIGHTS));
});

test('a cut on every attempt gives up with a "truncated" error and caches nothing', async () => {
  faults.push({ match: '/__storage/', kind: 'cut', fraction: 0.2, times: 10 });
  const cache = new MemoryFileCache();
  const files = hubFiles({ endpoint: server.url, repo: 'org/tiny' }, { cache, download: { ...FAST, maxAttempts: 3 } });
  await rejectsWith(files.fetchBytes('model.safetensors'), 'corrupt', /model\.safetensors arrived incomplete after 3 attempts .*discarded/);
  assert.deepEqual((await cache.list()).filter((e) => e.key.endsWith('.safetensors')), []);
});

test('a file of the wrong size is discarded, not cached, and the next try succeeds', async () => {
  faults.push({ match: '/__storage/', kind: 'wrong-size' });
  const cache = new MemoryFileCache();
  await rejectsWith(tiny(cache).fetchBytes('model.safetensors'), 'corrupt', /model\.safetensors is corrupt or truncated \(the server announces 439 KiB but the Hub lists 586 KiB\); it was discarded/);
  assert.equal((await cache.list()).some((e) => e.key.endsWith('.safetensors')), false);
  assert.deepEqual(new Uint8Array(await tiny(cache).fetchBytes('model.safetensors')), WEIGHTS);
});

test('a file whose SHA-256 differs from the Hub listing is discarded', async () => {
  faults.push({ match: '/__storage/', kind: 'corrupt' });
  const cache = new MemoryFileCache();
  await rejectsWith(tiny(cache).fetchBytes('model.safetensors'), 'corrupt', /SHA-256 [0-9a-f]{12}… differs from the Hub's [0-9a-f]{12}…/);
  assert.equal((await cache.list()).some((e) => e.key.endsWith('.safetensors')), false);
});

test('a slow server: progress reports a rate and the time left, and the file is whole', async () => {
  faults.push({ match: 'config.json', kind: 'slow', bytesPerSecond: 200 });
  const progress: DownloadProgress[] = [];
  const bytes = await tiny(new MemoryFileCache(), progress).fetchBytes('config.json');
  assert.equal(new TextDecoder().decode(bytes), CONFIG);
  const partial = progress.filter((p) => !p.done);
  assert.ok(partial.length >= 3, `several progress reports (${partial.length})`);
  assert.ok(partial.every((p) => p.bytesPerSecond > 0 && p.etaSeconds !== undefined && p.total === CONFIG.length));
  assert.match(formatDownloadProgress(partial[1]!), /^downloading config\.json: \d+ B \/ \d+ B, \d+ B\/s, \d+ s left$/);
});

test('a server that stalls is abandoned after the stall timeout and resumed', async () => {
  faults.push({ match: '/__storage/', kind: 'stall', fraction: 0.4 });
  const progress: DownloadProgress[] = [];
  const files = hubFiles({ endpoint: server.url, repo: 'org/tiny' }, { cache: new MemoryFileCache(), onProgress: (p) => progress.push(p), download: { stallTimeoutMs: 1000, progressIntervalMs: 0 } });
  // The stalled response is given up (the server would hold it forever) and the rest fetched with one resume.
  assert.deepEqual(new Uint8Array(await files.fetchBytes('model.safetensors')), WEIGHTS);
  assert.equal(progress.at(-1)!.resumes, 1);
});

test('a 404 for a listed file is an error, and the cache stays without it', async () => {
  faults.push({ match: '/resolve/', kind: '404' });
  const cache = new MemoryFileCache();
  await rejectsWith(tiny(cache).fetchBytes('config.json'), 'file-not-found', /config\.json of org\/tiny@main on http:\/\/127\.0\.0\.1:\d+ not found|config\.json not found/);
  assert.equal((await cache.list()).some((e) => e.key.startsWith('file|')), false);
});

test('a 401 says the repository is gated and asks for a token; the token goes to the Hub only, never to the storage host', async () => {
  const noToken = hubFiles({ endpoint: server.url, repo: 'org/gated' }, { cache: new MemoryFileCache(), download: FAST });
  await rejectsWith(noToken.fetchBytes('config.json'), 'unauthorized', /refused \(HTTP 401\): the repository is gated or private; give a Hugging Face token/);
  faults.push({ match: '/resolve/', kind: '401' });
  await rejectsWith(tiny().fetchBytes('config.json'), 'unauthorized', /HTTP 401/);

  requests.length = 0;
  const withToken = hubFiles({ endpoint: server.url, repo: 'org/gated', token: TOKEN }, { cache: new MemoryFileCache(), download: FAST });
  assert.equal((await withToken.fetchBytes('model.safetensors')).byteLength, 1000);
  const hub = requests.filter((r) => r.origin === server.url);
  const storage = requests.filter((r) => r.origin === server.storageUrl);
  assert.equal(hub[0]?.authorization, undefined, 'the listing is asked for without the token first (a renamed id redirects)');
  assert.ok(hub.length >= 2 && hub.slice(1).every((r) => r.authorization === `Bearer ${TOKEN}`), 'the files carry the token');
  assert.equal(storage.length, 1);
  assert.equal(storage[0]!.authorization, undefined, 'no token on the redirect target');
  const wrongToken = hubFiles({ endpoint: server.url, repo: 'org/gated', token: 'hf_wrong' }, { cache: new MemoryFileCache(), download: FAST });
  await rejectsWith(wrongToken.fetchBytes('config.json'), 'unauthorized', /the token is not valid or has no access/);
});

test('a model id that does not exist, and a revision that does not exist, say so', async () => {
  const missing = hubFiles({ endpoint: server.url, repo: 'org/no-such-model' }, { cache: new MemoryFileCache() });
  await rejectsWith(missing.fetchBytes('config.json'), 'repo-not-found', /^org\/no-such-model does not exist on http:\/\/127\.0\.0\.1:\d+ \(or it is private: give a token\): check the model id\.$/);
  const badRevision = hubFiles({ endpoint: server.url, repo: 'org/tiny', revision: 'v9' }, { cache: new MemoryFileCache() });
  await rejectsWith(badRevision.fetchBytes('config.json'), 'revision-not-found', /revision "v9" does not exist in org\/tiny/);
});

test('a missing model.safetensors names the files the repository has', async () => {
  const files = hubFiles({ endpoint: server.url, repo: 'org/pt-only' }, { cache: new MemoryFileCache() });
  await assert.rejects(files.fetchBytes('model.safetensors'), (error: Error) => {
    assert.ok(error instanceof MissingFileError);
    assert.match(error.message, /^model\.safetensors not found in org\/pt-only@main on http:\/\/127\.0\.0\.1:\d+ \(the repository has config\.json, pytorch_model\.bin\)$/);
    return true;
  });
});

test('storage too small: the error says how much is needed and how much is free, before downloading', async () => {
  const cache = new MemoryFileCache(100_000);
  await rejectsWith(tiny(cache).fetchBytes('model.safetensors'), 'quota', /needs 586 KiB but only 9\d(\.\d)? KiB/);
  assert.equal(requests.filter((r) => r.origin === server.storageUrl).length, 0, 'nothing was downloaded');
});

test('offline: cached files are read without network; anything else says "no network and ... not cached"', async () => {
  const temporary = await startTestHub({ hubRoot: join(root, 'hub'), storageRedirect: true });
  const cache = new MemoryFileCache();
  const online = hubFiles({ endpoint: temporary.url, repo: 'org/tiny' }, { cache });
  await online.fetchBytes('config.json');
  await online.fetchBytes('model.safetensors');
  const xnli = { endpoint: temporary.url, language: 'en', split: 'train' as const };
  assert.equal((await loadXnliRows(xnli, { cache })).length, EN_ROWS.length);
  await temporary.close();

  const offline = hubFiles({ endpoint: temporary.url, repo: 'org/tiny' }, { cache });
  assert.deepEqual(new Uint8Array(await offline.fetchBytes('model.safetensors')), WEIGHTS);
  assert.deepEqual(await loadXnliRows(xnli, { cache }), EN_ROWS);
  const other = hubFiles({ endpoint: temporary.url, repo: 'org/gated' }, { cache });
  await rejectsWith(other.fetchBytes('config.json'), 'offline', /^no network and org\/gated@main on http:\/\/127\.0\.0\.1:\d+ is not cached: connect once/);
  await rejectsWith(loadXnliRows({ ...xnli, split: 'validation' }, { cache }), 'offline', /^no network and XNLI en\/validation is not cached/);
});

test('XNLI: files found through the API listing, read in order, through the redirect, with progress', async () => {
  const urls = await listXnliParquet({ endpoint: server.url, language: 'en', split: 'train' }, new MemoryFileCache());
  assert.deepEqual(urls, [0, 1].map((i) => `${server.url}/api/datasets/facebook/xnli/parquet/en/train/${i}.parquet`));
  const progress: DownloadProgress[] = [];
  faults.push({ match: '/__storage/', kind: 'cut' });
  const rows = await loadXnliRows({ endpoint: server.url, language: 'en', split: 'train' }, { cache: new MemoryFileCache(), onProgress: (p) => progress.push(p), download: FAST });
  assert.deepEqual(rows, EN_ROWS);
  assert.deepEqual(progress.filter((p) => p.done).map((p) => p.file), ['XNLI en/train part 1/2', 'XNLI en/train part 2/2']);
});

test('XNLI: a language it does not have, and a subset the server lacks, are named', async () => {
  await rejectsWith(listXnliParquet({ endpoint: server.url, language: 'pt', split: 'train' }), 'unknown-language', /^XNLI has no language "pt"; it has ar, bg, de, el, en, es, fr, hi, ru, sw, th, tr, ur, vi, zh\.$/);
  await rejectsWith(listXnliParquet({ endpoint: server.url, language: 'de', split: 'test' }, new MemoryFileCache()), 'unknown-language', /XNLI has no subset "de" with split "test"/);
});
