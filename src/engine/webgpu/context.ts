/**
 * The WebGPU engine's device context: pipelines compiled once per shader source, buffers and uniforms created
 * once, and dispatches recorded as plain data (pipeline, bind group, workgroup counts), so that running a
 * recorded sequence again costs only its encoding: no shader key to build, no bind group or buffer to create.
 */

/** One recorded compute dispatch. */
export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

/** A binding of part of a buffer (offset and size in bytes); offsets are multiples of the device's alignment. */
export type BufferSlice = GPUBufferBinding & { size: number };

/** Pipelines per device, shared by every context on it: a new run's engine compiles nothing the last one did. */
const pipelinesByDevice = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export class GpuContext {
  private readonly pipelines: Map<string, GPUComputePipeline>;
  /** Uniforms made since the last takeUniforms(): the plan being recorded owns them. */
  private uniforms: GPUBuffer[] = [];

  constructor(readonly device: GPUDevice) {
    let pipelines = pipelinesByDevice.get(device);
    if (!pipelines) pipelinesByDevice.set(device, (pipelines = new Map()));
    this.pipelines = pipelines;
  }

  /** The compute pipeline for a WGSL source (entry point `main`), compiled on first use. */
  pipeline(code: string): GPUComputePipeline {
    let pipeline = this.pipelines.get(code);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module: this.device.createShaderModule({ code }), entryPoint: 'main' } });
      this.pipelines.set(code, pipeline);
    }
    return pipeline;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  storage(byteLength: number, label: string, extraUsage = 0): GPUBuffer {
    return this.device.createBuffer({ label, size: align(Math.max(byteLength, 4), 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage });
  }

  /** A uniform buffer holding `words` (u32 and f32 values as their bit patterns), written once. */
  uniform(words: Uint32Array, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: align(words.byteLength, 16), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, words);
    this.uniforms.push(buffer);
    return buffer;
  }

  /** The uniforms made since the last call, for their owner to destroy with what it recorded. */
  takeUniforms(): GPUBuffer[] {
    const taken = this.uniforms;
    this.uniforms = [];
    return taken;
  }

  /** Records a dispatch of `code` with `bindings` as group 0, bindings 0, 1, 2, ... in order. */
  dispatch(label: string, code: string, bindings: readonly GPUBindingResource[], workgroups: readonly [number, number, number]): Dispatch {
    const pipeline = this.pipeline(code);
    const bindGroup = this.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries: bindings.map((resource, binding) => ({ binding, resource })) });
    return { label, pipeline, bindGroup, workgroups };
  }

  /** Encodes the dispatches into one compute pass of one command buffer and submits it. */
  run(dispatches: readonly Dispatch[]): void {
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dispatches);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }
}

/**
 * Copies `bytes` of `buffer` from `offset` into a staging buffer after what `encoder` holds, submits, and resolves
 * with them once the GPU is done (also the way to wait for the queue: Dawn in Node settles mapAsync reliably).
 */
export async function readBack(device: GPUDevice, buffer: GPUBuffer, offset: number, bytes: number, encoder = device.createCommandEncoder()): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}

export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  let pipeline: GPUComputePipeline | null = null;
  for (const d of dispatches) {
    if (d.pipeline !== pipeline) pass.setPipeline((pipeline = d.pipeline));
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

export function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

/**
 * A kernel's binding declarations, numbered in the order given, which is the order its dispatch lists the buffers
 * (GpuContext.dispatch): `name: read` or `name: read_write` for a storage array of f32, `name: read u32` for
 * another element type, `name: uniform Struct` for a uniform. An optional binding left out (`false`) takes no number.
 */
export function bindings(...declarations: (string | false)[]): string {
  return declarations.filter((d): d is string => d !== false).map((declaration, binding) => {
    const [, name, access, type] = /^(\w+): (read_write|read|uniform)(?: (\w+))?$/.exec(declaration) ?? [];
    if (!name || (access === 'uniform' && !type)) throw new Error(`not a binding declaration: "${declaration}"`);
    const variable = access === 'uniform' ? `var<uniform> ${name}: ${type}` : `var<storage, ${access}> ${name}: array<${type ?? 'f32'}>`;
    return `@group(0) @binding(${binding}) ${variable};`;
  }).join('\n');
}

/** A kernel's entry point with `threads` per workgroup, given its workgroup (`wg`) and its thread in it (`lid`). */
export const entry = (threads: number) => `@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u)`;

/** u32 and f32 values packed as 32-bit words, for uniform structs whose fields are all 4 bytes. */
export function words(values: readonly (readonly [number, 'u32' | 'f32'])[]): Uint32Array {
  const out = new Uint32Array(values.length);
  const asFloat = new Float32Array(out.buffer);
  values.forEach(([value, type], i) => {
    if (type === 'u32') out[i] = value >>> 0;
    else asFloat[i] = value;
  });
  return out;
}
