import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { BACKEND_NAMES, type BackendInfo, type BackendName, type SkippedBackend } from './types.ts';
import { registerWebGPU } from './webgpu/backend.ts';
import { prepareWasmBackend } from './wasm/backend.ts';
import { loadWasmKernels, wasmGemmInfo, wasmKernelsActive, type WasmBackendLike } from './wasm/kernels.ts';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export * from './types.ts';
export { onDeviceLost, deviceLostMessage } from './webgpu/backend.ts';

export interface InitBackendOptions {
  /** When false, fail with the reason instead of falling back from the preferred backend. Default true. */
  fallback?: boolean;
}

/**
 * Selects the tfjs backend: the preferred one (default: WebGPU), falling back along webgpu → webgl → wasm → cpu.
 * Each backend passed over is reported with the reason, so the page and CLI can say what happened and why.
 */
export async function initBackend(preferred?: BackendName, options: InitBackendOptions = {}): Promise<BackendInfo> {
  const start = preferred ? BACKEND_NAMES.indexOf(preferred) : 0;
  const chain = options.fallback === false ? [BACKEND_NAMES[start]] : BACKEND_NAMES.slice(start);
  const skipped: SkippedBackend[] = [];
  for (const backend of chain) {
    try {
      const details = await activate(backend);
      return { backend, requested: preferred ?? null, skipped, ...details };
    } catch (error) {
      skipped.push({ backend, reason: (error as Error).message });
    }
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new Error(`no compute backend could be started (${reasons})`);
}

type BackendDetails = Omit<BackendInfo, 'backend' | 'requested' | 'skipped'>;

/** The backend this module last activated: asking again for it keeps it (and the tensors on it). */
let active: { backend: BackendName; details: BackendDetails } | null = null;

async function activate(backend: BackendName): Promise<BackendDetails> {
  if (active?.backend === backend && tf.getBackend() === backend) return active.details;
  const details = await start(backend);
  active = { backend, details };
  return details;
}

async function start(backend: BackendName): Promise<BackendDetails> {
  switch (backend) {
    case 'webgpu': {
      const setup = await registerWebGPU();
      await setBackendOrExplain('webgpu');
      return setup;
    }
    case 'webgl': {
      // A worker has no document: tfjs draws on an OffscreenCanvas there.
      const canvas = typeof document !== 'undefined' ? document.createElement('canvas') : new OffscreenCanvas(1, 1);
      if (!canvas.getContext('webgl2') && !canvas.getContext('webgl')) {
        throw new Error('WebGL is not available: the browser could not create a WebGL context (no GPU or GPU blocklisted)');
      }
      await setBackendOrExplain('webgl');
      return describeActive('webgl');
    }
    case 'wasm':
      if (typeof WebAssembly === 'undefined') throw new Error('WebAssembly is not available in this browser');
      prepareWasmBackend();
      await setBackendOrExplain('wasm');
      // Our SIMD kernels only speed the backend up: without them it still trains, so a failure is a warning.
      await loadWasmKernels(tf.backend() as unknown as WasmBackendLike).catch((error: Error) => console.warn(`wasm: running without the faster kernels (${error.message})`));
      return describeActive('wasm');
    case 'cpu':
      await setBackendOrExplain('cpu');
      return {};
  }
}

async function describeActive(backend: BackendName): Promise<BackendDetails> {
  if (backend === 'webgl') {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
    const debugInfo = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = gl ? String(gl.getParameter(debugInfo ? debugInfo.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : '';
    return { webgl: { version: tf.env().getNumber('WEBGL_VERSION'), renderer } };
  }
  if (backend === 'wasm') {
    const [simd, multithread] = await Promise.all([
      tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    ]);
    return { wasm: { simd: Boolean(simd), multithread: Boolean(multithread), threads: wasmKernelsActive() ? wasmGemmInfo().threads : multithread ? getThreadsCount() : 1, kernels: wasmKernelsActive(), relaxedSimd: wasmGemmInfo().relaxed, gemmThreads: wasmGemmInfo().threads } };
  }
  return {};
}

/** tf.setBackend only logs a factory's error; capture it so the reason reaches the user. */
async function setBackendOrExplain(backend: BackendName): Promise<void> {
  const captured: string[] = [];
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    captured.push(args.map(String).join(' '));
    originalWarn.apply(console, args);
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
    if (ok) await tf.ready();
  } finally {
    console.warn = originalWarn;
  }
  if (!ok) {
    const detail = captured.filter((line) => !line.startsWith('Initialization of backend')).join(' ').split('\n')[0];
    throw new Error(`tfjs could not initialise the ${backend} backend${detail ? `: ${detail}` : ''}`);
  }
}
