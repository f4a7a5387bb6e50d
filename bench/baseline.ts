/** Saved figures and the ratio of each to the current run, so a regression shows. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

export interface BaselineFile { machine: string; date: string; figures: Record<string, number> }

export function saveBaseline(path: string, machine: string, figures: Record<string, number>): void {
  const file: BaselineFile = { machine, date: new Date().toISOString(), figures };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

export function loadBaseline(path: string): BaselineFile | null {
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as BaselineFile;
  if (!parsed.figures || typeof parsed.figures !== 'object') throw new Error(`${path} is not a bench baseline (no "figures"): save one with npm run bench -- --save-baseline ${path}`);
  return parsed;
}

/**
 * Lines "name: now / before = ratio" for each figure in both. Rates are higher-is-better; counts per step
 * (`*_per_step`: WebGPU dispatches, uploaded bytes) are lower-is-better.
 */
export function compareLines(baseline: BaselineFile, figures: Record<string, number>): string[] {
  const lines: string[] = [];
  for (const [name, now] of Object.entries(figures)) {
    const before = baseline.figures[name];
    if (before === undefined) continue;
    const ratio = before === 0 ? Number.NaN : now / before;
    const lowerIsBetter = name.endsWith('_per_step');
    const worse = lowerIsBetter ? ratio > 1.25 : ratio < 0.8;
    const better = lowerIsBetter ? ratio < 0.8 : ratio > 1.25;
    const flag = worse ? (lowerIsBetter ? '  <- worse' : '  <- slower') : better ? (lowerIsBetter ? '  <- better' : '  <- faster') : '';
    lines.push(`  ${name}: ${fmt(now)} / ${fmt(before)} = ${ratio.toFixed(2)}x${flag}`);
  }
  return lines;
}

const fmt = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3));
