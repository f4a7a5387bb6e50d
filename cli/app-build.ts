import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
export const DIST_DIR = join(PROJECT_ROOT, 'dist');

/** Inputs of the app build: when one is newer than dist/runner.html, the build is stale. */
const BUILD_INPUTS = ['src', 'public', 'index.html', 'runner.html', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the built app must be (re)built, or null when dist/ is up to date. */
export function staleBuildReason(root = PROJECT_ROOT): string | null {
  const marker = join(root, 'dist', 'runner.html');
  if (!existsSync(marker)) return 'dist/ has no build of the app';
  const builtAt = statSync(marker).mtimeMs;
  const changed = BUILD_INPUTS.find((input) => newestMtime(join(root, input)) > builtAt);
  return changed ? `${changed} changed since the last build` : null;
}

/** Builds the app with Vite's JS API when dist/ is missing or older than its sources. */
export async function ensureBuiltApp(log: (line: string) => void, root = PROJECT_ROOT): Promise<string> {
  const reason = staleBuildReason(root);
  if (reason) {
    log(`building the app (${reason})...`);
    const { build } = await import('vite');
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  }
  return join(root, 'dist');
}
