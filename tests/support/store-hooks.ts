// Injects tests/browser/pages/store-hooks.ts (bundled once per process with esbuild) into a page of the app, so
// tests and benches can reach the store's internals without the product shipping them.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';

let bundled: Promise<string> | null = null;

export async function installStoreHooks(page: Page): Promise<void> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('../browser/pages/store-hooks.ts', import.meta.url))],
    bundle: true, format: 'iife', target: 'es2022', write: false, logLevel: 'warning',
  }).then((result) => result.outputFiles[0]!.text);
  await page.addScriptTag({ content: await bundled });
  await page.waitForFunction(() => window.xnliStoreHooks !== undefined);
}
