/**
 * The bench page: bench/browser/train-core.ts's measurements, driven by bench/run.ts through `window.xnliBench`,
 * and the GEMM check tests/browser/wasm-gemm-threads.test.ts runs on it.
 */
import { featureCache, profile, run } from './train-core.ts';
import { gemmCheck, gemmSpeed } from './gemm-check.ts';

declare global {
  interface Window {
    xnliBench: { run: typeof run; profile: typeof profile; featureCache: typeof featureCache; gemmCheck: typeof gemmCheck; gemmSpeed: typeof gemmSpeed; crossOriginIsolated: boolean };
  }
}

window.xnliBench = { run, profile, featureCache, gemmCheck, gemmSpeed, crossOriginIsolated: globalThis.crossOriginIsolated === true };
document.documentElement.dataset.benchReady = 'true';
