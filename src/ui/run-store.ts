// The runs the page knows, kept in memory behind a small interface until the IndexedDB store replaces it.
import type { MetricPoint, RunRecord } from '../train/run-record.ts';

export interface RunStore {
  all(): RunRecord[];
  get(runId: string): RunRecord | undefined;
  /** A run was created or changed status (its metrics are kept). */
  put(run: RunRecord): void;
  addMetrics(runId: string, points: MetricPoint[]): void;
  delete(runId: string): void;
  /** Called after every change. */
  subscribe(listener: () => void): () => void;
}

export function memoryRunStore(): RunStore {
  const runs = new Map<string, RunRecord>();
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  return {
    all: () => [...runs.values()].sort((a, b) => a.startTime - b.startTime),
    get: (runId) => runs.get(runId),
    put(run) {
      const known = runs.get(run.runId);
      runs.set(run.runId, { ...run, metrics: known?.metrics ?? [...run.metrics] });
      notify();
    },
    addMetrics(runId, points) {
      runs.get(runId)?.metrics.push(...points);
      notify();
    },
    delete(runId) {
      runs.delete(runId);
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
