// The app's trainer on WebGPU outside the browser: Node with Dawn (the npm package `webgpu`), on the machine's
// Vulkan device: a real GPU where there is one, SwiftShader on a CPU-only machine
// (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json). Prints one JSON line per model.
//   npm run bench:webgpu-node -- [tiny|mini|deep|base ...] [--steps N] [--null]
//   npm run bench:webgpu-node -- --gemm [--scale S]   the engine's GEMM at bert-base's products beside the FMA ceiling
//   npm run bench:webgpu-node -- --ab [--pairs N] [models] [--steps N]   the engine and tfjs's kernels alternating
//     (engine, tfjs, engine, ...), N pairs (default 5): the median ratio of their step times with its min and max
//   npm run bench:webgpu-node -- --reference-run base [--window N] [--eval-pairs N] [--torch-result FILE]
//     the reference run's wall time projected at the model's shape (bench/reference-run.ts; `base` is mBERT's);
//     FILE: the line `torch_reference.py --reference-run` printed for the same model, shown beside it
// --null runs on Dawn's null backend: every WebGPU call is made and validated, no GPU work is done, so the wall
// time of a step is the host's cost of it (JavaScript, tfjs, Dawn): what bounds a step on a fast GPU.
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { installDawn, releaseDawn } from './dawn.ts';
import { BENCH_MODELS, GPU_BENCH_MODELS, HOST_BENCH_MODELS, trainingFlopsPerStep } from './models.ts';

const args = process.argv.slice(2);
const nullBackend = args.includes('--null');
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 10;
const valueOf = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const names = args.filter((a, i) => !a.startsWith('--') && (i === 0 || !['--steps', '--scale', '--window', '--eval-pairs', '--torch-result', '--pairs'].includes(args[i - 1]!)));
const models = [...BENCH_MODELS, ...HOST_BENCH_MODELS, ...GPU_BENCH_MODELS].filter((m) => (names.length ? names.includes(m.name) : m.name !== 'base'));

const gpu = await installDawn(nullBackend ? ['backend=null'] : []);

if (args.includes('--gemm')) {
  const { gemmBench } = await import('./gemm-core.ts');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
  const scaleAt = args.indexOf('--scale');
  console.log(JSON.stringify({ adapter: `${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.device} ${adapter.info.description}`.trim() }));
  for (const figure of await gemmBench(device, { scale: scaleAt >= 0 ? Number(args[scaleAt + 1]) : 1 })) console.log(JSON.stringify(figure));
  process.exit(0);
}

const { run } = await import('./browser/train-core.ts');
const adapter = await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter();
const info = adapter?.info;
console.log(JSON.stringify({ adapter: nullBackend ? 'Dawn null backend (no GPU work)' : info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'none', cpus: cpus().length }));

if (args.includes('--reference-run')) {
  const { referenceRun } = await import('./reference-run.ts');
  const { initBackend } = await import('../src/backend/index.ts');
  await initBackend('webgpu', { fallback: false });
  const torchFile = valueOf('--torch-result');
  const torch = torchFile ? (JSON.parse((await readFile(torchFile, 'utf8')).split('\n').find((line) => line.includes('"reference_run"')) ?? 'null') as Record<string, number> | null) : null;
  for (const model of models) {
    const figure = await referenceRun(model, { windowSteps: Number(valueOf('--window') ?? 100), evalPairs: Number(valueOf('--eval-pairs') ?? 2490) });
    console.log(JSON.stringify({ referenceRun: figure, ...(torch ? { torch, browserOverTorchTime: figure.projectedTotalSeconds / torch.projected_total_seconds! } : {}) }));
    const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
    console.log(`reference run at ${model.name}'s shape: ${minutes(figure.projectedTotalSeconds)} projected (train ${minutes(figure.projectedTrainSeconds)}, ${figure.evaluations} evaluations ${minutes(figure.projectedEvalSeconds)})` +
      (torch ? `; PyTorch padded to 512: ${minutes(torch.projected_total_seconds!)}` : ''));
  }
  await releaseDawn();
  process.exit(0);
}
if (args.includes('--ab')) {
  const pairs = Number(valueOf('--pairs') ?? 5);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const model of models) {
    const engineMs: number[] = [];
    const tfjsMs: number[] = [];
    for (let pair = 0; pair < pairs; pair++) {
      engineMs.push(1000 / (await run('webgpu', model, steps, 2, 'fine-tune', true)).stepsPerSecond);
      tfjsMs.push(1000 / (await run('webgpu', model, steps, 2, 'fine-tune', false)).stepsPerSecond);
      await releasePooledTfjsBuffers();
    }
    const ratios = tfjsMs.map((ms, i) => ms / engineMs[i]!);
    console.log(JSON.stringify({
      model: model.name, pairs, steps, msPerStep: { engine: engineMs, tfjsKernels: tfjsMs },
      tfjsOverEngine: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }, loadAverage: loadavg()[0],
    }));
  }
  await releaseDawn();
  process.exit(0);
}

for (const model of models) {
  const result = await run('webgpu', model, steps, 2);
  const counts = result.webgpu!;
  console.log(JSON.stringify({
    model: model.name,
    ...(nullBackend ? { hostMsPerStep: 1000 / result.stepsPerSecond } : { stepsPerSecond: result.stepsPerSecond, gflops: (result.stepsPerSecond * trainingFlopsPerStep(model)) / 1e9 }),
    engineJsMsPerStep: result.engineJsMsPerStep,
    dispatchesPerStep: counts.dispatchesPerStep,
    bindGroupsPerStep: counts.bindGroupsPerStep,
    submitsPerStep: counts.submitsPerStep,
    buffersPerStep: counts.buffersPerStep,
    pipelinesCompiledWhileTimed: counts.pipelinesCompiledWhileTimed,
    uploadedBytesPerStep: counts.uploadedBytesPerStep,
    uniformBytesPerStep: counts.uniformBytesPerStep,
    readbacksPerStep: counts.readbacksPerStep,
    steps,
    detail: result.detail,
  }));
}
await releaseDawn();
process.exit(0);

/**
 * tfjs-webgpu keeps every freed buffer for reuse and never gives one back; the null device's memory cap (a few
 * hundred MB) then leaves no room for the engine's next run. Destroys the pooled (unused) ones between runs.
 */
async function releasePooledTfjsBuffers(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const manager = (tf.backend() as unknown as { bufferManager: { freeBuffers: Map<string, GPUBuffer[]>; numFreeBuffers: number } }).bufferManager;
  for (const buffers of manager.freeBuffers.values()) buffers.splice(0).forEach((buffer) => buffer.destroy());
  manager.numFreeBuffers = 0;
}
