// Storage space: persistent storage, usage and quota, the space a run's checkpoints will need, and a clear
// error when the quota is full.
import { formatBytes } from '../format.ts';
import type { Technique } from '../train/trainer.ts';

export interface StorageStatus {
  usage: number;
  quota: number;
  /** True when the browser promised not to evict this origin's data under storage pressure. */
  persisted: boolean | null;
}

/** Asks the browser not to evict our data (checkpoints can take gigabytes); null where the API is missing. */
export async function requestPersistentStorage(): Promise<boolean | null> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.persist !== 'function') return null;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist().catch(() => false);
}

export async function storageStatus(): Promise<StorageStatus | null> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.estimate !== 'function') return null;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const persisted = typeof navigator.storage.persisted === 'function' ? await navigator.storage.persisted() : null;
  return { usage, quota, persisted };
}

/**
 * Bytes of one checkpoint: the weights in float32, plus AdamW's two moments for every parameter that trains
 * (all of them under fine-tune; under feature-extraction only the head, taken as 1% here), plus small files.
 */
export function checkpointBytesEstimate(weightBytesF32: number, technique: Technique): number {
  const trained = technique === 'fine-tune' ? weightBytesF32 : weightBytesF32 * 0.01;
  return Math.ceil(weightBytesF32 + 2 * trained + 20 * 1024 * 1024);
}

/** A run keeps `keep` checkpoints and writes one more before pruning the oldest. */
export function runBytesEstimate(checkpointBytes: number, keep: number): number {
  return checkpointBytes * (keep + 1);
}

export interface FitCheck {
  needed: number;
  free: number | null;
  fits: boolean;
  /** One line for the page: empty when it fits. */
  warning: string;
}

export function checkFit(needed: number, status: StorageStatus | null): FitCheck {
  if (!status || status.quota === 0) return { needed, free: null, fits: true, warning: '' };
  const free = Math.max(0, status.quota - status.usage);
  const fits = needed <= free;
  return {
    needed,
    free,
    fits,
    warning: fits ? '' : `this run's checkpoints need about ${formatBytes(needed)} but only ${formatBytes(free)} of browser storage is free: delete old runs or checkpoints, or keep fewer checkpoints`,
  };
}

/** The size of a model's weights as float32, from the HEAD of its model.safetensors (F16/BF16 files are doubled). */
export async function weightBytesOf(modelUrl: string, headers: Record<string, string> = {}): Promise<number | null> {
  try {
    const response = await fetch(modelUrl, { method: 'HEAD', headers });
    const length = Number(response.headers.get('content-length'));
    return response.ok && length > 0 ? length : null;
  } catch {
    return null;
  }
}

export class StorageFullError extends Error {
  constructor(what: string, bytes: number, status: StorageStatus | null) {
    // Under its quota the browser still fails a write when the disk itself is full: say which it was.
    const diskFull = status !== null && status.usage + bytes <= status.quota;
    const usage = status ? ` (${formatBytes(status.usage)} of the ${formatBytes(status.quota)} quota used)` : '';
    const full = diskFull ? 'the disk holding the browser\'s storage is full (or, in a private window, the memory it keeps storage in)' : 'browser storage is full';
    const free = diskFull ? 'free space on the disk, or delete old runs or checkpoints' : 'delete old runs or checkpoints, or keep fewer';
    super(`${full}: ${what} (${formatBytes(bytes)}) could not be saved${usage}. The run's metrics and earlier checkpoints are kept; ${free}, then resume.`);
    this.name = 'StorageFullError';
  }
}

export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  const message = String((error as { message?: string } | null)?.message ?? '');
  return name === 'QuotaExceededError' || /quota/i.test(message);
}
