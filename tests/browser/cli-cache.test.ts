// The CLI's browser profile persists between runs, so what one run downloaded serves the next, even offline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startHubServer } from '../support/hub-server.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { xnliTrain } from '../support/run-cli.ts';

const work = await mkdtemp(join(tmpdir(), 'xnli-cli-cache-'));
after(() => rm(work, { recursive: true, force: true }));

test('a second predict run uses the downloads of the first, with the Hub gone', async () => {
  const pairs = join(work, 'pairs.jsonl');
  await writeFile(pairs, `${JSON.stringify({ premise: 'the happy son', hypothesis: 'what' })}\n`);
  const server = await startHubServer(await ensureHubFixtures(), { serveApp: false });
  // The cache lives in the app's origin, so both runs serve the app on one (free) port.
  const env = { XNLI_TRAIN_CACHE: join(work, 'cache'), XNLI_TRAIN_PORT: String(await freePort()) };
  const args = ['predict', '--model', 'fixtures/tiny-bert', '--input', pairs, '--hub-endpoint', server.url, '--backend', 'cpu'];
  let first;
  try {
    first = await xnliTrain(args, env);
  } finally {
    await server.close();
  }
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /model\.safetensors/, 'the first run downloads');
  const second = await xnliTrain(args, env);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(JSON.parse(second.stdout).logits, JSON.parse(first.stdout).logits);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
