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
