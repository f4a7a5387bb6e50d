// The runs the page knows, in memory: those kept in this browser (read from IndexedDB at start), the ones training
// now, and imported ones. The live view, results and list of runs all read it.
import type { MetricPoint, RunRecord } from '../train/run-record.ts';

export interface RunStore {
  all(): RunRecord[];
  get(runId: string): RunRecord | undefined;
  /** A run was created or changed status (its metrics are kept). */
  put(run: RunRecord): void;
  /** Sets a run with its metrics as given (a stored run read back, a resumed run's history cut to its checkpoint). */
  replace(run: RunRecord): void;
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
    replace(run) {
      runs.set(run.runId, { ...run, metrics: [...run.metrics] });
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
