import { softwareGpuReason, type BackendInfo, type BackendName } from '../backend/index.ts';
import { el, setStatus } from './dom.ts';
import { formatBytes } from '../format.ts';

const BYTE_LIMITS = new Set(['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxUniformBufferBindingSize']);

const BACKEND_TITLES: Record<BackendInfo['backend'], string> = {
  webgpu: 'WebGPU (GPU compute shaders)',
  webgl: 'WebGL (GPU through graphics shaders; fallback)',
  wasm: 'WebAssembly (CPU, SIMD where available; fallback)',
  cpu: 'plain JavaScript CPU (slowest fallback)',
};

/**
 * Where training will run, and why, in one line: the training worker's choice (see chooseTrainingBackend) from
 * what this page found, e.g. "Training runs on WASM on 2 CPU threads: WebGPU here is a software adapter".
 */
export function trainingBackendLine(info: BackendInfo, requested: BackendName | null): { state: 'ready' | 'warning'; text: string } {
  const threads = globalThis.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency ?? 1) : 1;
  const wasm = `WASM on ${threads} CPU thread${threads === 1 ? '' : 's'}`;
  if (requested) return { state: requested === 'webgpu' ? 'ready' : 'warning', text: `Training runs on ${requested === 'wasm' ? wasm : BACKEND_TITLES[requested]}, as the set-up asks.` };
  const software = softwareGpuReason(info);
  if (software) {
    const passedOver = info.skipped.find((s) => s.backend === 'webgpu');
    return { state: 'warning', text: `Training runs on ${wasm}: ${software}${passedOver ? `; WebGPU is not available (${passedOver.reason})` : ''}.` };
  }
  if (info.backend === 'webgpu') return { state: 'ready', text: `Training runs on the GPU through WebGPU (${[info.adapter?.vendor, info.adapter?.architecture].filter(Boolean).join(' ') || 'adapter'}).` };
  const passedOver = info.skipped.find((s) => s.backend === 'webgpu');
  const where = info.backend === 'wasm' ? wasm : BACKEND_TITLES[info.backend];
  return { state: 'warning', text: `Training runs on ${where}: ${passedOver ? `WebGPU is not available here (${passedOver.reason})` : 'no GPU backend started'}.` };
}

/** Fills the backend panel: where training runs, the GPU adapter and its limits, and why better ones were passed over. */
export function renderBackendPanel(panel: HTMLElement, info: BackendInfo, requested: BackendName | null = null): void {
  const status = panel.querySelector<HTMLElement>('#backend-status')!;
  const line = trainingBackendLine(info, requested);
  setStatus(status, line.state, line.text);
  panel.querySelector('#backend-more')?.remove();

  const details = el('dl', { id: 'backend-details' });
  details.append(el('dt', {}, 'Backend'), el('dd', { id: 'backend-name' }, info.backend));
  if (info.requested) details.append(el('dt', {}, 'Requested'), el('dd', { id: 'backend-requested' }, info.requested));
  if (info.adapter) {
    const { vendor, architecture, device, description, isFallbackAdapter } = info.adapter;
    details.append(
      el('dt', {}, 'GPU adapter'),
      el('dd', { id: 'backend-adapter' }, [vendor, architecture, device, description].filter(Boolean).join(' / ') || 'unnamed adapter'),
    );
    if (isFallbackAdapter) details.append(el('dt', {}, 'Note'), el('dd', {}, 'software (fallback) adapter: correct but slow'));
  }
  if (info.limits) {
    const rows = Object.entries(info.limits).map(([name, value]) =>
      el('tr', { 'data-limit': name }, el('th', {}, name), el('td', { class: 'number' }, BYTE_LIMITS.has(name) ? `${formatBytes(value)} (${value})` : String(value))),
    );
    details.append(el('dt', {}, 'Device limits'), el('dd', {}, el('table', { id: 'backend-limits' }, ...rows)));
  }
  if (info.features?.length) details.append(el('dt', {}, 'Features'), el('dd', { id: 'backend-features' }, info.features.join(', ')));
  if (info.webgl) details.append(el('dt', {}, 'WebGL'), el('dd', {}, `version ${info.webgl.version}${info.webgl.renderer ? `, ${info.webgl.renderer}` : ''}`));
  if (info.wasm) details.append(el('dt', {}, 'WASM'), el('dd', {}, `SIMD ${info.wasm.simd ? 'on' : 'off'}, ${info.wasm.threads} thread${info.wasm.threads === 1 ? '' : 's'}${info.wasm.multithread ? '' : ' (not cross-origin isolated)'}, ${info.wasm.kernels ? 'fast kernels on' : 'tfjs kernels only'}`));
  if (info.skipped.length) {
    const items = info.skipped.map((s) => el('li', { 'data-backend': s.backend }, `${s.backend}: ${s.reason}`));
    details.append(el('dt', {}, 'Passed over'), el('dd', {}, el('ul', { id: 'backend-skipped' }, ...items)));
  }
  // Collapsed: the adapter's limits matter to few visitors and would push the set-up off a projector's screen.
  panel.append(el('details', { id: 'backend-more' }, el('summary', {}, 'Backend, adapter and limits'), details));
}

export function renderBackendError(panel: HTMLElement, error: Error): void {
  setStatus(panel.querySelector<HTMLElement>('#backend-status')!, 'error', error.message);
}

export function renderDeviceLost(panel: HTMLElement, message: string): void {
  setStatus(panel.querySelector<HTMLElement>('#backend-status')!, 'error', message);
}
