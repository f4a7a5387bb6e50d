/**
 * Training throughput in headless Chromium on each backend, for the bench models, beside the PyTorch reference of
 * the same model, batch and length (bench/torch_reference.py with Debian's python3-torch).
 */
import { build } from 'vite';
import { tfjsWasmThreadsPlugin } from '../build/tfjs-wasm-threads-plugin.ts';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../cli/browser.ts';
import { serveStatic } from './serve-static.ts';
import { trainingFlopsPerStep, type BenchModel } from './models.ts';
import type { Page } from 'playwright-core';
import type { FeatureCacheFigure, KernelProfile, TrainBenchResult } from './browser/train-core.ts';

/** repeats: runs measured, the fastest kept (default 1). */
export interface TrainPlan { backend: string; model: BenchModel; warmup: number; steps: number; repeats?: number }

export interface TrainFigure extends TrainBenchResult { model: string; tokensPerSecond: number; gflops: number; vsTorch?: number }

export const PAGE_OUT = '/tmp/xnli-bench-page';

export async function buildBenchPage(): Promise<void> {
  await build({
    configFile: false, plugins: [tfjsWasmThreadsPlugin()], root: fileURLToPath(new URL('./browser', import.meta.url)), logLevel: 'warn',
    build: { outDir: PAGE_OUT, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 5000, minify: process.env.BENCH_NO_MINIFY !== '1' },
  });
}

export async function runBrowserTraining(plans: TrainPlan[], options: { originalWasmMatMul: boolean; isolated?: boolean; log: (line: string) => void }): Promise<{ figures: TrainFigure[]; isolated: boolean; chromium: string }> {
  await buildBenchPage();
  // Cross-origin isolated as the app is (COOP/COEP): tfjs then runs its threaded wasm build on every core.
  const server = await serveStatic(PAGE_OUT, options.isolated ?? true);
  const browser = await launchChromium();
  const figures: TrainFigure[] = [];
  let isolated = false;
  try {
    for (const plan of plans) {
      // A fresh page per run: backends and their memory do not carry over between measurements.
      const page = await browser.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') options.log(`  [page error] ${message.text()}`);
      });
      if (options.originalWasmMatMul) await page.addInitScript('globalThis.xnliOriginalWasmMatMul = true;');
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.documentElement.dataset.benchReady === 'true', null, { timeout: 60_000 });
      isolated = await page.evaluate(() => window.xnliBench.crossOriginIsolated);
      try {
        // Best of `repeats` runs, as PyTorch's figure is the best of its thread settings: both sides vary by
        // ±20% between runs on a shared 2-core VM.
        let result = await page.evaluate(({ backend, model, steps, warmup }) => window.xnliBench.run(backend as never, model, steps, warmup), { backend: plan.backend, model: plan.model, steps: plan.steps, warmup: plan.warmup });
        for (let repeat = 1; repeat < (plan.repeats ?? 1); repeat++) {
          const again = await page.evaluate(({ backend, model, steps }) => window.xnliBench.run(backend as never, model, steps, 0), { backend: plan.backend, model: plan.model, steps: plan.steps });
          if (again.stepsPerSecond > result.stepsPerSecond) result = { ...again, webgpu: result.webgpu ?? again.webgpu };
        }
        const figure = withRates(plan.model, result);
        figures.push(figure);
        options.log(`  ${plan.backend} ${plan.model.name}: ${figure.stepsPerSecond.toFixed(3)} steps/s (${figure.steps} steps in steady state, after ${plan.warmup} warm-up${(plan.repeats ?? 1) > 1 ? `, best of ${plan.repeats} runs` : ''})`);
      } catch (error) {
        options.log(`  ${plan.backend} ${plan.model.name}: not measured (${(error as Error).message.split('\n')[0]})`);
      } finally {
        await page.close();
      }
    }
    return { figures, isolated, chromium: browser.version() };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Per-kernel times of the app's trainer on one backend (`npm run bench -- --profile`). */
export async function profileBrowserTraining(backend: string, model: BenchModel, steps: number, isolated: boolean): Promise<KernelProfile> {
  return onBenchPage(isolated, (page) => page.evaluate(({ backend, model, steps }) => window.xnliBench.profile(backend as never, model, steps), { backend, model, steps }));
}

/** The wasm GEMM's GFLOP/s on a step's shapes, on the bench page isolated (two threads) or not (one). */
export async function gemmSpeedOnPage(isolated: boolean): Promise<Awaited<ReturnType<Window['xnliBench']['gemmSpeed']>>> {
  return onBenchPage(isolated, (page) => page.evaluate(() => window.xnliBench.gemmSpeed()));
}

/** A 3-epoch feature-extraction run without and with the encoder-output cache. */
export async function featureCacheSpeedup(backend: string, model: BenchModel, batches: number, isolated: boolean): Promise<FeatureCacheFigure> {
  return onBenchPage(isolated, (page) => page.evaluate(({ backend, model, batches }) => window.xnliBench.featureCache(backend as never, model, batches), { backend, model, batches }));
}

async function onBenchPage<T>(isolated: boolean, use: (page: Page) => Promise<T>): Promise<T> {
  await buildBenchPage();
  const server = await serveStatic(PAGE_OUT, isolated);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => document.documentElement.dataset.benchReady === 'true', null, { timeout: 60_000 });
    return await use(page);
  } finally {
    await browser.close();
    await server.close();
  }
}

function withRates(model: BenchModel, result: TrainBenchResult): TrainFigure {
  return {
    ...result, model: model.name,
    tokensPerSecond: result.stepsPerSecond * model.batch * model.seq,
    gflops: (result.stepsPerSecond * trainingFlopsPerStep(model)) / 1e9,
  };
}

export interface TorchThreads { torchThreads: number; blasThreads: number }
export interface TorchFigures { info: string; figures: Array<{ model: string; stepsPerSecond: number; gflops: number; setting: string; threads: TorchThreads }>; skipped?: string }

/** Debian's OpenBLAS when installed (or BENCH_BLAS_DIR): torch's default reference BLAS is ~50x slower than the machine. */
function blasDirectory(): string | undefined {
  const candidates = [process.env.BENCH_BLAS_DIR, '/usr/lib/x86_64-linux-gnu/openblas-pthread', '/usr/lib/aarch64-linux-gnu/openblas-pthread'];
  return candidates.find((dir): dir is string => Boolean(dir) && existsSync(`${dir}/libblas.so.3`));
}

/** PyTorch on the same models; `only` fixes the thread setting (else every pairing is tried, the fastest kept). */
export function runTorchReference(plans: TrainPlan[], only?: TorchThreads): TorchFigures {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return { info: '', figures: [], skipped: '/usr/bin/python3 is missing: PyTorch reference skipped (apt-get install python3-torch)' };
  const seen = new Map(plans.map((p) => [p.model.name, { ...p.model, warmup: 2, steps: Math.max(10, p.steps * 2) }]));
  const blas = blasDirectory();
  const cores = cpus().length;
  // PyTorch's fastest setting on this machine, not its default: torch's intra-op threads and OpenBLAS's own
  // threads multiply (2 x 2 on 2 cores ran mini at half the speed of 1 x 2), so every pairing is tried.
  const settings = only ? [only] : [...new Set([1, cores])].flatMap((torchThreads) => [...new Set([1, cores])].map((blasThreads) => ({ torchThreads, blasThreads })));
  const best = new Map<string, { stepsPerSecond: number; setting: string; threads: TorchThreads }>();
  let info: Record<string, unknown> | undefined;
  for (const { torchThreads, blasThreads } of blas ? settings : settings.filter((x) => x.blasThreads === 1)) {
    const env = { ...process.env, ...(blas ? { LD_LIBRARY_PATH: [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}), BENCH_THREADS: String(torchThreads), OPENBLAS_NUM_THREADS: String(blasThreads) };
    const run = spawnSync(python, [fileURLToPath(new URL('./torch_reference.py', import.meta.url)), JSON.stringify([...seen.values()])], { env, encoding: 'utf8' });
    if (run.status !== 0) {
      const reason = /No module named 'torch'/.test(run.stderr) ? 'python3-torch is not installed (apt-get install python3-torch)' : run.stderr.trim().split('\n').pop();
      return { info: '', figures: [], skipped: `PyTorch reference skipped: ${reason}` };
    }
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    info = lines.find((l) => l.info)?.info as Record<string, unknown>;
    for (const l of lines.filter((x) => x.name)) {
      const stepsPerSecond = Number(l.steps_per_second);
      const name = String(l.name);
      if (stepsPerSecond > (best.get(name)?.stepsPerSecond ?? 0)) best.set(name, { stepsPerSecond, setting: `torch ${torchThreads} / BLAS ${blas ? blasThreads : 1} threads`, threads: { torchThreads, blasThreads } });
    }
  }
  const figures = [...best.entries()].map(([name, b]) => {
    const model = seen.get(name)!;
    return { model: name, stepsPerSecond: b.stepsPerSecond, gflops: (b.stepsPerSecond * trainingFlopsPerStep(model)) / 1e9, setting: b.setting, threads: b.threads };
  });
  return { info: `PyTorch ${info?.torch}, CPU, BLAS: ${blas ? `OpenBLAS (${blas})` : String(info?.blas)}; fastest of ${blas ? settings.length : settings.length / 2} thread settings per model`, figures };
}
