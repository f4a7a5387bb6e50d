/**
 * The bench page: bench/browser/train-core.ts's measurements, driven by bench/run.ts through `window.xnliBench`.
 */
import { featureCache, profile, run } from './train-core.ts';

declare global {
  interface Window {
    xnliBench: { run: typeof run; profile: typeof profile; featureCache: typeof featureCache; crossOriginIsolated: boolean };
  }
}

window.xnliBench = { run, profile, featureCache, crossOriginIsolated: globalThis.crossOriginIsolated === true };
document.documentElement.dataset.benchReady = 'true';
