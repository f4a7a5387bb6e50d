import { GEMM_ARGS, GEMM_CONTROL_BYTES, GemmState, waitWhile, type GemmHelperStart } from './gemm-helper-protocol.ts';

/**
 * The caller's side of the helper threads for matrix products (gemm-helper.ts), one per core beyond the first:
 * it hands each helper its share, computes its own, and waits for theirs. Only with a shared memory (tfjs's
 * threaded build, a cross-origin isolated page) on two or more cores.
 */
export class GemmThreads {
  private constructor(private readonly helpers: GemmHelper[]) {}

  /** Helpers for every core but this thread's (at most MAX_THREADS in all), or null where none can start. */
  static async start(memory: WebAssembly.Memory, kernels: ArrayBuffer, malloc: (bytes: number) => number, free: (pointer: number) => void): Promise<GemmThreads | null> {
    const cores = Math.min(MAX_THREADS, globalThis.navigator?.hardwareConcurrency ?? 1);
    // Started together: each worker takes a while to load and compile the kernels.
    const started = await Promise.all(Array.from({ length: cores - 1 }, () => GemmHelper.start(memory, kernels, malloc, free)));
    const helpers = started.filter((helper): helper is GemmHelper => helper !== null);
    return helpers.length > 0 ? new GemmThreads(helpers) : null;
  }

  /** This thread and its helpers. */
  get count(): number {
    return this.helpers.length + 1;
  }

  /** Runs `batch_matmul(...parts[i])`: part 0 here, the others on helpers 0, 1, ...; returns when all are done. */
  run(parts: number[][], own: (args: number[]) => void): void {
    if (parts.length > this.count) throw new Error(`${parts.length} parts for ${this.count} threads`);
    const started = parts.slice(1).map((args, i) => (this.helpers[i]!.begin(args), this.helpers[i]!));
    try {
      own(parts[0]!);
    } finally {
      for (const helper of started) helper.end();
    }
  }

  stop(): void {
    for (const helper of this.helpers) helper.stop();
  }
}

/** Threads for products, the caller's included: beyond 8, packing and memory bandwidth, not cores, bound a product. */
const MAX_THREADS = 8;

class GemmHelper {
  private constructor(
    private readonly worker: Worker,
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    private readonly free: (pointer: number) => void,
  ) {}

  /** A started helper, or null where a worker cannot start or the memory is not shared. */
  static async start(memory: WebAssembly.Memory, kernels: ArrayBuffer, malloc: (bytes: number) => number, free: (pointer: number) => void): Promise<GemmHelper | null> {
    if (typeof Worker === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return null;
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

  /** Hands the helper `batch_matmul(...args)`. */
  begin(args: number[]): void {
    if (args.length !== GEMM_ARGS) throw new Error(`batch_matmul takes ${GEMM_ARGS} arguments, not ${args.length}`);
    const state = this.control >>> 2;
    const slots = new Int32Array(this.memory.buffer);
    args.forEach((value, i) => (slots[state + 1 + i] = value));
    Atomics.store(slots, state, GemmState.Go);
    Atomics.notify(slots, state);
  }

  /** Waits until the helper has done what `begin` handed it. */
  end(): void {
    const state = this.control >>> 2;
    const slots = new Int32Array(this.memory.buffer);
    waitWhile(slots, state, GemmState.Go, canBlock);
    Atomics.store(slots, state, GemmState.Idle);
  }

  stop(): void {
    const slots = new Int32Array(this.memory.buffer);
    Atomics.store(slots, this.control >>> 2, GemmState.Stop);
    Atomics.notify(slots, this.control >>> 2);
    this.worker.terminate();
    this.free(this.control);
  }
}

// Atomics.wait throws on a window's main thread; workers (where the app trains) may block.
const canBlock = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
