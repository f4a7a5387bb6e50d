// The one list of runs, newest first: the runs kept in this browser (their state, checkpoints, Resume, model
// export, Delete) and runs imported from MLflow files, with their final accuracies; select several to overlay a
// curve; export runs as MLflow run JSON or an `mlruns` zip, import either back; the browser's storage use.
import { canWriteFolders, writeFolderToPickedDirectory } from '../export/directory.ts';
import { exportFolderName, hfModelFolderFiles } from '../export/hf-folder.ts';
import { zipFolder } from '../export/zip.ts';
import { checkpointModelFiles, deleteRun } from '../store/checkpoints.ts';
import { requestPersistentStorage, storageStatus } from '../store/quota.ts';
import { formatBytes } from '../format.ts';
import { listRuns, type RunSummary } from '../store/runs.ts';
import { importRunJson, runJson } from '../tracking/run-json.ts';
import { importMlrunsZip, mlrunsZip } from '../tracking/mlruns-zip.ts';
import { latestMetrics, metricHistory, type RunRecord } from '../train/run-record.ts';
import { languageLabel } from '../data/xnli-facts.ts';
import { downloadBlob, downloadText, lineChart } from './charts.ts';
import { throttled } from './schedule.ts';
import { el, setStatus } from './dom.ts';
import type { RunStore } from './run-store.ts';
import { formatDuration } from '../format.ts';

const EXPORT_FOLDER_KEY = 'xnli.exportFolder';

const STATE_TEXT: Record<RunSummary['state'], string> = {
  running: 'training',
  interrupted: 'interrupted (its page closed or crashed)',
  stopped: 'stopped',
  failed: 'failed',
  finished: 'finished',
};

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

/** "loss" → "Training loss"; "eval_de_accuracy" → "Accuracy, German (de)". */
export function curveTitle(key: string): string {
  const accuracy = /^eval_(.+)_accuracy$/.exec(key);
  return key === 'loss' ? 'Training loss' : accuracy ? `Accuracy, ${languageLabel(accuracy[1]!)}` : key;
}

export interface RunHistoryCallbacks {
  /** Continues a stored run in the page's live view. */
  resume(runId: string): Promise<void>;
}

export interface RunHistory {
  /** Re-reads the browser's run registry (states, checkpoints). */
  refresh(): Promise<void>;
  /** The stored runs, newest first, as last read. */
  stored(): RunSummary[];
}

export function mountRunHistory(panel: HTMLElement, store: RunStore, callbacks: RunHistoryCallbacks): RunHistory {
  const table = el('table', { id: 'runs-table' });
  const empty = el('p', {}, 'No runs yet.');
  const storage = el('p', { id: 'stored-runs-storage' });
  const persist = el('button', { type: 'button', id: 'stored-runs-persist' }, 'Keep my data (persistent storage)');
  const status = el('p', { id: 'import-status', role: 'status', 'data-state': 'ready' });
  const curve = el('select', { id: 'overlay-metric' });
  const overlay = lineChart('chart-overlay', 'Selected runs', 'step', 'value');
  const importInput = el('input', { id: 'import-run', type: 'file', accept: '.json,application/json,.zip,application/zip' });
  const folderInput = el('input', { id: 'export-folder', type: 'text', value: localStorage.getItem(EXPORT_FOLDER_KEY) ?? '/tmp' });
  folderInput.addEventListener('change', () => localStorage.setItem(EXPORT_FOLDER_KEY, folderInput.value));
  const rootUri = () => exportRootUri(folderInput.value);
  const exportSelected = el('button', { type: 'button', id: 'export-selected-mlruns' }, 'Export selected runs (MLflow zip)');
  const exportAll = el('button', { type: 'button', id: 'export-all-mlruns' }, 'Export all runs (MLflow zip)');
  const downloadZip = (runs: RunRecord[], name: string) => {
    if (runs.length === 0) return setStatus(status, 'error', 'Select at least one run (its overlay box) to export.');
    const { zip, tree } = mlrunsZip(runs, { rootUri: rootUri() });
    downloadBlob(new Blob([zip as BlobPart], { type: 'application/zip' }), name);
    setStatus(status, 'ready', `Exported ${runs.length} run(s) for ${rootUri()}${tree.warnings.length ? `; ${tree.warnings.join('; ')}` : ''}.`);
  };
  exportSelected.addEventListener('click', () => downloadZip(store.all().filter((r) => selected.has(r.runId)), 'mlruns-selected.zip'));
  exportAll.addEventListener('click', () => downloadZip(store.all().filter((r) => r.status !== 'RUNNING'), 'mlruns.zip'));
  panel.append(
    empty,
    el('div', { class: 'table-scroll' }, table),
    status,
    el('div', { class: 'field inline' }, storage, persist),
    el('div', { class: 'field inline' }, el('label', { for: 'overlay-metric' }, 'Curve to overlay'), curve),
    overlay.figure,
    el('details', { id: 'mlflow-files' }, el('summary', {}, 'MLflow files: export and import'),
      el('div', { class: 'field inline' }, el('label', { for: 'export-folder' }, 'Folder you will unzip MLflow exports in'), folderInput),
      el('div', { class: 'field inline' }, exportSelected, ' ', exportAll),
      el('div', { class: 'field inline' }, el('label', { for: 'import-run' }, 'Import runs (MLflow run JSON or mlruns zip)'), importInput)),
  );
  const selected = new Set<string>();
  let storedRuns: RunSummary[] = [];

  const act = async (what: string, action: () => Promise<void>) => {
    setStatus(status, 'working', `${what}…`);
    try {
      await action();
      setStatus(status, 'ready', `${what}: done`);
    } catch (error) {
      setStatus(status, 'error', `${what} failed: ${(error as Error).message}`);
    }
    await refresh();
  };

  const exportModel = (run: RunSummary, toFolder: boolean) => act(`exporting ${run.runName}`, async () => {
    const files = await checkpointModelFiles(run.runId);
    const folder = exportFolderName(run.runName, files.entry.step);
    const contents = await hfModelFolderFiles(files);
    if (toFolder) await writeFolderToPickedDirectory(folder, contents);
    else downloadBlob(await zipFolder(folder, contents), `${folder}.zip`);
  });

  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (!file) return;
    void file.arrayBuffer().then((bytes) => {
      try {
        const runs = file.name.toLowerCase().endsWith('.zip') ? importMlrunsZip(new Uint8Array(bytes)) : [importRunJson(new TextDecoder().decode(bytes))];
        for (const run of runs) store.put(run);
        setStatus(status, 'ready', `Imported ${runs.map((r) => r.runName).join(', ')}.`);
      } catch (error) {
        setStatus(status, 'error', `${file.name}: ${(error as Error).message}`);
      }
      importInput.value = '';
    });
  });

  const drawOverlay = () => {
    const runs = store.all().filter((r) => selected.has(r.runId));
    const keys = curveKeys(runs.length ? runs : store.all());
    const chosen = keys.includes(curve.value) ? curve.value : keys.find((k) => k === 'eval_en_accuracy') ?? keys[0] ?? '';
    curve.replaceChildren(...keys.map((k) => el('option', { value: k }, curveTitle(k))));
    curve.value = chosen;
    if (runs.length === 0 && overlay.chart.data.datasets.length === 0) return;
    overlay.chart.options.plugins!.title!.text = chosen ? `${curveTitle(chosen)}: the selected runs` : 'Select runs to overlay';
    const percent = chosen.endsWith('_accuracy');
    overlay.set(runs.map((run) => ({ label: run.runName, points: metricHistory(run, chosen).map((p) => ({ x: p.step, y: percent ? 100 * p.value : p.value })) })));
  };
  curve.addEventListener('change', drawOverlay);

  function actions(run: RunRecord, saved: RunSummary | undefined): HTMLElement {
    const cell = el('td', { class: 'actions-cell' });
    const button = (label: string, name: string, onClick: () => void, disabled = false) => {
      const b = el('button', { type: 'button', 'aria-label': `${label} ${name}` }, label);
      b.disabled = disabled;
      b.addEventListener('click', onClick);
      cell.append(b, ' ');
    };
    if (saved?.resumable) button('Resume', run.runName, () => void act(`resuming ${run.runName}`, () => callbacks.resume(run.runId)));
    if (saved && saved.checkpoints.length > 0) {
      button('Export model (zip)', run.runName, () => void exportModel(saved, false));
      if (canWriteFolders()) button('Export model to folder', run.runName, () => void exportModel(saved, true));
    }
    button('Export MLflow JSON', run.runName, () => downloadText(JSON.stringify(runJson(run, { rootUri: rootUri() }), null, 2), `${run.runName}-${run.runId.slice(0, 8)}.json`, 'application/json'));
    const running = saved ? stateOf(run, saved) === 'running' : run.status === 'RUNNING';
    button('Delete', run.runName, () => {
      if (saved && !confirm(`Delete run ${run.runName} with its metrics and checkpoints?`)) return;
      selected.delete(run.runId);
      void act(`deleting ${run.runName}`, async () => {
        if (saved) await deleteRun(run.runId);
        store.delete(run.runId);
      });
    }, running);
    return cell;
  }

  /** The registry's state, unless the page has newer news of the run (it ended since the last read). */
  const stateOf = (run: RunRecord, saved: RunSummary): RunSummary['state'] =>
    run.status === 'RUNNING' ? saved.state : run.status === 'FINISHED' ? 'finished' : run.status === 'KILLED' ? 'stopped' : 'failed';

  function stateText(run: RunRecord, saved: RunSummary | undefined): string {
    if (!saved) return `${run.status.toLowerCase()} (imported)`;
    const state = stateOf(run, saved);
    let text = STATE_TEXT[state] + (run.error ?? saved.error ? `: ${run.error ?? saved.error}` : '');
    if (state === 'interrupted' && saved.activity) text += `, while ${saved.activity} (a crash there is most likely the browser running out of memory: resume, or use feature-extraction or a smaller batch)`;
    return text;
  }

  const render = throttled(() => {
    const runs = [...store.all()].sort((a, b) => b.startTime - a.startTime);
    const byId = new Map(storedRuns.map((s) => [s.runId, s]));
    empty.hidden = runs.length > 0;
    table.replaceChildren();
    if (runs.length) {
      table.append(
        el('tr', {}, ...['overlay', 'run', 'state', 'model', 'technique', 'final accuracy (%)', 'checkpoints (step)', 'duration', 'actions'].map((h) => el('th', { scope: 'col' }, h))),
        ...runs.map((run) => {
          const saved = byId.get(run.runId);
          const box = el('input', { type: 'checkbox', 'aria-label': `Overlay ${run.runName}` });
          box.checked = selected.has(run.runId);
          box.addEventListener('change', () => {
            if (box.checked) selected.add(run.runId);
            else selected.delete(run.runId);
            drawOverlay();
          });
          const steps = saved ? `${saved.checkpoints.map((c) => `${c.step} (${formatBytes(c.bytes)})`).join(', ') || 'none'} of ${saved.totalSteps} steps` : '–';
          const seconds = ((run.endTime ?? Date.now()) - run.startTime) / 1000;
          return el('tr', { 'data-run-id': run.runId, 'data-state': saved ? stateOf(run, saved) : run.status.toLowerCase() },
            el('td', {}, box),
            el('td', {}, run.runName),
            el('td', {}, stateText(run, saved)),
            el('td', {}, run.tags.model_name ?? ''),
            el('td', {}, run.params.technique ?? ''),
            el('td', {}, accuracySummary(run)),
            el('td', {}, steps),
            el('td', { class: 'number' }, formatDuration(seconds)),
            actions(run, saved),
          );
        }),
      );
    }
    drawOverlay();
  }, 500);
  store.subscribe(render);

  async function refresh(): Promise<void> {
    const [runs, usage] = await Promise.all([listRuns(), storageStatus()]);
    storedRuns = runs;
    storage.textContent = usage
      ? `Browser storage: ${formatBytes(usage.usage)} used of ${formatBytes(usage.quota)}${usage.persisted ? ' (persistent)' : ' (may be evicted under storage pressure)'}`
      : 'Browser storage: this browser does not report its usage';
    persist.hidden = usage?.persisted !== false;
    render();
  }
  persist.addEventListener('click', () => void act('asking for persistent storage', async () => {
    if (!(await requestPersistentStorage())) throw new Error('the browser declined (it grants it to sites you use often or bookmark)');
  }));
  setInterval(() => void refresh().catch(() => {}), 5000);
  render();
  return { refresh, stored: () => storedRuns };
}
