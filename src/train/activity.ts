import type { JobProgress } from './events.ts';

/**
 * What a job is doing, in the words a crash report and an interrupted run's record use ("training X, step 5
 * of 18"), or null for a progress report that says nothing new.
 */
export function describeActivity(run: string, p: JobProgress): string | null {
  if (p.phase === 'train') return `training ${run}, step ${p.step} of ${p.totalSteps}`;
  if (p.phase === 'eval') return `evaluating ${run} on ${p.language} at step ${p.step}`;
  if (p.phase === 'save') return `${p.message} of ${run}`;
  return 'message' in p ? `${run}: ${p.message}` : null;
}
