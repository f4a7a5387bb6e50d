// The app's trainer on WebGPU outside the browser: Node with Dawn (the npm package `webgpu`), on the machine's
// Vulkan device: a real GPU where there is one, SwiftShader on a CPU-only machine
// (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json). Prints one JSON line per model.
//   npm run bench:webgpu-node -- [tiny|mini|base ...] [--steps N]
import { cpus } from 'node:os';
import { create, globals } from 'webgpu';
import { BENCH_MODELS, GPU_BENCH_MODELS, trainingFlopsPerStep } from './models.ts';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]), hardwareConcurrency: cpus().length, userAgent: 'node' }, configurable: true });

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 10;
const names = args.filter((a, i) => !a.startsWith('--') && (i === 0 || args[i - 1] !== '--steps'));
const models = [...BENCH_MODELS, ...GPU_BENCH_MODELS].filter((m) => (names.length ? names.includes(m.name) : m.name !== 'base'));

const { run } = await import('./browser/train-core.ts');
const adapter = await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter();
const info = adapter?.info;
console.log(JSON.stringify({ adapter: info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'none' }));
for (const model of models) {
  const result = await run('webgpu', model, steps, 2);
  console.log(JSON.stringify({ model: model.name, stepsPerSecond: result.stepsPerSecond, gflops: (result.stepsPerSecond * trainingFlopsPerStep(model)) / 1e9, detail: result.detail, webgpu: result.webgpu }));
}
process.exit(0);
