import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Vite copies the binaries into the build and gives their hashed URLs, so the built app serves them itself.
import plainWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { routeWasmKernels } from './routes.ts';
import { registerFusedOps } from '../fused-ops.ts';
import { wasmAdamW, wasmDropoutMask, wasmGelu, wasmLayerNorm, wasmSumOfSquares } from './kernels.ts';

const WASM_FUSED_OPS = { adamW: wasmAdamW, dropoutMask: wasmDropoutMask, layerNorm: wasmLayerNorm, gelu: wasmGelu, sumOfSquares: wasmSumOfSquares };

let pathsSet = false;

/**
 * Our kernels in tfjs's wasm backend: the tfjs kernels it replaces (routes.ts) and the fused ops it provides
 * (../fused-ops.ts). Must run before the backend initialises; Node scripts and tests call it alone.
 */
export function installWasmKernels(): void {
  routeWasmKernels();
  registerFusedOps(WASM_FUSED_OPS);
}

/** Points tfjs's wasm backend at the binaries bundled with this app and installs our kernels; must run before it initialises. */
export function prepareWasmBackend(): void {
  if (pathsSet) return;
  installWasmKernels();
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasmUrl,
    'tfjs-backend-wasm-simd.wasm': simdWasmUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasmUrl,
  });
  // tfjs defaults to half the logical cores; training is compute-bound, so every core works (threads need
  // cross-origin isolation, else tfjs uses its single-threaded build and this has no effect).
  setThreadsCount(Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1));
  pathsSet = true;
}
