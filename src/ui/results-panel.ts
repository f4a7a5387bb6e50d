// Results: accuracy per language for each model × technique, the drop from English beside each (the
// zero-shot transfer gap), a colour scale, and the table as CSV.
import { LANGUAGE_NAMES } from '../data/xnli-facts.ts';
import { latestMetrics, type RunRecord } from '../train/run-record.ts';
import { downloadText } from './charts.ts';
import { throttled } from './schedule.ts';
import { el } from './dom.ts';
import type { RunStore } from './run-store.ts';

export interface ResultRow {
  model: string;
  technique: string;
  run: string;
  status: string;
  accuracy: Record<string, number>;
}

/** The latest run per model × technique that has evaluated anything, with its final accuracies. */
export function resultRows(runs: RunRecord[]): { rows: ResultRow[]; languages: string[] } {
  const byKey = new Map<string, ResultRow>();
  const languages = new Set<string>();
  for (const run of [...runs].sort((a, b) => a.startTime - b.startTime)) {
    const latest = latestMetrics(run);
    const accuracy: Record<string, number> = {};
    for (const [key, value] of Object.entries(latest)) {
      const match = /^eval_(.+)_accuracy$/.exec(key);
      if (match) {
        accuracy[match[1]!] = value;
        languages.add(match[1]!);
      }
    }
    if (Object.keys(accuracy).length === 0) continue;
    const model = run.tags.model_name ?? run.runName;
    const technique = run.params.technique ?? run.experimentName.replace(/^xnli_/, '');
    byKey.set(`${model}\u0000${technique}`, { model, technique, run: run.runName, status: run.status, accuracy });
  }
  const ordered = [...languages].sort((a, b) => (a === 'en' ? -1 : b === 'en' ? 1 : a.localeCompare(b)));
  return { rows: [...byKey.values()], languages: ordered };
}

/** Drop from English in percentage points (positive: worse than English); null without both numbers. */
export function transferGap(row: ResultRow, language: string): number | null {
  const en = row.accuracy.en;
  const other = row.accuracy[language];
  return en === undefined || other === undefined || language === 'en' ? null : 100 * (en - other);
}

/** Chance (1/3) is white, perfect is a mid blue: dark text stays above 4.5:1 contrast on every shade. */
export function accuracyColour(accuracy: number): string {
  const t = Math.max(0, Math.min(1, (accuracy - 1 / 3) / (2 / 3)));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${mix(255, 120)}, ${mix(255, 175)}, ${mix(255, 230)})`;
}

export function resultsCsv(rows: ResultRow[], languages: string[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const header = ['model', 'technique', 'run', 'status', ...languages.flatMap((l) => [`${l}_accuracy`, `${l}_gap_from_en_points`])];
  const lines = rows.map((row) => [row.model, row.technique, row.run, row.status, ...languages.flatMap((l) => {
    const gap = transferGap(row, l);
    return [row.accuracy[l] === undefined ? '' : row.accuracy[l]!.toFixed(4), gap === null ? '' : gap.toFixed(2)];
  })].map(quote).join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}

export function mountResultsPanel(panel: HTMLElement, store: RunStore): void {
  const table = el('table', { id: 'results-table', class: 'results' });
  const empty = el('p', { id: 'results-empty' }, 'Results appear here after the first evaluation.');
  const csvButton = el('button', { type: 'button', id: 'download-csv', disabled: '' }, 'Download table as CSV');
  panel.append(empty, el('div', { class: 'table-scroll' }, table), csvButton);
  // Read the store at the click, not the last render: a run may have just finished.
  csvButton.addEventListener('click', () => {
    const { rows, languages } = resultRows(store.all());
    downloadText(resultsCsv(rows, languages), 'xnli-results.csv', 'text/csv');
  });

  const render = throttled(() => {
      const { rows, languages } = resultRows(store.all());
      empty.hidden = rows.length > 0;
      csvButton.disabled = rows.length === 0;
      table.replaceChildren();
      if (rows.length === 0) return;
      table.append(
        el('caption', {}, 'Accuracy (%) per evaluation language; below it, the drop from English in points (the zero-shot transfer gap).'),
        el('tr', {}, el('th', { scope: 'col' }, 'model (technique)'), ...languages.map((l) => el('th', { scope: 'col', class: 'number', 'data-language': l }, LANGUAGE_NAMES[l] ?? l, el('span', { class: 'code' }, ` (${l})`)))),
        ...rows.map((row) =>
          el('tr', { 'data-run': row.run },
            // The technique under the model, not in a column of its own: the table fits beside the charts.
            el('th', { scope: 'row' }, row.model + (row.status === 'FINISHED' ? '' : ` (${row.status.toLowerCase()})`), el('small', { class: 'technique' }, row.technique)),
            ...languages.map((language) => {
              const accuracy = row.accuracy[language];
              if (accuracy === undefined) return el('td', { class: 'number', 'data-language': language }, '–');
              const gap = transferGap(row, language);
              const cell = el('td', { class: 'number', 'data-language': language }, el('span', { class: 'accuracy' }, (100 * accuracy).toFixed(1)));
              if (gap !== null) cell.append(el('span', { class: 'gap', 'aria-label': `${Math.abs(gap).toFixed(1)} points ${gap >= 0 ? 'below' : 'above'} English` }, `${gap >= 0 ? '−' : '+'}${Math.abs(gap).toFixed(1)}`));
              cell.style.backgroundColor = accuracyColour(accuracy);
              return cell;
            }),
          ),
        ),
      );
  }, 500);
  store.subscribe(render);
  render();
}
