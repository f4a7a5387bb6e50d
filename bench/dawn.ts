/**
 * WebGPU in Node through Dawn (the npm package `webgpu`), for tests and benches: installs `navigator.gpu` and the
 * WebGPU globals so that tfjs-webgpu and the engine run as in a page. On a machine without a GPU, Dawn's Vulkan
 * backend runs on Chromium's SwiftShader when these are set: LD_LIBRARY_PATH=/usr/lib/chromium
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (dawnEnvironment() gives them).
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The environment a child process needs for Dawn on SwiftShader, or null where Chromium's SwiftShader is missing. */
export function dawnSwiftShaderEnvironment(): Record<string, string> | null {
  if (!existsSync(SWIFTSHADER_ICD)) return null;
  return { LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), VK_ICD_FILENAMES: SWIFTSHADER_ICD };
}

export async function installDawn(flags: string[] = []): Promise<GPU> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create(flags) as unknown as GPU;
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency: cpus().length, userAgent: 'node' }, configurable: true });
  return gpu;
}

/**
 * Waits for the GPU to finish and destroys tfjs's WebGPU device before the process exits: exiting with Dawn's
 * SwiftShader queue still live crashes Node now and then (a segmentation fault after the last result was printed).
 */
export async function releaseDawn(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const backend = tf.engine().backendNames().includes('webgpu') ? (tf.engine().findBackend('webgpu') as unknown as { device?: GPUDevice } | null) : null;
  const device = backend?.device;
  if (!device) return;
  await device.queue.onSubmittedWorkDone();
  tf.engine().reset();
  device.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
