// Every run the page knows: status, model, technique, final accuracies, duration; select several to
// overlay their curves; export runs as MLflow run JSON or an `mlruns` zip, import either back, delete.
import { importRunJson, runJson } from '../tracking/run-json.ts';
import { importMlrunsZip, mlrunsZip } from '../tracking/mlruns-zip.ts';
import { latestMetrics, metricHistory, type RunRecord } from '../train/run-record.ts';
import { downloadText, downloadUrl, lineChart } from './charts.ts';
import { throttled } from './schedule.ts';
import { el, setStatus } from './dom.ts';
import type { RunStore } from './run-store.ts';
import { formatDuration } from '../format.ts';

const EXPORT_FOLDER_KEY = 'xnli.exportFolder';

/**
 * MLflow stores absolute artifact URIs, so an export is written for the folder the user will unzip it in:
 * `<folder>/mlruns`, as a file:// URI.
 */
export function exportRootUri(folder: string): string {
  const path = folder.trim().replace(/\\/g, '/').replace(/\/+$/, '') || '/tmp';
  const absolute = /^[A-Za-z]:\//.test(path) ? `/${path}` : path.startsWith('/') ? path : `/${path}`;
  return `file://${encodeURI(absolute)}/mlruns`;
}

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
  const importInput = el('input', { id: 'import-run', type: 'file', accept: '.json,application/json,.zip,application/zip' });
  const folderInput = el('input', { id: 'export-folder', type: 'text', value: localStorage.getItem(EXPORT_FOLDER_KEY) ?? '/tmp' });
  folderInput.addEventListener('change', () => localStorage.setItem(EXPORT_FOLDER_KEY, folderInput.value));
  const rootUri = () => exportRootUri(folderInput.value);
  const exportSelected = el('button', { type: 'button', id: 'export-selected-mlruns' }, 'Export selected runs (MLflow zip)');
  const exportAll = el('button', { type: 'button', id: 'export-all-mlruns' }, 'Export all runs (MLflow zip)');
  const downloadZip = (runs: RunRecord[], name: string) => {
    if (runs.length === 0) return setStatus(importStatus, 'error', 'Select at least one run (its overlay box) to export.');
    const { zip, tree } = mlrunsZip(runs, { rootUri: rootUri() });
    const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
    downloadUrl(url, name);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setStatus(importStatus, 'ready', `Exported ${runs.length} run(s) for ${rootUri()}${tree.warnings.length ? `; ${tree.warnings.join('; ')}` : ''}.`);
  };
  exportSelected.addEventListener('click', () => downloadZip(store.all().filter((r) => selected.has(r.runId)), 'mlruns-selected.zip'));
  exportAll.addEventListener('click', () => downloadZip(store.all().filter((r) => r.status !== 'RUNNING'), 'mlruns.zip'));
  const importStatus = el('p', { id: 'import-status', role: 'status', 'data-state': 'ready' });
  panel.append(
    empty,
    el('div', { class: 'table-scroll' }, table),
    el('div', { class: 'field inline' }, el('label', { for: 'overlay-metric' }, 'Curve to overlay'), curve),
    overlay.figure,
    el('div', { class: 'field inline' }, el('label', { for: 'export-folder' }, 'Folder you will unzip MLflow exports in'), folderInput),
    el('div', { class: 'field inline' }, exportSelected, ' ', exportAll),
    el('div', { class: 'field inline' }, el('label', { for: 'import-run' }, 'Import runs (MLflow run JSON or mlruns zip)'), importInput),
    importStatus,
  );
  const selected = new Set<string>();

  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (!file) return;
    void file.arrayBuffer().then((bytes) => {
      try {
        const runs = file.name.toLowerCase().endsWith('.zip') ? importMlrunsZip(new Uint8Array(bytes)) : [importRunJson(new TextDecoder().decode(bytes))];
        for (const run of runs) store.put(run);
        setStatus(importStatus, 'ready', `Imported ${runs.map((r) => r.runName).join(', ')}.`);
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
            exportButton.addEventListener('click', () => downloadText(JSON.stringify(runJson(run, { rootUri: rootUri() }), null, 2), `${run.runName}-${run.runId.slice(0, 8)}.json`, 'application/json'));
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
