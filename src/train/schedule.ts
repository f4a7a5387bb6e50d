/**
 * transformers' get_linear_schedule_with_warmup: the rate for the step that follows `stepsDone` optimizer steps.
 * With no warm-up, step k of T (0-based) trains at base·(1 − k/T); after the last step the rate is 0.
 */
export function linearScheduleRate(baseRate: number, stepsDone: number, totalSteps: number, warmupSteps = 0): number {
  if (stepsDone < warmupSteps) return (baseRate * stepsDone) / Math.max(1, warmupSteps);
  return baseRate * Math.max(0, (totalSteps - stepsDone) / Math.max(1, totalSteps - warmupSteps));
}
