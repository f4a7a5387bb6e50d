/**
 * Counts, by wrapping the WebGPU API before tfjs uses it, what a training step costs on any GPU: compute
 * dispatches, bytes written from the CPU (tensor uploads through mapped buffers, uniforms through writeBuffer),
 * buffer read-backs (mapAsync for reading) and pipelines compiled.
 */
export interface WebGPUCounters {
  dispatchesPerStep: number;
  uploadedBytesPerStep: number;
  uniformBytesPerStep: number;
  readbacksPerStep: number;
  bindGroupsPerStep: number;
  submitsPerStep: number;
  /** GPU buffers created per step (tfjs's pool reuses freed ones; uploads create mapped ones). */
  buffersPerStep: number;
  /** Warm-up and timed steps together. */
  pipelinesCompiledInRun: number;
  /** After the warm-up: 0 when every shape's pipelines already exist. */
  pipelinesCompiledWhileTimed: number;
}

export function countWebGPUWork(): { reset(): void; read(steps: number): WebGPUCounters } {
  const counts = { dispatches: 0, uploaded: 0, uniform: 0, readbacks: 0, pipelines: 0, bindGroups: 0, submits: 0, buffers: 0 };
  let pipelinesAtStart = 0;
  if (typeof GPUComputePassEncoder !== 'undefined') {
    wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => counts.dispatches++);
    wrap(GPUQueue.prototype, 'writeBuffer', (args) => {
      const data = args[2] as ArrayBufferView | ArrayBuffer;
      counts.uniform += typeof args[4] === 'number' ? args[4] : data.byteLength;
    });
    wrap(GPUDevice.prototype, 'createBuffer', (args) => {
      const descriptor = args[0] as GPUBufferDescriptor;
      counts.buffers++;
      // tfjs uploads tensor data by creating a buffer mapped at creation and filling it.
      if (descriptor.mappedAtCreation) counts.uploaded += descriptor.size;
    });
    wrap(GPUBuffer.prototype, 'mapAsync', (args) => {
      if (((args[0] as number) & GPUMapMode.READ) !== 0) counts.readbacks++;
    });
    wrap(GPUDevice.prototype, 'createBindGroup', () => counts.bindGroups++);
    wrap(GPUQueue.prototype, 'submit', () => counts.submits++);
    wrap(GPUDevice.prototype, 'createComputePipeline', () => counts.pipelines++);
    wrap(GPUDevice.prototype, 'createComputePipelineAsync', () => counts.pipelines++);
  }
  return {
    reset() {
      counts.dispatches = 0;
      counts.uploaded = 0;
      counts.uniform = 0;
      counts.readbacks = 0;
      counts.bindGroups = 0;
      counts.submits = 0;
      counts.buffers = 0;
      pipelinesAtStart = counts.pipelines;
    },
    read(steps) {
      return {
        dispatchesPerStep: counts.dispatches / steps,
        uploadedBytesPerStep: counts.uploaded / steps,
        uniformBytesPerStep: counts.uniform / steps,
        readbacksPerStep: counts.readbacks / steps,
        bindGroupsPerStep: counts.bindGroups / steps,
        submitsPerStep: counts.submits / steps,
        buffersPerStep: counts.buffers / steps,
        pipelinesCompiledInRun: counts.pipelines,
        pipelinesCompiledWhileTimed: counts.pipelines - pipelinesAtStart,
      };
    },
  };
}

function wrap(target: object, method: string, count: (args: unknown[]) => void): void {
  const record = target as Record<string, unknown>;
  const original = record[method];
  if (typeof original !== 'function') return;
  record[method] = function (this: unknown, ...args: unknown[]) {
    count(args);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
}
