import { GEMM_ARGS, GEMM_CONTROL_BYTES, GemmState, type GemmHelperStart } from './gemm-helper-protocol.ts';

/**
 * The caller's side of the second thread for matrix products (src/backend/gemm-helper.ts): it hands the helper
 * its share, computes its own, and waits for the helper's. Only with a shared memory (tfjs's threaded build, a
 * cross-origin isolated page) on two or more cores; XNNPACK's own threads sit idle then, since every product runs
 * in our kernels.
 */
export class GemmHelper {
  private constructor(
    private readonly worker: Worker,
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    private readonly free: (pointer: number) => void,
  ) {}

  /** A started helper, or null where threads cannot help or a worker cannot start (then products run on one thread). */
  static async start(memory: WebAssembly.Memory, kernels: ArrayBuffer, malloc: (bytes: number) => number, free: (pointer: number) => void): Promise<GemmHelper | null> {
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    if (cores < 2 || typeof Worker === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return null;
    const control = malloc(GEMM_CONTROL_BYTES);
    new Int32Array(memory.buffer, control, GEMM_CONTROL_BYTES / 4).fill(GemmState.Idle);
    let worker: Worker;
    try {
      worker = new Worker(new URL('./gemm-helper.ts', import.meta.url), { type: 'module' });
    } catch {
      free(control);
      return null;
    }
    const ready = await new Promise<boolean>((resolve) => {
      worker.onmessage = () => resolve(true);
      worker.onerror = () => resolve(false);
      worker.postMessage({ memory, kernels, control } satisfies GemmHelperStart);
    });
    if (!ready) {
      worker.terminate();
      free(control);
      return null;
    }
    return new GemmHelper(worker, memory, control, free);
  }

  /** Runs `batch_matmul(...helperArgs)` on the helper while `own()` runs here; returns when both are done. */
  share(helperArgs: number[], own: () => void): void {
    if (helperArgs.length !== GEMM_ARGS) throw new Error(`batch_matmul takes ${GEMM_ARGS} arguments, not ${helperArgs.length}`);
    const state = this.control >>> 2;
    let slots = new Int32Array(this.memory.buffer);
    helperArgs.forEach((value, i) => (slots[state + 1 + i] = value));
    Atomics.store(slots, state, GemmState.Go);
    Atomics.notify(slots, state);
    try {
      own();
    } finally {
      slots = new Int32Array(this.memory.buffer);
      waitWhile(slots, state, GemmState.Go);
      Atomics.store(slots, state, GemmState.Idle);
    }
  }

  stop(): void {
    const slots = new Int32Array(this.memory.buffer);
    Atomics.store(slots, this.control >>> 2, GemmState.Stop);
    Atomics.notify(slots, this.control >>> 2);
    this.worker.terminate();
    this.free(this.control);
  }
}

/** Blocks while slots[index] is `value`: Atomics.wait in a worker; a spin where blocking is not allowed (a page's main thread). */
function waitWhile(slots: Int32Array, index: number, value: number): void {
  if (canBlock) {
    while (Atomics.load(slots, index) === value) Atomics.wait(slots, index, value);
    return;
  }
  while (Atomics.load(slots, index) === value) {
    // spin: the helper's share takes about as long as ours, so this is short
  }
}

// Atomics.wait throws on a window's main thread; workers (where the app trains) may block.
const canBlock = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
