// The README's test command: type-check, build the app, then the Node unit tests and the browser tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium } from './ensure-chromium.mjs';

const only = process.argv.slice(2);
const step = (title) => console.log(`\n== ${title}`);

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
}

try {
  step('chromium');
  process.env.CHROMIUM_PATH = ensureChromium();
  console.log(process.env.CHROMIUM_PATH);
  step('type-check (tsc --noEmit, strict)');
  execFileSync('npx', ['tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
  step('build (vite build)');
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const files = [...testFiles('tests/unit'), ...testFiles('tests/browser')];
step(`tests (${files.length} files)`);
const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', './tests/support/register-tfjs-resolve.mjs', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
