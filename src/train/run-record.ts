/** One run, as the tracking exports (MLflow file store, run JSON) and the CLI's summary read it. */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MetricPoint {
  key: string;
  value: number;
  /** The global optimizer step. */
  step: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface RunRecord {
  runId: string;
  runName: string;
  experimentName: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: MetricPoint[];
  error?: string;
}

export function newRunId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The latest value of every metric key. */
export function latestMetrics(run: RunRecord): Record<string, number> {
  const latest: Record<string, MetricPoint> = {};
  for (const point of run.metrics) {
    const seen = latest[point.key];
    if (!seen || point.step > seen.step || (point.step === seen.step && point.timestamp >= seen.timestamp)) latest[point.key] = point;
  }
  return Object.fromEntries(Object.entries(latest).map(([k, p]) => [k, p.value]));
}

/** The history of one metric, ordered by step. */
export function metricHistory(run: RunRecord, key: string): MetricPoint[] {
  return run.metrics.filter((p) => p.key === key).sort((a, b) => a.step - b.step);
}
