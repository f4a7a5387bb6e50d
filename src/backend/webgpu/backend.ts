import * as tf from '@tensorflow/tfjs-core';
import { registerFusedOps } from '../fused-ops.ts';
import { WEBGPU_FUSED_OPS } from './kernels.ts';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { GpuAdapterSummary } from '../types.ts';

/**
 * Limits asked of the device at the adapter's own values. The WebGPU defaults (128 MiB buffers, 256 MiB
 * storage bindings) are too small for the embedding matrices of multilingual encoders (XLM-R's is 768 MiB).
 * The compute limits are the ones tfjs's own webgpu factory raises.
 */
const LIMITS_FROM_ADAPTER = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
] as const;

/** Limits shown to the user and returned in BackendInfo. */
const REPORTED_LIMITS = [...LIMITS_FROM_ADAPTER, 'maxUniformBufferBindingSize', 'maxBindGroups'] as const;

export interface WebGPUSetup {
  adapter: GpuAdapterSummary;
  limits: Record<string, number>;
  features: string[];
}

type LostListener = (message: string) => void;
const lostListeners = new Set<LostListener>();
let lostMessage: string | null = null;

/** Calls `listener` when the WebGPU device is lost (driver reset, out of memory, tab in background too long). */
export function onDeviceLost(listener: LostListener): () => void {
  if (lostMessage !== null) listener(lostMessage);
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

export function deviceLostMessage(): string | null {
  return lostMessage;
}

/**
 * Creates the WebGPU device with the adapter's limits and registers tfjs's webgpu backend on it under the
 * name 'webgpu' (replacing the factory tfjs registers on import, which we would not hold the device of).
 * Throws an Error whose message says why WebGPU cannot be used.
 */
export async function registerWebGPU(): Promise<WebGPUSetup> {
  registerFusedOps(WEBGPU_FUSED_OPS);
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    throw new Error(
      globalThis.isSecureContext === false
        ? 'navigator.gpu is missing: WebGPU needs a secure context (https or http://127.0.0.1/localhost)'
        : 'navigator.gpu is missing: this browser has no WebGPU (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu)',
    );
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter: WebGPU is disabled or no GPU driver supports it');

  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_FROM_ADAPTER) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (error) {
    throw new Error(`the WebGPU adapter refused a device with its own limits: ${(error as Error).message}`);
  }
  lostMessage = null;
  void device.lost.then((info) => {
    lostMessage = `WebGPU device lost (${info.reason}): ${info.message || 'no detail'}; reload the page to start again`;
    for (const listener of lostListeners) listener(lostMessage);
  });

  const info = adapter.info;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  // WebGPUBackend reads only vendor and architecture from the info (to tune Intel workgroups).
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);

  const limits: Record<string, number> = {};
  for (const name of REPORTED_LIMITS) {
    const value = (device.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') limits[name] = value;
  }
  return {
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: Boolean(info.isFallbackAdapter),
    },
    limits,
    features: [...device.features].map(String).sort(),
  };
}
