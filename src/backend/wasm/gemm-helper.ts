// A helper thread for the wasm kernels' matrix products (one per core beyond the first, gemm-threads.ts): it instantiates the same kernels on tfjs's shared memory
// and, each time the caller sets the control block to Go, computes its share of the product, then sets Done.
import { GEMM_ARGS, GemmState, waitWhile, type GemmHelperStart } from './gemm-helper-protocol.ts';

interface Kernels {
  batch_matmul(...args: number[]): void;
}

self.onmessage = async ({ data }: MessageEvent<GemmHelperStart>) => {
  const { instance } = await WebAssembly.instantiate(data.kernels, { env: { memory: data.memory } });
  const kernels = instance.exports as unknown as Kernels;
  const state = data.control >>> 2;
  (self as unknown as Worker).postMessage('ready');
  for (;;) {
    // A fresh view each time: the memory may have grown since.
    let slots = new Int32Array(data.memory.buffer);
    waitWhile(slots, state, GemmState.Idle, true);
    const now = Atomics.load(slots, state);
    if (now === GemmState.Stop) return;
    if (now !== GemmState.Go) continue;
    try {
      kernels.batch_matmul(...Array.from(slots.subarray(state + 1, state + 1 + GEMM_ARGS)));
    } finally {
      // Done even after a trap, so the caller never waits forever (its own share fails the same way).
      slots = new Int32Array(data.memory.buffer);
      Atomics.store(slots, state, GemmState.Done);
      Atomics.notify(slots, state);
    }
  }
};
