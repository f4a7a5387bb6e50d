// The app's trainer on WebGPU outside the browser: Node with Dawn (the npm package `webgpu`), on the machine's
// Vulkan device: a real GPU where there is one, SwiftShader on a CPU-only machine
// (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json). Prints one JSON line per model.
//   npm run bench:webgpu-node -- [tiny|mini|deep|base ...] [--steps N] [--null]
//   npm run bench:webgpu-node -- --gemm [--scale S]   the engine's GEMM at bert-base's products beside the FMA ceiling
// --null runs on Dawn's null backend: every WebGPU call is made and validated, no GPU work is done, so the wall
// time of a step is the host's cost of it (JavaScript, tfjs, Dawn): what bounds a step on a fast GPU.
import { cpus } from 'node:os';
import { create, globals } from 'webgpu';
import { BENCH_MODELS, GPU_BENCH_MODELS, HOST_BENCH_MODELS, trainingFlopsPerStep } from './models.ts';

const args = process.argv.slice(2);
const nullBackend = args.includes('--null');
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 10;
const names = args.filter((a, i) => !a.startsWith('--') && (i === 0 || !['--steps', '--scale'].includes(args[i - 1]!)));
const models = [...BENCH_MODELS, ...HOST_BENCH_MODELS, ...GPU_BENCH_MODELS].filter((m) => (names.length ? names.includes(m.name) : m.name !== 'base'));

Object.assign(globalThis, globals);
const gpu = create(nullBackend ? ['backend=null'] : []);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency: cpus().length, userAgent: 'node' }, configurable: true });

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
process.exit(0);
