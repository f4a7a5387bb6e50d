// Comparing metric histories of a resumed run and an uninterrupted one.
import type { MetricPoint } from '../../src/train/run-record.ts';

/** Timings differ between any two runs; everything else must match. */
export const TIMINGS = /runtime|per_second/;

/** The history as sorted `key@step=value` lines, timings left out. */
export const comparableHistory = (points: MetricPoint[]) => points.filter((p) => !TIMINGS.test(p.key)).map((p) => `${p.key}@${p.step}=${p.value}`).sort();

/**
 * `key@step` of points logged twice for one step. `epoch` is left out: it rides along with both the loss and the
 * evaluation, as in transformers.
 */
export function loggedTwice(points: Array<{ key: string; step: number }>): string[] {
  const seen = new Set<string>();
  return points.filter((p) => p.key !== 'epoch').map((p) => `${p.key}@${p.step}`).filter((id) => seen.has(id) || !seen.add(id));
}
