import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Vite copies the binaries into the build and gives their hashed URLs, so the built app serves them itself.
import plainWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { fixWasmFusedMatMul } from './wasm-fused-matmul-fix.ts';
import { routeWasmMatMul } from './wasm-fast-matmul.ts';
import { routeWasmKernels } from './wasm-routes.ts';
import { registerFusedOps } from './fused-ops.ts';
import { wasmAdamW, wasmDropoutMask, wasmGelu, wasmLayerNorm, wasmSumOfSquares } from './wasm-kernels.ts';

const WASM_FUSED_OPS = { adamW: wasmAdamW, dropoutMask: wasmDropoutMask, layerNorm: wasmLayerNorm, gelu: wasmGelu, sumOfSquares: wasmSumOfSquares };

let pathsSet = false;

/** Points tfjs's wasm backend at the binaries bundled with this app and fixes its kernels; must run before it initialises. */
export function prepareWasmBackend(): void {
  if (pathsSet) return;
  routeWasmMatMul();
  routeWasmKernels();
  registerFusedOps(WASM_FUSED_OPS);
  fixWasmFusedMatMul();
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
