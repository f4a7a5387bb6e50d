// Serves test code that drives the WebGPU engine directly (no app around it) as a page: the entry is bundled
// with esbuild into a temporary folder and opened in headless Chromium, whose WebGPU (SwiftShader here) runs it.
// The trainer's parity also runs in Node through Dawn (tests/unit/train-parity-dawn.test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { serveStatic } from '../../bench/serve-static.ts';

export interface EnginePage {
  page: Page;
  close(): Promise<void>;
}

/** Opens a page running `entry` (a module that installs its checks on window and sets data-ready on <html>). */
export async function openEnginePage(browser: Browser, entry: string): Promise<EnginePage> {
  const root = await mkdtemp(join(tmpdir(), 'xnli-engine-page-'));
  await build({ entryPoints: [entry], bundle: true, format: 'esm', target: 'es2022', outfile: join(root, 'page.js'), logLevel: 'warning' });
  await writeFile(join(root, 'index.html'), '<!doctype html><meta charset="utf-8"><title>engine checks</title><script type="module" src="./page.js"></script>');
  const server = await serveStatic(root, false);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 60_000 }).catch(() => {
    throw new Error(`the engine page did not start: ${errors.join('; ') || 'no error reported'}`);
  });
  const ready = await page.evaluate(() => document.documentElement.dataset.ready);
  if (ready !== 'true') throw new Error(`the engine page could not start: ${ready}`);
  return {
    page,
    close: async () => {
      await context.close();
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
