import type { BackendInfo } from '../backend/index.ts';
import { el, formatBytes, setStatus } from './dom.ts';

const BYTE_LIMITS = new Set(['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxUniformBufferBindingSize']);

const BACKEND_TITLES: Record<BackendInfo['backend'], string> = {
  webgpu: 'WebGPU (GPU compute shaders)',
  webgl: 'WebGL (GPU through graphics shaders; fallback)',
  wasm: 'WebAssembly (CPU, SIMD where available; fallback)',
  cpu: 'plain JavaScript CPU (slowest fallback)',
};

/** Fills the backend panel: which backend runs, the GPU adapter and its limits, and why better ones were passed over. */
export function renderBackendPanel(panel: HTMLElement, info: BackendInfo): void {
  const status = panel.querySelector<HTMLElement>('#backend-status')!;
  setStatus(status, info.backend === 'webgpu' ? 'ready' : 'warning', `Running on ${BACKEND_TITLES[info.backend]}`);
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
  renderWebGpuNotice(panel, info);
}

export function renderBackendError(panel: HTMLElement, error: Error): void {
  setStatus(panel.querySelector<HTMLElement>('#backend-status')!, 'error', error.message);
}

export function renderDeviceLost(panel: HTMLElement, message: string): void {
  setStatus(panel.querySelector<HTMLElement>('#backend-status')!, 'error', message);
}

/** Where WebGPU is missing, says so plainly, and what the fallback costs. */
export function renderWebGpuNotice(panel: HTMLElement, info: BackendInfo): void {
  panel.querySelector('#webgpu-notice')?.remove();
  const passedOver = info.skipped.find((s) => s.backend === 'webgpu');
  if (info.backend === 'webgpu' || !passedOver || info.requested) return;
  panel.querySelector('#backend-status')!.after(
    el('div', { id: 'webgpu-notice', class: 'notice', role: 'note' },
      el('p', {}, el('strong', {}, 'WebGPU is not available here'), ` (${passedOver.reason}).`),
      el('p', {}, `Training and prediction run on ${BACKEND_TITLES[info.backend]} instead. That works, but it is slower: expect the Offline demo to take minutes rather than seconds, and real models to be practical only with feature extraction or a small sample. For WebGPU, use a current Chrome or Edge on http://localhost or an https address.`)),
  );
}
