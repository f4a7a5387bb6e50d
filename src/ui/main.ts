// Entry of index.html: mounts one module per panel and wires them to the training worker. A fresh job and a
// resumed run go through the same `follow`, so both stream into the live view, results, runs and playground.
import { initBackend, onDeviceLost, type BackendInfo, type BackendName } from '../backend/index.ts';
import { REFERENCE_DEFAULTS, type RunConfig } from '../config/run-config.ts';
import { configFromQuery, configToQuery, DEMO_MODEL } from '../config/url-query.ts';
import { lazyFiles } from '../hub/url-files.ts';
import { checkpointModelFiles } from '../store/checkpoints.ts';
import { checkJobStorage, resumeRun, trainInBrowser, type BrowserTrainingHandle, type BrowserTrainingOptions } from '../store/browser-training.ts';
import { getRun, listRuns, type RunSummary } from '../store/runs.ts';
import { renderBackendError, renderBackendPanel, renderDeviceLost } from './backend-panel.ts';
import { el } from './dom.ts';
import { mountPlanPanel } from './plan-panel.ts';
import { mountPredictForm, type TrainedModel } from './predict-form.ts';
import { PRESETS } from './presets.ts';
import { mountResultsPanel } from './results-panel.ts';
import { mountRunHistory } from './run-history.ts';
import { memoryRunStore } from './run-store.ts';
import { mountSetupPanel } from './setup-panel.ts';
import { trainJob } from './sources.ts';
import { mountTrainingPanel } from './training-panel.ts';
import { mountCachePanel } from './cache-panel.ts';
import { registerAppShellWorker } from '../sw/register.ts';

const query = new URLSearchParams(location.search);
const panel = (id: string) => document.querySelector<HTMLElement>(`#${id}`)!;

const store = memoryRunStore();
let backendInfo: BackendInfo | null = null;

const training = mountTrainingPanel(panel('training-panel'), store);
mountResultsPanel(panel('results-panel'), store);
const runs = mountRunHistory(panel('runs-panel'), store, { resume });
mountCachePanel(panel('more-panels'));
void registerAppShellWorker();

// A bare visit (or one that only picks e.g. the backend) lands on the offline demo: it trains anywhere, with no
// download. A shared set-up (the app's links always name the technique) is read on the reference's defaults, as
// configToQuery leaves those out. Every bad value is marked on its field, which keeps a usable value.
const landing = PRESETS.find((p) => p.id === 'offline-demo')!.config;
const describesSetup = ['technique', 'model-names', 'data'].some((k) => query.has(k));
const fromLink = configFromQuery(query, describesSetup ? { ...REFERENCE_DEFAULTS, evalFiles: {}, modelNames: [], evalLanguages: [] } : landing);

const backendReady = startBackend(fromLink.config.backend === 'auto' ? null : fromLink.config.backend);
const playground = mountPredictForm(panel('predict-panel'), {
  ready: backendReady,
  endpoint: query.get('endpoint') ?? undefined,
  model: query.get('model') ?? undefined,
  revision: query.get('revision') ?? undefined,
});
/** Each run's latest checkpoint, for the playground. */
const trained = new Map<string, TrainedModel>();
function offerCheckpoint(runId: string, runName: string, modelName: string | undefined, step: number): void {
  // Read back from the browser's storage when picked: the page never holds a checkpoint in memory.
  trained.set(runId, { key: `${runId}@${step}`, label: `${runName} (trained here, step ${step})`, demo: modelName === DEMO_MODEL, files: lazyFiles(() => checkpointModelFiles(runId, step), `${runName} step ${step}`) });
  playground.setTrainedModels([...trained.values()]);
}

const plan = mountPlanPanel(panel('plan-panel'), {
  backend: () => backendInfo,
  planned: (result) => {
    setup.setSourceStates(result.models, result.data);
    setup.setPlanBlocker(result.blocker);
  },
});

let planTimer: ReturnType<typeof setTimeout> | undefined;
function setupChanged(config: RunConfig): void {
  history.replaceState(null, '', `${location.pathname}?${configToQuery(config)}`);
  clearTimeout(planTimer);
  planTimer = setTimeout(() => void plan.update(config), 400);
}

const setup = mountSetupPanel(panel('setup-panel'), {
  changed: setupChanged,
  start: train,
  async searchModels(text, endpoint) {
    const response = await fetch(`${endpoint.replace(/\/+$/, '')}/api/models?search=${encodeURIComponent(text)}&limit=10`);
    if (!response.ok) return [];
    const models = (await response.json()) as { id?: string; modelId?: string }[];
    return models.map((m) => m.id ?? m.modelId ?? '').filter(Boolean);
  },
});
setup.write(fromLink.config);
setup.markLinkIssues(fromLink.issues);
if (fromLink.keys.length) void plan.update(fromLink.config);
else setupChanged(fromLink.config);

let busy = false;
/** Wires a job's events to the page: a fresh job and a resumed run alike. */
function follow(start: (options: BrowserTrainingOptions) => Promise<BrowserTrainingHandle>, title: string): Promise<void> {
  busy = true;
  setup.setRunning(true);
  // Once anything has started, the service worker's one-time reload for cross-origin isolation must not happen.
  document.documentElement.dataset.busy = 'true';
  banner.hidden = true;
  const started = performance.now();
  let stop = () => {};
  training.begin(() => stop(), title);
  const options: BrowserTrainingOptions = { listener: {
    event(event) {
      switch (event.type) {
        case 'backend': {
          const { backend, adapter } = event.info;
          return training.log(`training on ${backend}${adapter ? ` (${[adapter.vendor, adapter.architecture].filter(Boolean).join(' ')})` : ''}`);
        }
        case 'log': return training.log(event.message);
        case 'progress': return training.progress(event.run, event.progress);
        case 'run':
          store.put(event.run);
          training.trackRun(event.run);
          return void runs.refresh();
        case 'metrics': return store.addMetrics(event.runId, event.points);
      }
    },
    resumed: (run) => store.replace(run),
    checkpointSaved: (run, entry) => {
      offerCheckpoint(run.runId, run.runName, run.tags.model_name, entry.step);
      void runs.refresh();
    },
  } };
  return start(options).then((handle) => {
    stop = handle.stop;
    return handle.finished;
  }).then(
    (done) => {
      // The job's last word on each run, before the end is shown (the store's own copy may still be on its way).
      for (const run of done) store.put(run);
      const stopped = done.some((r) => r.status === 'KILLED');
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      training.end({ state: stopped ? 'warning' : 'ready', message: stopped ? `Stopped after ${seconds} s; the last checkpoint is kept.` : `Finished ${done.length} run${done.length === 1 ? '' : 's'} in ${seconds} s.` });
    },
    (error: Error) => training.end({ state: 'error', message: error.message }),
  ).finally(() => {
    busy = false;
    setup.setRunning(false);
    void runs.refresh().then(showInterrupted);
  });
}

function train(config: RunConfig): void {
  if (busy) return;
  // Runs started here are kept in this browser (history as logged, checkpoints), so a reload can resume them.
  // One more than any number the page's runs already end in, so a deleted run's number is not given again.
  const number = 1 + Math.max(0, ...store.all().map((r) => Number(/-(\d+)$/.exec(r.runName)?.[1] ?? 0)));
  const job = { ...trainJob(config, {}), runNameSuffix: String(number) };
  void checkJobStorage(job).then((fit) => fit.fits || training.log(`warning: ${fit.warning}`), () => {});
  void follow(async (options) => trainInBrowser(job, { ...options, backend: config.backend === 'auto' ? null : config.backend }), 'Training…');
}

async function resume(runId: string): Promise<void> {
  if (busy) throw new Error('a job is training: stop it first, or wait until it ends');
  const name = store.get(runId)?.runName ?? runId;
  await follow((options) => resumeRun(runId, options), `Resuming ${name}…`);
}

// --- After a reload: the runs kept in this browser come back, and an interrupted one offers Resume up front. ---
const banner = el('div', { id: 'resume-banner', class: 'notice', role: 'region', 'aria-label': 'Interrupted run', hidden: '' });
panel('setup-panel').querySelector('form')?.before(banner);

function showInterrupted(): void {
  const interrupted = runs.stored().find((r) => r.resumable && (r.state === 'interrupted' || r.state === 'failed'));
  banner.hidden = busy || !interrupted;
  if (!interrupted || busy) return banner.replaceChildren();
  const record = store.get(interrupted.runId);
  const reached = Math.max(0, ...(record?.metrics ?? []).map((p) => p.step), ...interrupted.checkpoints.map((c) => c.step));
  const last = interrupted.checkpoints.at(-1)!.step;
  const button = el('button', { type: 'button', id: 'resume-interrupted' }, 'Resume');
  button.addEventListener('click', () => void resume(interrupted.runId).catch((error: Error) => training.end({ state: 'error', message: error.message })));
  banner.replaceChildren(
    el('p', {}, el('strong', {}, `${interrupted.runName}: interrupted at step ${reached} of ${interrupted.totalSteps}`), ` (${interrupted.state}). Resume continues from its checkpoint at step ${last}.`),
    button,
  );
}

async function loadStoredRuns(): Promise<void> {
  const stored: RunSummary[] = await listRuns();
  for (const summary of stored) {
    const run = await getRun(summary.runId);
    if (run) store.replace(run.record);
    if (summary.checkpoints.length) offerCheckpoint(summary.runId, summary.runName, summary.modelName, summary.checkpoints.at(-1)!.step);
  }
  await runs.refresh();
  showInterrupted();
}
void loadStoredRuns().catch((error: Error) => training.log(`the runs kept in this browser could not be read: ${error.message}`));

async function startBackend(requested: BackendName | null): Promise<void> {
  const backendPanel = panel('backend-panel');
  try {
    backendInfo = await initBackend(requested ?? undefined);
    renderBackendPanel(backendPanel, backendInfo, requested);
    onDeviceLost((message) => renderDeviceLost(backendPanel, message));
  } catch (error) {
    renderBackendError(backendPanel, error as Error);
  }
}
