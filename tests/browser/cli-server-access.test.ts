// The CLI's local server lets in only its own page: a foreign origin (another site open in the user's browser) can
// neither write into the output folder nor read the files the CLI serves, a DNS-rebound Host is refused, and the
// routes that matter need the per-run secret that only the CLI's own browser holds. (That the CLI's own page still
// trains, predicts and writes checkpoints is what cli-train, cli-predict and cli-cache show.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../cli/browser.ts';
import { secretCookieName } from '../../cli/hub-like-server.ts';
import type { AppServer } from '../../cli/session.ts';
import { startTestHub } from '../support/hub-server.ts';

let work: string;
let server: AppServer;
let foreign: Server;
let foreignUrl: string;
let browser: Browser;
const FOREIGN = 'http://evil.example';

before(async () => {
  process.env.XNLI_TRAIN_PORT = '0';
  const { startAppServer } = await import('../../cli/session.ts');
  work = await mkdtemp(join(tmpdir(), 'xnli-access-'));
  await mkdir(join(work, 'app'));
  await writeFile(join(work, 'app', 'index.html'), '<!doctype html><title>app</title>');
  await mkdir(join(work, 'model'));
  await writeFile(join(work, 'model', 'config.json'), '{"model_type":"bert"}');
  await writeFile(join(work, 'train.jsonl'), '{"premise":"a","hypothesis":"b","label":0}\n');
  await mkdir(join(work, 'out'));
  server = await startAppServer({
    staticRoot: join(work, 'app'),
    repoFolders: { 'local/model': join(work, 'model') },
    files: { '/__files/train.jsonl': join(work, 'train.jsonl') },
    outputRoot: join(work, 'out'),
  }, () => {});
  // Another site: a page on a different host name (localhost is another site than 127.0.0.1).
  foreign = createServer((_, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((done) => foreign.listen(0, '127.0.0.1', done));
  foreignUrl = `http://localhost:${(foreign.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((done) => foreign?.close(done));
  if (work) await rm(work, { recursive: true, force: true });
});

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw HTTP request, so that Host, Origin and Cookie can be anything a browser or a rebinding page might send. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookie = () => ({ Cookie: `${secretCookieName(server.port)}=${server.secret}` });
const written = () => ['evil', 'evil.partial'].some((name) => existsSync(join(work, 'out', name)));

test('a foreign-origin preflight and PUT are refused and write nothing, even with the secret cookie attached', async () => {
  const preflight = await send('OPTIONS', '/__output/evil/note.txt', { Origin: FOREIGN, 'Access-Control-Request-Method': 'PUT' });
  assert.equal(preflight.status, 403);
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.equal(preflight.headers['access-control-allow-methods'], undefined);
  for (const headers of [{ Origin: FOREIGN }, { Origin: FOREIGN, ...cookie() }, {}] as Record<string, string>[]) {
    assert.equal((await send('PUT', '/__output/evil/note.txt', headers, 'planted')).status, 403, JSON.stringify(headers));
    assert.equal((await send('POST', '/__output/evil?commit', headers)).status, 403);
  }
  assert.equal(written(), false);
  // The page's own request, with the secret, is let in.
  assert.equal((await send('PUT', '/__output/ok/note.txt', { Origin: server.url, ...cookie() }, 'fine')).status, 201);
  assert.equal((await send('POST', '/__output/ok?commit', { Origin: server.url, ...cookie() })).status, 204);
  assert.equal(existsSync(join(work, 'out', 'ok', 'note.txt')), true);
});

test('a foreign origin cannot read a served file; without the secret nobody can', async () => {
  for (const path of ['/__files/train.jsonl', '/local/model/resolve/main/config.json', '/api/models/local/model']) {
    const fromAfar = await send('GET', path, { Origin: FOREIGN, ...cookie() });
    assert.equal(fromAfar.status, 403, path);
    assert.equal(fromAfar.headers['access-control-allow-origin'], undefined, path);
    assert.equal((await send('GET', path)).status, 403, `${path} without the secret`);
    const own = await send('GET', path, cookie());
    assert.equal(own.status, 200, `${path}: ${own.body}`);
    assert.equal(own.headers['access-control-allow-origin'], undefined, 'same-origin needs no CORS');
  }
  // The app's own page needs no secret (the CLI's browser opens it), and is not for other origins either.
  assert.equal((await send('GET', '/index.html')).status, 200);
  assert.equal((await send('GET', '/index.html')).headers['cross-origin-resource-policy'], 'same-origin');
});

test('a request for another Host (DNS rebinding) is refused, secret or not', async () => {
  for (const host of [`rebound.example:${server.port}`, `localhost:${server.port}`, 'rebound.example']) {
    assert.equal((await send('GET', '/index.html', { Host: host })).status, 403, host);
    assert.equal((await send('GET', '/__files/train.jsonl', { Host: host, ...cookie() })).status, 403, host);
    assert.equal((await send('PUT', '/__output/evil/note.txt', { Host: host, ...cookie() }, 'planted')).status, 403, host);
  }
  assert.equal(written(), false);
});

test('in a real browser holding the secret, a page of another site can neither read the files nor write outputs', async () => {
  const context = await browser.newContext();
  const { admitToAppServer } = await import('../../cli/session.ts');
  await admitToAppServer(context, server);
  try {
    const own = await context.newPage();
    await own.goto(`${server.url}/index.html`);
    assert.equal(await own.evaluate(() => fetch('/__files/train.jsonl').then((r) => r.status)), 200, 'the own page reads with its cookie');

    const page = await context.newPage();
    await page.goto(`${foreignUrl}/`);
    // A string, not a function: tsx's __name helpers do not exist in the page.
    const outcome = await page.evaluate(`(async (target) => {
      const attempt = (run) => run().then((r) => 'status ' + r.status, (e) => 'refused: ' + e.name);
      return {
        read: await attempt(() => fetch(target + '/__files/train.jsonl', { credentials: 'include' })),
        put: await attempt(() => fetch(target + '/__output/evil/note.txt', { method: 'PUT', body: 'planted', credentials: 'include' })),
        simplePost: await attempt(() => fetch(target + '/__output/evil?commit', { method: 'POST', mode: 'no-cors', credentials: 'include' })),
      };
    })(${JSON.stringify(server.url)})`) as { read: string; put: string; simplePost: string };
    assert.match(outcome.read, /^refused/);
    assert.match(outcome.put, /^refused/);
    assert.equal(written(), false, JSON.stringify(outcome));
  } finally {
    await context.close();
  }
});

// The CLI's own server never redirects to a storage host; the tests' Hub stand-in does, and keeps the rules above on it.
test('the storage hop for redirected files lets in exactly the app\'s origin, and only by the links it issued', async () => {
  const hopSecret = 'hop-secret';
  const hopped = await startTestHub({ staticRoot: join(work, 'app'), repoFolders: { 'local/model': join(work, 'model') }, storageRedirect: true, ownPageOnly: { secret: hopSecret } });
  await writeFile(join(work, 'model', 'model.safetensors'), 'weights');
  try {
    const get = (url: string, headers: Record<string, string>) => new Promise<Answer>((resolve, reject) => {
      const target = new URL(url);
      const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, headers: { Host: target.host, ...headers } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    const secret = { Cookie: `${secretCookieName(hopped.port)}=${hopSecret}` };
    const redirect = await get(`${hopped.url}/local/model/resolve/main/model.safetensors`, secret);
    assert.equal(redirect.status, 302, redirect.body);
    const link = new URL(String(redirect.headers.location), hopped.url).href;
    assert.notEqual(new URL(link).origin, hopped.url, 'the hop is another origin, as the Hub\'s storage is');
    const own = await get(link, { Origin: hopped.url });
    assert.equal(own.status, 200);
    assert.equal(own.body, 'weights');
    assert.equal(own.headers['access-control-allow-origin'], hopped.url);
    const foreign = await get(link, { Origin: FOREIGN });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assert.equal((await get(`${new URL(link).origin}/__storage/guessed`, { Origin: hopped.url })).status, 404, 'only issued links are served');
  } finally {
    await hopped.close();
  }
});
