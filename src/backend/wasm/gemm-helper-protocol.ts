/**
 * The control block each helper thread (gemm-helper.ts) shares with the wasm kernels' caller, so that a matrix
 * product runs on several cores: 32 int32s in tfjs's shared wasm memory. Slot 0 is the state; slots 1-16 are
 * `batch_matmul`'s arguments for the helper's share of the product.
 */
export const GEMM_CONTROL_BYTES = 128;
export const GEMM_ARGS = 16;
export const enum GemmState {
  Idle = 0,
  Go = 1,
  Done = 2,
  Stop = 3,
}

/** The first message to the helper: the memory to share, the kernels' bytes, and where the control block is. */
export interface GemmHelperStart {
  memory: WebAssembly.Memory;
  kernels: ArrayBuffer;
  control: number;
}

/**
 * How long a thread spins before it blocks in Atomics.wait while waiting for the other side. Waking from
 * Atomics.wait costs about 0.1 ms (measured on a 2-core VM: 0.118 ms per round trip against 0.012 spinning),
 * paid twice per product, and a training step runs about a hundred threaded products a few tenths of a ms
 * apart; spinning that long keeps both sides awake through a step, and blocks through longer pauses.
 */
export const SPIN_MS = 2;

/** Waits while slots[index] is `value`: spins up to SPIN_MS, then blocks where blocking is allowed (not a page's main thread). */
export function waitWhile(slots: Int32Array, index: number, value: number, canBlock: boolean): void {
  const blockAfter = performance.now() + SPIN_MS;
  while (Atomics.load(slots, index) === value) {
    if (canBlock && performance.now() > blockAfter) Atomics.wait(slots, index, value);
  }
}
