// Runs kept in this browser (src/store/): state (an interrupted run says so), checkpoints, storage use, and
// Resume / Export / Delete. Plain markup for the page's own styling.
import { canWriteFolders, writeFolderToPickedDirectory } from '../export/directory.ts';
import { exportFolderName, hfModelFolderFiles } from '../export/hf-folder.ts';
import { zipFolder } from '../export/zip.ts';
import { resumeRun } from '../store/browser-training.ts';
import { checkpointModelFiles, deleteRun } from '../store/checkpoints.ts';
import { formatMiB, requestPersistentStorage, storageStatus } from '../store/quota.ts';
import { listRuns, type RunSummary } from '../store/runs.ts';
import { el, setStatus } from './dom.ts';

const STATE_TEXT: Record<RunSummary['state'], string> = {
  running: 'training',
  interrupted: 'interrupted (its page closed or crashed)',
  stopped: 'stopped',
  failed: 'failed',
  finished: 'finished',
};

export interface RunsPanel {
  refresh(): Promise<void>;
}

function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Appends a "Saved runs" section to `parent` and keeps it current. */
export function mountRunsPanel(parent: HTMLElement): RunsPanel {
  const section = el('section', { id: 'stored-runs-panel', 'aria-labelledby': 'stored-runs-heading' },
    el('h2', { id: 'stored-runs-heading' }, 'Saved runs (this browser)'));
  const storage = el('p', { id: 'stored-runs-storage' });
  const persist = el('button', { type: 'button', id: 'stored-runs-persist' }, 'Keep my data (persistent storage)');
  const status = el('p', { id: 'stored-runs-status', role: 'status' });
  const table = el('table', { id: 'stored-runs-table' });
  section.append(storage, persist, status, table);
  parent.append(section);

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

  const exportRun = (run: RunSummary, toFolder: boolean) => act(`exporting ${run.runName}`, async () => {
    const files = await checkpointModelFiles(run.runId);
    const folder = exportFolderName(run.runName, files.entry.step);
    const contents = await hfModelFolderFiles(files);
    if (toFolder) await writeFolderToPickedDirectory(folder, contents);
    else download(await zipFolder(folder, contents), `${folder}.zip`);
  });

  const resume = (run: RunSummary) => act(`resuming ${run.runName}`, async () => {
    const handle = await resumeRun(run.runId, {
      listener: {
        progress: (_name, p) => {
          if (p.phase === 'train') setStatus(status, 'working', `${run.runName}: step ${p.step}/${p.totalSteps}`);
        },
        checkpointSaved: () => void refresh(),
      },
    });
    await refresh();
    await handle.finished;
  });

  function row(run: RunSummary): HTMLTableRowElement {
    const actions = el('td');
    const button = (label: string, onClick: () => void) => {
      const b = el('button', { type: 'button' }, label);
      b.addEventListener('click', onClick);
      actions.append(b);
    };
    if (run.resumable) button('Resume', () => void resume(run));
    if (run.checkpoints.length > 0) {
      button('Export zip', () => void exportRun(run, false));
      if (canWriteFolders()) button('Export to folder', () => void exportRun(run, true));
    }
    if (run.state !== 'running') {
      button('Delete', () => {
        if (confirm(`Delete run ${run.runName} with its metrics and checkpoints?`)) void act(`deleting ${run.runName}`, () => deleteRun(run.runId));
      });
    }
    const steps = run.checkpoints.map((c) => `${c.step} (${formatMiB(c.bytes)})`).join(', ') || 'none';
    const tr = el('tr', { 'data-run-id': run.runId, 'data-state': run.state },
      el('td', {}, run.runName), el('td', {}, run.modelName), el('td', {}, STATE_TEXT[run.state] + (run.error ? `: ${run.error}` : '') + (run.state === 'interrupted' && run.activity ? `, while ${run.activity} (a crash there is most likely the browser running out of memory: resume, or use feature-extraction or a smaller batch)` : '')),
      el('td', {}, `${steps} of ${run.totalSteps} steps`), el('td', {}, new Date(run.startTime).toLocaleString()));
    tr.append(actions);
    return tr;
  }

  async function refresh(): Promise<void> {
    const [runs, usage] = await Promise.all([listRuns(), storageStatus()]);
    storage.textContent = usage
      ? `Browser storage: ${formatMiB(usage.usage)} used of ${formatMiB(usage.quota)}${usage.persisted ? ' (persistent)' : ' (may be evicted under storage pressure)'}`
      : 'Browser storage: this browser does not report its usage';
    persist.hidden = usage?.persisted !== false;
    table.replaceChildren(
      el('tr', {}, ...['run', 'model', 'state', 'checkpoints (step)', 'started', ''].map((h) => el('th', {}, h))),
      ...runs.map(row),
    );
    if (runs.length === 0) table.append(el('tr', {}, el('td', { colspan: '6' }, 'No saved runs yet.')));
  }

  persist.addEventListener('click', () => void act('asking for persistent storage', async () => {
    if (!(await requestPersistentStorage())) throw new Error('the browser declined (it grants it to sites you use often or bookmark)');
  }));
  void refresh();
  setInterval(() => void refresh().catch(() => {}), 5000);
  return { refresh };
}
