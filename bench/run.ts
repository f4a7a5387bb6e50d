// `npm run bench`: every figure of the performance issue, in one run on one machine.
//   --quick                    fewer steps (noisier)
//   --mini-everywhere          also train the mini model on webgpu, webgl and cpu (very slow in software)
//   --original-wasm-matmul     measure tfjs-wasm's own BatchMatMul instead of the XNNPACK routing
//   --save-baseline FILE       write the figures to FILE (e.g. bench/baseline.json)
//   --baseline FILE            compare with FILE (default bench/baseline.json when it exists), ratio per figure
//   --no-isolation             serve the bench page without COOP/COEP: tfjs's single-threaded wasm build
//   --profile                  also print per-kernel times of the mini model on wasm (tf.profile)
//   --scale                    also train each reference model at its real size through the CLI on WASM (minutes)
//   --feature-cache-mbert      also project the reference run as mBERT feature-extraction with the feature cache on
//                              WASM through the CLI, from a short run of the real shape (a few minutes)
//   --ab N                     only the fair ratios: wasm mini on the bench page, through the CLI, and PyTorch mini
//                              alternating, N rounds (at least 5); median page/PyTorch and CLI/page ratios with
//                              their min and max, and the load average before and after
//   --skip-browser | --skip-torch | --skip-data   leave a part out
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BENCH_MODELS, trainingFlopsPerStep } from './models.ts';
import { featureCacheSpeedup, gemmSpeedOnPage, profileBrowserTraining, runBrowserTraining, runTorchReference, type TrainPlan } from './train.bench.ts';
import { paddingBench, percentile, tokenizeBench, xnliLikeLengths } from './data.bench.ts';
import { memoryTable } from './memory.bench.ts';
import { scaleBench } from './scale.bench.ts';
import { featureCacheProjection } from './feature-cache-projection.bench.ts';
import { cliSecondsPerStep } from './cli-run.ts';
import { compareLines, loadBaseline, saveBaseline } from './baseline.ts';
import { runParquetBench } from './xnli-parquet.bench.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) {
    console.error(`${name} needs a file name, e.g. ${name} bench/baseline.json`);
    process.exit(2);
  }
  return v;
};
const known = ['--ab', '--quick', '--mini-everywhere', '--original-wasm-matmul', '--no-isolation', '--profile', '--save-baseline', '--baseline', '--skip-browser', '--skip-torch', '--skip-data', '--scale', '--feature-cache-mbert'];
const unknown = args.filter((a, i) => a.startsWith('--') && !known.includes(a) && !(i > 0 && ['--save-baseline', '--baseline', '--ab'].includes(args[i - 1])));
if (unknown.length > 0) {
  console.error(`unknown option ${unknown[0]}: use ${known.join(', ')}`);
  process.exit(2);
}

const quick = flag('--quick');
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, no GPU (WebGPU via SwiftShader)`;
const figures: Record<string, number> = {};
const log = (line = '') => console.log(line);

log(`machine: ${machine}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine slows every figure; compare runs at similar load)`);
log(`FLOPs per training step (README "Performance"): ${BENCH_MODELS.map((m) => `${m.name} ${(trainingFlopsPerStep(m) / 1e9).toFixed(3)} GFLOP`).join(', ')}`);

if (flag('--ab')) {
  const pairs = Number(args[args.indexOf('--ab') + 1]);
  if (!Number.isInteger(pairs) || pairs < 5) {
    console.error('--ab needs a number of pairs, at least 5 (e.g. --ab 5): fewer cannot give a median with a spread');
    process.exit(2);
  }
  await alternatingRatio(pairs);
  process.exit(0);
}

/**
 * The fair ratio: the same mini model trained by the app (wasm, headless Chromium: the bench page, then the CLI)
 * and by PyTorch, one after the other, A B C A B C, so that all see the same moments of a noisy machine. PyTorch
 * keeps the thread setting that was fastest in a first run. Two ratios per round: page / PyTorch, CLI / page.
 */
async function alternatingRatio(pairs: number): Promise<void> {
  const mini = BENCH_MODELS.find((m) => m.name === 'mini')!;
  const plan: TrainPlan = { backend: 'wasm', model: mini, warmup: 1, steps: quick ? 4 : 10, repeats: 1 };
  const first = runTorchReference([plan]);
  if (first.skipped) throw new Error(first.skipped);
  const threads = first.figures[0]!.threads;
  log(`\n== wasm mini (bench page, then CLI) vs PyTorch mini, alternating, ${pairs} rounds (${first.info}; PyTorch fixed at ${first.figures[0]!.setting}, its fastest here)`);
  log('| round | page steps/s | CLI steps/s | PyTorch steps/s | page / PyTorch | CLI / page | load average |');
  log('| --- | --- | --- | --- | --- | --- | --- |');
  const ratios: number[] = [];
  const cliRatios: number[] = [];
  for (let i = 1; i <= pairs; i++) {
    const { figures: [browser] } = await runBrowserTraining([plan], { originalWasmMatMul: false, isolated: true, log });
    const cli = 1 / (await cliSecondsPerStep(mini, 10));
    const torch = runTorchReference([plan], threads).figures[0]!;
    ratios.push(browser!.stepsPerSecond / torch.stepsPerSecond);
    cliRatios.push(cli / browser!.stepsPerSecond);
    log(`| ${i} | ${browser!.stepsPerSecond.toFixed(3)} | ${cli.toFixed(3)} | ${torch.stepsPerSecond.toFixed(3)} | ${ratios.at(-1)!.toFixed(3)}x | ${cliRatios.at(-1)!.toFixed(3)}x | ${loadavg().map((l) => l.toFixed(1)).join(' ')} |`);
  }
  log(`\nmedian ratio page / PyTorch ${spread(ratios)}, CLI / page ${spread(cliRatios)} over ${pairs} rounds; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** "0.588x (min 0.415x, max 0.640x)" */
function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return `${median.toFixed(3)}x (min ${sorted[0]!.toFixed(3)}x, max ${sorted.at(-1)!.toFixed(3)}x)`;
}

const plans: TrainPlan[] = [];
for (const backend of ['wasm', 'webgpu', 'webgl', 'cpu']) {
  for (const model of BENCH_MODELS) {
    const mini = model.name === 'mini';
    if (mini && backend !== 'wasm' && !flag('--mini-everywhere')) continue;
    plans.push({ backend, model, warmup: mini ? 1 : 2, steps: mini ? (quick ? 2 : 10) : quick ? 5 : 15, repeats: backend === 'wasm' && !quick ? 3 : 1 });
  }
}

if (!flag('--skip-torch')) {
  log('\n== PyTorch reference (bench/torch_reference.py)');
  const torch = runTorchReference(plans);
  if (torch.skipped) log(`  ${torch.skipped}`);
  else log(`  ${torch.info}`);
  for (const f of torch.figures) {
    figures[`torch.${f.model}.steps_per_s`] = f.stepsPerSecond;
    log(`  ${f.model}: ${f.stepsPerSecond.toFixed(3)} steps/s, ${f.gflops.toFixed(2)} GFLOP/s (${f.setting})`);
  }
}

if (!flag('--skip-browser')) {
  log(`\n== browser training (headless Chromium, the app's trainer, batch 8, length 64, fine-tune)${flag('--original-wasm-matmul') ? ' with the ORIGINAL wasm matMul' : ''}`);
  const { figures: trained, isolated, chromium } = await runBrowserTraining(plans, { originalWasmMatMul: flag('--original-wasm-matmul'), isolated: !flag('--no-isolation'), log });
  log(`  chromium ${chromium}, cross-origin isolated: ${isolated}`);
  log('\n| backend | model | steps/s | tokens/s | GFLOP/s | vs PyTorch |');
  log('| --- | --- | --- | --- | --- | --- |');
  for (const f of trained) {
    const torch = figures[`torch.${f.model}.steps_per_s`];
    const ratio = torch ? f.stepsPerSecond / torch : undefined;
    figures[`${f.backend}.${f.model}.steps_per_s`] = f.stepsPerSecond;
    log(`| ${f.backend === 'wasm' ? `wasm (${f.detail})` : f.detail} | ${f.model} | ${f.stepsPerSecond.toFixed(3)} | ${f.tokensPerSecond.toFixed(0)} | ${f.gflops.toFixed(2)} | ${ratio === undefined ? 'n/a' : `${ratio.toFixed(3)}x`} |`);
  }
  for (const model of BENCH_MODELS) {
    const torch = figures[`torch.${model.name}.steps_per_s`];
    if (torch) log(`| PyTorch | ${model.name} | ${torch.toFixed(3)} | ${(torch * model.batch * model.seq).toFixed(0)} | ${((torch * trainingFlopsPerStep(model)) / 1e9).toFixed(2)} | 1x |`);
  }
  const gpu = trained.filter((f) => f.webgpu);
  if (gpu.length > 0) {
    log('\n== WebGPU counts (carry over to real GPUs)');
    for (const f of gpu) {
      const w = f.webgpu!;
      figures[`webgpu.${f.model}.dispatches_per_step`] = w.dispatchesPerStep;
      figures[`webgpu.${f.model}.upload_bytes_per_step`] = w.uploadedBytesPerStep;
      log(`  ${f.model}: ${f.engineJsMsPerStep !== undefined ? `WebGPU engine, ${f.engineJsMsPerStep.toFixed(2)} ms of JavaScript per step until its submit, ` : ''}${w.dispatchesPerStep.toFixed(0)} dispatches/step, ${w.bindGroupsPerStep.toFixed(0)} bind groups/step, ${(w.uploadedBytesPerStep / 1024).toFixed(1)} KiB tensor uploads/step, ${(w.uniformBytesPerStep / 1024).toFixed(1)} KiB uniforms/step, ${w.readbacksPerStep.toFixed(2)} readbacks/step (the run's one loss read at the end), pipelines compiled: ${w.pipelinesCompiledInRun} in the run, ${w.pipelinesCompiledWhileTimed} after warm-up`);
    }
  }
}

if (flag('--profile')) {
  const mini = BENCH_MODELS.find((m) => m.name === 'mini')!;
  const p = await profileBrowserTraining('wasm', mini, quick ? 2 : 3, !flag('--no-isolation'));
  const total = p.kernels.reduce((sum, k) => sum + k.msPerStep, 0);
  log(`\n== profile: mini on wasm, ${(p.secondsPerStep * 1000).toFixed(0)} ms/step under tf.profile, ${total.toFixed(0)} ms in ${p.kernelsPerStep.toFixed(0)} kernels (the rest is JavaScript between kernels)`);
  for (const k of p.kernels.slice(0, Number(process.env.TOPK ?? 20))) log(`  ${k.msPerStep.toFixed(1).padStart(7)} ms/step ${k.callsPerStep.toFixed(0).padStart(5)} calls  ${k.name}`);
  // The machine's limit for these products: 128-bit SIMD does 16 float operations per cycle and core with FMA.
  log('\n== wasm GEMM on a mini step\'s shapes (GFLOP/s, median of 15 products)');
  for (const isolated of [true, false]) {
    const speed = await gemmSpeedOnPage(isolated);
    log(`  ${isolated ? 'isolated' : 'not isolated'}: ${speed.relaxed ? 'relaxed' : 'plain'} SIMD on ${speed.threads} thread(s): ${speed.gflops.map((g) => `${g.shape} ${g.gflops.toFixed(1)}`).join(', ')}`);
  }
}

if (!flag('--skip-data')) {
  log('\n== data pipeline');
  const parquet = await runParquetBench();
  log(`  parquet (392,702-row XNLI-schema file, bench/xnli-parquet.bench.ts): ${Object.entries(parquet).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (parquet.read_ms) figures['parquet.rows_per_s'] = (1000 * parquet.rows) / parquet.read_ms;
  const tokenize = await tokenizeBench();
  figures['tokenize.pairs_per_s'] = tokenize.pairsPerSecond;
  log(`  tokenising (PairTokenizer, demo WordPiece, ${tokenize.pairs} demo pairs): ${tokenize.pairsPerSecond.toFixed(0)} pairs/s`);
  const lengths = xnliLikeLengths();
  const padding = paddingBench(lengths);
  log(`  padding efficiency, XNLI-like lengths (median ${percentile(lengths, 50)}, p95 ${percentile(lengths, 95)}): pad to 512 ${(padding.pad_to_512 * 100).toFixed(1)}%, per batch ${(padding.pad_per_batch * 100).toFixed(1)}%, length-grouped ${(padding.length_grouped * 100).toFixed(1)}%`);
  if (!flag('--skip-browser')) {
    const mini = BENCH_MODELS.find((m) => m.name === 'mini')!;
    const fc = await featureCacheSpeedup('wasm', mini, quick ? 4 : 8, !flag('--no-isolation'));
    figures['feature_cache.speedup'] = fc.cachedStepsPerSecond / fc.plainStepsPerSecond;
    log(`  feature-extraction cache (mini on wasm, ${fc.epochs} epochs of ${fc.batches} batches): ${fc.plainStepsPerSecond.toFixed(2)} steps/s without, ${fc.cachedStepsPerSecond.toFixed(2)} with: ${(fc.cachedStepsPerSecond / fc.plainStepsPerSecond).toFixed(2)}x for the whole run`);
  }
  const sample = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sample.bench.ts', import.meta.url))], { encoding: 'utf8' });
  for (const line of `${sample.stdout}${sample.stderr}`.trim().split('\n')) log(`  sample draw: ${line}`);

  const p95 = percentile(lengths, 95);
  log(`\n== memory per run (batch 8, length ${p95} = p95 of the XNLI-like lengths; src/model/memory-estimate.ts)`);
  log('| model | technique | weights | gradients | AdamW | activations | total | WASM (4 GiB) | 4 GB GPU | 8 GB GPU |');
  log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
  for (const row of memoryTable(8, p95)) {
    const e = row.estimate;
    log(`| ${row.model} | ${row.technique} | ${gib(e.weightsBytes)} | ${gib(e.gradientBytes)} | ${gib(e.optimizerBytes)} | ${gib(e.activationBytes)} | ${gib(e.totalBytes)} | ${row.fitsWasm ? 'fits' : 'refused'} | ${row.fits4 ? 'yes' : 'no'} | ${row.fits8 ? 'yes' : 'no'} |`);
  }
}

if (flag('--scale')) {
  log('\n== real sizes on WASM (the CLI, generated checkpoints of each shape, batch 8, XNLI-like lengths; bench/scale.bench.ts)');
  const scale = await scaleBench(log);
  log('| model | technique | WASM s/step | browser peak memory |');
  log('| --- | --- | --- | --- |');
  for (const f of scale) {
    log(`| ${f.model} | ${f.technique} | ${f.secondsPerStep !== undefined ? f.secondsPerStep.toFixed(2) : f.refused ? 'refused: does not fit 4 GiB' : `failed`} | ${f.peakGiB !== undefined ? `${f.peakGiB.toFixed(2)} GiB (largest process ${f.largestProcessGiB!.toFixed(2)})` : '-'} |`);
    if (f.secondsPerStep !== undefined) figures[`scale.${f.model}.${f.technique}.s_per_step`] = f.secondsPerStep;
  }
}

if (flag('--feature-cache-mbert')) {
  log('\n== mBERT feature-extraction with the feature cache on WASM, the reference run projected (bench/feature-cache-projection.bench.ts)');
  await featureCacheProjection(log);
}

const baselinePath = value('--baseline') ?? 'bench/baseline.json';
const baseline = loadBaseline(baselinePath);
if (baseline) {
  log(`\n== against ${baselinePath} (${baseline.machine}, ${baseline.date}): now / then`);
  for (const line of compareLines(baseline, figures)) log(line);
} else if (value('--baseline')) {
  console.error(`baseline ${baselinePath} not found: save one first with npm run bench -- --save-baseline ${baselinePath}`);
  process.exitCode = 1;
}
const savePath = value('--save-baseline');
if (savePath) {
  saveBaseline(savePath, machine, figures);
  log(`\nfigures saved to ${savePath}`);
}
