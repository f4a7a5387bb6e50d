// Checkpoint storage in headless Chromium: write then read one file of 256 MiB and 1.1 GB through the app's two
// blob stores (src/store/blob-store.ts), OPFS and IndexedDB in 32 MiB chunks, in a private (incognito) context
// and in a persistent profile. Run: node --import tsx bench/checkpoint-storage.bench.ts [MiB ...]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS } from '../cli/browser.ts';
import { ensureBuiltApp } from '../cli/app-build.ts';
import { startHubLikeServer } from '../cli/hub-like-server.ts';
import { findChromium } from '../scripts/ensure-chromium.mjs';
import { installStoreHooks } from '../tests/support/store-hooks.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const megabytes = sizes.length > 0 ? sizes : [256, 1049];

async function measure(context: BrowserContext, url: string, label: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${url}/runner.html`);
  await page.waitForFunction(() => document.documentElement.dataset.runnerReady === 'true');
  await installStoreHooks(page);
  for (const size of megabytes) {
    for (const kind of ['opfs', 'indexeddb'] as const) {
      try {
        const result = await page.evaluate(({ kind, size }) => window.xnliStoreHooks!.timeBlobStore(kind, size), { kind, size });
        const mbps = (ms: number) => ((size / ms) * 1000).toFixed(0);
        console.log(`${label.padEnd(10)} ${kind.padEnd(9)} ${String(size).padStart(5)} MiB  write ${(result.writeMs / 1000).toFixed(2)} s (${mbps(result.writeMs)} MiB/s)  read ${(result.readMs / 1000).toFixed(2)} s (${mbps(result.readMs)} MiB/s)  ${result.ok ? 'ok' : 'READ BACK WRONG'}`);
      } catch (error) {
        console.log(`${label.padEnd(10)} ${kind.padEnd(9)} ${String(size).padStart(5)} MiB  FAILED: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  }
  await page.close();
}

const dist = await ensureBuiltApp((line) => console.error(line));
const server = await startHubLikeServer({ staticRoot: dist });
const executablePath = findChromium()!;
try {
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  await measure(await browser.newContext(), server.url, 'private');
  await browser.close();
  const profile = await mkdtemp(join(tmpdir(), 'xnli-bench-profile-'));
  const persistent = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS });
  await measure(persistent, server.url, 'profile');
  await persistent.close();
  await rm(profile, { recursive: true, force: true });
} finally {
  await server.close();
}
