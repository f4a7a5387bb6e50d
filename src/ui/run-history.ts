// Every run the page knows: status, model, technique, final accuracies, duration; select several to
// overlay their curves; export a run as MLflow run JSON, import one back, delete.
import { importRunJson, runJson } from '../tracking/run-json.ts';
import { latestMetrics, metricHistory, type RunRecord } from '../train/run-record.ts';
import { downloadText, lineChart } from './charts.ts';
import { throttled } from './schedule.ts';
import { el, setStatus } from './dom.ts';
import type { RunStore } from './run-store.ts';
import { formatDuration } from './training-panel.ts';

const EXPORT_ROOT = 'file:///mlruns';

function accuracySummary(run: RunRecord): string {
  const parts = Object.entries(latestMetrics(run))
    .filter(([key]) => /^eval_.+_accuracy$/.test(key))
    .map(([key, value]) => `${key.slice(5, -9)} ${(100 * value).toFixed(1)}`);
  return parts.join(' · ') || '–';
}

function curveKeys(runs: RunRecord[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const point of run.metrics) if (point.key === 'loss' || /^eval_.+_accuracy$/.test(point.key)) keys.add(point.key);
  return [...keys].sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : a.localeCompare(b)));
}

export function mountRunHistory(panel: HTMLElement, store: RunStore): void {
  const table = el('table', { id: 'runs-table' });
  const empty = el('p', {}, 'No runs yet.');
  const curve = el('select', { id: 'overlay-metric' });
  const overlay = lineChart('chart-overlay', 'Selected runs', 'step', 'value');
  const importInput = el('input', { id: 'import-run', type: 'file', accept: '.json,application/json' });
  const importStatus = el('p', { id: 'import-status', role: 'status', 'data-state': 'ready' });
  panel.append(
    empty,
    el('div', { class: 'table-scroll' }, table),
    el('div', { class: 'field inline' }, el('label', { for: 'overlay-metric' }, 'Curve to overlay'), curve),
    overlay.figure,
    el('div', { class: 'field inline' }, el('label', { for: 'import-run' }, 'Import a run (MLflow run JSON)'), importInput),
    importStatus,
  );
  const selected = new Set<string>();

  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (!file) return;
    void file.text().then((text) => {
      try {
        const run = importRunJson(text);
        store.put(run);
        setStatus(importStatus, 'ready', `Imported ${run.runName}.`);
      } catch (error) {
        setStatus(importStatus, 'error', `${file.name}: ${(error as Error).message}`);
      }
      importInput.value = '';
    });
  });

  const drawOverlay = () => {
    const runs = store.all().filter((r) => selected.has(r.runId));
    const keys = curveKeys(runs.length ? runs : store.all());
    const chosen = keys.includes(curve.value) ? curve.value : keys.find((k) => k === 'eval_en_accuracy') ?? keys[0] ?? '';
    curve.replaceChildren(...keys.map((k) => el('option', { value: k }, k)));
    curve.value = chosen;
    if (runs.length === 0 && overlay.chart.data.datasets.length === 0) return;
    overlay.chart.options.plugins!.title!.text = chosen ? `${chosen} of the selected runs` : 'Select runs to overlay';
    overlay.set(runs.map((run) => ({ label: run.runName, points: metricHistory(run, chosen).map((p) => ({ x: p.step, y: p.value })) })));
  };
  curve.addEventListener('change', drawOverlay);

  const render = throttled(() => {
      const runs = store.all();
      empty.hidden = runs.length > 0;
      table.replaceChildren();
      if (runs.length) {
        table.append(
          el('tr', {}, ...['overlay', 'run', 'status', 'model', 'technique', 'final accuracy (%)', 'duration', 'actions'].map((h) => el('th', { scope: 'col' }, h))),
          ...runs.map((run) => {
            const box = el('input', { type: 'checkbox', 'aria-label': `Overlay ${run.runName}` });
            box.checked = selected.has(run.runId);
            box.addEventListener('change', () => {
              if (box.checked) selected.add(run.runId);
              else selected.delete(run.runId);
              drawOverlay();
            });
            const exportButton = el('button', { type: 'button' }, 'Export');
            exportButton.setAttribute('aria-label', `Export ${run.runName}`);
            exportButton.addEventListener('click', () => downloadText(JSON.stringify(runJson(run, { rootUri: EXPORT_ROOT }), null, 2), `${run.runName}-${run.runId.slice(0, 8)}.json`, 'application/json'));
            const deleteButton = el('button', { type: 'button' }, 'Delete');
            deleteButton.setAttribute('aria-label', `Delete ${run.runName}`);
            deleteButton.disabled = run.status === 'RUNNING';
            deleteButton.addEventListener('click', () => {
              selected.delete(run.runId);
              store.delete(run.runId);
            });
            const seconds = ((run.endTime ?? Date.now()) - run.startTime) / 1000;
            return el('tr', { 'data-run-id': run.runId },
              el('td', {}, box),
              el('td', {}, run.runName),
              el('td', {}, run.status.toLowerCase()),
              el('td', {}, run.tags.model_name ?? ''),
              el('td', {}, run.params.technique ?? ''),
              el('td', {}, accuracySummary(run)),
              el('td', { class: 'number' }, formatDuration(seconds)),
              el('td', {}, exportButton, ' ', deleteButton),
            );
          }),
        );
      }
      drawOverlay();
  }, 500);
  store.subscribe(render);
  render();
}
