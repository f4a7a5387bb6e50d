/** The tfjs compute backends this app can run on, best first: the default fallback order. */
export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

/** Parses a user-given backend name (CLI flag, URL query), with a one-line error naming the valid ones. */
export function parseBackendName(value: string): BackendName {
  const name = value.trim().toLowerCase();
  if (!isBackendName(name)) throw new Error(`unknown backend "${value}": use one of ${BACKEND_NAMES.join(', ')}`);
  return name;
}

/** A backend that was tried and not used, and why. */
export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters such as SwiftShader. */
  isFallbackAdapter: boolean;
}

/** What `initBackend` got; plain data so it crosses `page.evaluate` and JSON unchanged. */
export interface BackendInfo {
  backend: BackendName;
  /** The backend asked for, or null when the default order was used. */
  requested: BackendName | null;
  /** Backends tried first and passed over, in order, with the reason for each. */
  skipped: SkippedBackend[];
  /** WebGPU only: the adapter's identity. */
  adapter?: GpuAdapterSummary;
  /** WebGPU only: the limits the device was created with (taken from the adapter, not the spec defaults). */
  limits?: Record<string, number>;
  /** WebGPU only: the device's features. */
  features?: string[];
  /** WebGL only: the WebGL version tfjs uses and the renderer string where the browser exposes it. */
  webgl?: { version: number; renderer: string };
  /**
   * WASM only. threads: the threads training computes on (our GEMM's where our kernels run, else tfjs's pool; 1
   * unless the page is cross-origin isolated); kernels: ours (src/backend/wasm/kernels.ts) loaded; relaxedSimd and
   * gemmThreads: how our matrix products run.
   */
  wasm?: { simd: boolean; multithread: boolean; threads: number; kernels: boolean; relaxedSimd: boolean; gemmThreads: number };
}

/** One human-readable line: "webgpu (google swiftshader)" or "cpu, after webgpu: navigator.gpu is missing ...". */
export function describeBackend(info: BackendInfo): string {
  let text: string = info.backend;
  if (info.adapter) {
    const name = [info.adapter.vendor, info.adapter.architecture, info.adapter.device, info.adapter.description].filter(Boolean).join(' ');
    text += ` (${name || 'unnamed adapter'}${info.adapter.isFallbackAdapter ? ', software fallback adapter' : ''})`;
  }
  if (info.wasm) text += ` (SIMD ${info.wasm.simd ? 'on' : 'off'}, ${info.wasm.threads} thread${info.wasm.threads === 1 ? '' : 's'}, ${info.wasm.kernels ? `fast kernels${info.wasm.relaxedSimd ? ', relaxed SIMD' : ''}` : 'tfjs kernels only'})`;
  if (info.skipped.length > 0) text += ` — passed over ${info.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`;
  return text;
}

/** A CPU-emulated GPU (SwiftShader, or any adapter the browser flags as a fallback): WebGPU there is slower than WASM. */
export function isSoftwareAdapter(adapter: GpuAdapterSummary | undefined): boolean {
  if (!adapter) return false;
  return adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${adapter.architecture} ${adapter.device} ${adapter.description}`);
}

/**
 * The GPU backend `info` runs on is emulated on the CPU (a software WebGPU adapter, or WebGL on SwiftShader or
 * llvmpipe): it trains slower than WASM, so automatic choice takes WASM instead. Returns what to say why, or null.
 */
export function softwareGpuReason(info: Pick<BackendInfo, 'backend' | 'adapter' | 'webgl'>): string | null {
  if (info.backend === 'webgpu' && isSoftwareAdapter(info.adapter)) return `WebGPU here is a software adapter (${info.adapter?.architecture || info.adapter?.description || 'no GPU'}), slower than the CPU`;
  if (info.backend === 'webgl' && /swiftshader|llvmpipe|lavapipe|software/i.test(info.webgl?.renderer ?? '')) return `WebGL here is a software renderer (${info.webgl!.renderer}), slower than the CPU`;
  return null;
}
