// Times numpy-exact sampling (default_rng(seed).permutation(392702)) in Node and in headless Chromium.
// Run: node --import tsx bench/sample.bench.ts
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { permutation } from '../src/data/numpy-random.ts';
import { findChromium } from '../scripts/ensure-chromium.mjs';

const N = 392702;
const RUNS = 5;

function timeRuns(draw: (seed: number) => unknown): number[] {
  const times: number[] = [];
  for (let seed = 0; seed < RUNS; seed++) {
    const started = performance.now();
    draw(seed);
    times.push(performance.now() - started);
  }
  return times;
}

const format = (times: number[]) => times.map((ms) => ms.toFixed(1)).join(', ');

console.log(`node ${process.version}: permutation(seed, ${N}) ms per run: ${format(timeRuns((seed) => permutation(seed, N)))}`);

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.log('chromium not found (set CHROMIUM_PATH): browser timing skipped');
} else {
  // Bundle the real module for the page: Vite library build to memory, as an IIFE exposing `numpyRandom`.
  const output = await build({
    logLevel: 'warn',
    configFile: false,
    build: {
      write: false,
      minify: true,
      lib: { entry: fileURLToPath(new URL('../src/data/numpy-random.ts', import.meta.url)), formats: ['iife'], name: 'numpyRandom' },
    },
  });
  const bundle = (Array.isArray(output) ? output[0] : output) as { output?: { type: string; code?: string }[] };
  const code = bundle.output?.find((item) => item.type === 'chunk')?.code;
  if (!code) throw new Error('vite produced no bundle for src/data/numpy-random.ts');
  const browser = await chromium.launch({ executablePath: chromiumPath });
  try {
    const page = await browser.newPage();
    // WebCrypto needs a secure context: serve an empty page from an https origin through request interception.
    await page.route('https://bench.invalid/', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }));
    await page.goto('https://bench.invalid/');
    await page.addScriptTag({ content: code });
    const times = await page.evaluate(({ n, runs }) => {
      const api = (globalThis as unknown as { numpyRandom: typeof import('../src/data/numpy-random.ts') }).numpyRandom;
      const result: number[] = [];
      for (let seed = 0; seed < runs; seed++) {
        const started = performance.now();
        api.permutation(seed, n);
        result.push(performance.now() - started);
      }
      return result;
    }, { n: N, runs: RUNS });
    console.log(`chromium ${browser.version()}: permutation(seed, ${N}) ms per run: ${format(times)}`);
    const hash = await page.evaluate(async (n) => {
      const api = (globalThis as unknown as { numpyRandom: typeof import('../src/data/numpy-random.ts') }).numpyRandom;
      return api.indicesHash(api.sampleIndices(73, n, 15000));
    }, N);
    const expected = '3405059801bda07c7121f80e2c0f88efbe946192f3855fa30ef9858e151dd9c7';
    console.log(`chromium: seed 73 sample hash ${hash === expected ? 'matches REFERENCE.md' : `DIFFERS from REFERENCE.md: ${hash}`}`);
    if (hash !== expected) process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
