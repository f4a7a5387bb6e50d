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
  // One tfjs thread: every product runs in our GEMM, which shares it with its own second thread (gemm-threads.ts).
  // tfjs's pool then parallelises only element-wise ops, and its idle thread spins for a while after each one,
  // taking the core the GEMM's second thread needs: with one tfjs thread a mini step trained a median 1.11x faster
  // here (6 alternating pairs, 5 of them faster). Our GEMM's thread needs a shared memory, so tfjs's threaded build
  // still loads on an isolated page; were our kernels to fail to load, products would run in XNNPACK on one thread.
  setThreadsCount(1);
  pathsSet = true;
}
