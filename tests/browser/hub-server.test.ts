// The Hub-like server the CLI stands on, and the tests' Hub stand-in around it (Node only: no browser needed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startHubLikeServer, parseRange, type RunningServer } from '../../cli/hub-like-server.ts';
import { startTestHub, type Fault } from '../support/hub-server.ts';

let root: string;
let server: RunningServer;
const BYTES = Uint8Array.from({ length: 100 }, (_, i) => i);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-'));
  await mkdir(join(root, 'hub', 'org', 'model'), { recursive: true });
  await mkdir(join(root, 'hub', 'org', 'model@v1'), { recursive: true });
  await mkdir(join(root, 'hub', 'solo'), { recursive: true });
  await mkdir(join(root, 'app'), { recursive: true });
  await mkdir(join(root, 'elsewhere'), { recursive: true });
  await writeFile(join(root, 'hub', 'org', 'model', 'model.safetensors'), BYTES);
  await writeFile(join(root, 'hub', 'org', 'model@v1', 'config.json'), '{"v":1}');
  await writeFile(join(root, 'hub', 'solo', 'config.json'), '{"solo":true}');
  await writeFile(join(root, 'elsewhere', 'config.json'), '{"local":true}');
  await writeFile(join(root, 'app', 'index.html'), '<!doctype html><title>app</title>');
  await writeFile(join(root, 'secret.txt'), 'not served');
  server = await startHubLikeServer({ hubRoot: join(root, 'hub'), staticRoot: join(root, 'app'), repoFolders: { 'local/thing': join(root, 'elsewhere') } });
});

after(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

test('serves repository files with length, CORS and the Hub path layout', async () => {
  const response = await get('/org/model/resolve/main/model.safetensors');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-length'), '100');
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  assert.equal(response.headers.get('accept-ranges'), 'bytes');
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), BYTES);
  assert.deepEqual(await (await get('/solo/resolve/main/config.json')).json(), { solo: true });
  assert.deepEqual(await (await get('/local/thing/resolve/main/config.json')).json(), { local: true });
  const head = await get('/org/model/resolve/main/model.safetensors', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '100');
});

test('range requests answer 206 with Content-Range, and 416 past the end', async () => {
  const partial = await get('/org/model/resolve/main/model.safetensors', { headers: { Range: 'bytes=10-19' } });
  assert.equal(partial.status, 206);
  assert.equal(partial.headers.get('content-range'), 'bytes 10-19/100');
  assert.deepEqual([...new Uint8Array(await partial.arrayBuffer())], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const suffix = await get('/org/model/resolve/main/model.safetensors', { headers: { Range: 'bytes=-3' } });
  assert.deepEqual([...new Uint8Array(await suffix.arrayBuffer())], [97, 98, 99]);
  const beyond = await get('/org/model/resolve/main/model.safetensors', { headers: { Range: 'bytes=200-' } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), 'bytes */100');
  assert.deepEqual(parseRange('bytes=90-', 100), [90, 99]);
  assert.deepEqual(parseRange('bytes=0-1000', 100), [0, 99]);
  assert.equal(parseRange('items=1-2', 100), null);
});

test('unknown repositories, revisions and files are 404 with the Hub error codes', async () => {
  const cases: [string, string][] = [
    ['/org/missing/resolve/main/config.json', 'RepoNotFound'],
    ['/org/model/resolve/v2/config.json', 'RevisionNotFound'],
    ['/org/model/resolve/main/config.json', 'EntryNotFound'],
  ];
  for (const [path, code] of cases) {
    const response = await get(path);
    assert.equal(response.status, 404, path);
    assert.equal(response.headers.get('x-error-code'), code, path);
    assert.equal(typeof ((await response.json()) as { error: unknown }).error, 'string');
  }
  assert.deepEqual(await (await get('/org/model/resolve/v1/config.json')).json(), { v: 1 }, 'revision folders <name>@<rev>');
});

test('CORS preflight allows the Authorization and Range headers', async () => {
  const response = await get('/org/model/resolve/main/model.safetensors', { method: 'OPTIONS' });
  assert.equal(response.status, 204);
  assert.match(response.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  assert.match(response.headers.get('access-control-allow-headers') ?? '', /Range/);
});

test('serves the app at / and never a file outside its folders', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await index.text(), /<title>app<\/title>/);
  for (const path of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/org/..%2f..%2fsecret.txt/resolve/main/x', '/org/model/resolve/main/..%2f..%2f..%2fsecret.txt']) {
    const response = await get(path);
    assert.equal(response.status, 404, path);
    assert.doesNotMatch(await response.text(), /not served/, path);
  }
});

test('the model API answers like the Hub: commit sha, siblings with sizes and LFS SHA-256, and the file tree', async () => {
  const info = (await (await get('/api/models/org/model/revision/main?blobs=true')).json()) as { id: string; sha: string; siblings: Record<string, unknown>[] };
  assert.equal(info.id, 'org/model');
  assert.match(info.sha, /^[0-9a-f]{40}$/);
  const sha256 = createHash('sha256').update(BYTES).digest('hex');
  assert.deepEqual(info.siblings.map(({ blobId: _blob, ...rest }) => rest), [{ rfilename: 'model.safetensors', size: 100, lfs: { sha256, size: 100, pointerSize: 128 } }]);
  assert.equal(((await (await get('/api/models/org/model')).json()) as { sha: string }).sha, info.sha, '/api/models/<repo> is main');
  const tree = (await (await get('/api/models/org/model/tree/main')).json()) as Record<string, unknown>[];
  assert.deepEqual(tree.map(({ oid: _oid, ...rest }) => rest), [{ type: 'file', size: 100, path: 'model.safetensors', lfs: { oid: sha256, size: 100, pointerSize: 128 } }]);
  const missing = await get('/api/models/org/missing');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('x-error-code'), 'RepoNotFound');
  // The commit works as a revision in resolve URLs.
  assert.equal((await get(`/org/model/resolve/${info.sha}/model.safetensors`)).status, 200);
});

test('storage redirects, parquet listings, gated repos and injected faults', async () => {
  const faults: Fault[] = [];
  await mkdir(join(root, 'hub', 'datasets', 'facebook', 'xnli', 'fr', 'test'), { recursive: true });
  await writeFile(join(root, 'hub', 'datasets', 'facebook', 'xnli', 'fr', 'test', '0000.parquet'), BYTES);
  const hub = await startTestHub({ hubRoot: join(root, 'hub'), storageRedirect: true, gated: { solo: 'hf_ok' }, faults });
  try {
    const redirect = await fetch(`${hub.url}/org/model/resolve/main/model.safetensors`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.ok(redirect.headers.get('location')!.startsWith(`${hub.storageUrl}/__storage/`));
    assert.equal(redirect.headers.get('x-linked-size'), '100');
    assert.equal(redirect.headers.get('x-linked-etag'), `"${createHash('sha256').update(BYTES).digest('hex')}"`);
    assert.match(redirect.headers.get('access-control-expose-headers') ?? '', /X-Linked-Etag/);
    const preflight = await fetch(redirect.headers.get('location')!, { method: 'OPTIONS', headers: { Origin: hub.url, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    assert.equal(preflight.status, 403, 'the storage host refuses preflights, as the Hub\'s does');
    const listing = (await (await fetch(`${hub.url}/api/datasets/facebook/xnli/parquet/fr/test`)).json()) as string[];
    assert.deepEqual(listing, [`${hub.url}/api/datasets/facebook/xnli/parquet/fr/test/0.parquet`]);
    assert.deepEqual(new Uint8Array(await (await fetch(listing[0]!)).arrayBuffer()), BYTES);
    assert.equal((await fetch(`${hub.url}/api/datasets/facebook/xnli/parquet/xx/test`)).status, 404);
    const gated = await fetch(`${hub.url}/solo/resolve/main/config.json`);
    assert.equal(gated.status, 401);
    assert.equal(gated.headers.get('x-error-code'), 'GatedRepo');
    assert.equal((await fetch(`${hub.url}/solo/resolve/main/config.json`, { headers: { Authorization: 'Bearer hf_ok' } })).status, 200);

    faults.push({ match: 'config.json', kind: '404' }, { match: 'config.json', kind: '401' }, { match: 'config.json', kind: 'wrong-size' }, { match: 'config.json', kind: 'cut' });
    const v1 = '/org/model/resolve/v1/config.json';
    assert.equal((await fetch(hub.url + v1)).status, 404);
    assert.equal((await fetch(hub.url + v1)).status, 401);
    assert.equal((await (await fetch(hub.url + v1)).arrayBuffer()).byteLength, 5, 'three quarters of the 7 bytes');
    await assert.rejects(fetch(hub.url + v1).then((r) => r.arrayBuffer()), 'cut halfway');
    assert.deepEqual(await (await fetch(hub.url + v1)).json(), { v: 1 }, 'faults are used up');
  } finally {
    await hub.close();
  }
});
