// Entry of index.html: mounts one module per panel and wires them to the training worker.
import { initBackend, onDeviceLost, parseBackendName, type BackendInfo, type BackendName } from '../backend/index.ts';
import { REFERENCE_DEFAULTS, type RunConfig } from '../config/run-config.ts';
import { configFromQuery, configToQuery } from '../config/url-query.ts';
import { lazyFiles } from '../hub/url-files.ts';
import { checkpointModelFiles } from '../store/checkpoints.ts';
import { checkJobStorage, trainInBrowser } from '../store/browser-training.ts';
import { renderBackendError, renderBackendPanel, renderDeviceLost } from './backend-panel.ts';
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
import { mountRunsPanel } from './runs-panel.ts';
import { registerAppShellWorker } from '../sw/register.ts';

const query = new URLSearchParams(location.search);
const panel = (id: string) => document.querySelector<HTMLElement>(`#${id}`)!;

const store = memoryRunStore();
let backendInfo: BackendInfo | null = null;

const plan = mountPlanPanel(panel('plan-panel'), { backend: () => backendInfo });
const training = mountTrainingPanel(panel('training-panel'), store);
mountResultsPanel(panel('results-panel'), store);
mountRunHistory(panel('runs-panel'), store);
mountCachePanel(document.querySelector<HTMLElement>('main') ?? document.body);
mountRunsPanel(document.querySelector<HTMLElement>('main') ?? document.body);
void registerAppShellWorker();
const backendReady = startBackend();
const playground = mountPredictForm(panel('predict-panel'), {
  ready: backendReady,
  endpoint: query.get('endpoint') ?? undefined,
  model: query.get('model') ?? undefined,
  revision: query.get('revision') ?? undefined,
});

/** Each run's latest checkpoint, for the playground. */
const trained = new Map<string, TrainedModel>();

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

// A bare visit (or one that only picks e.g. the backend) lands on the offline demo: it trains anywhere, with no
// download. A shared set-up (the app's links always name the technique) is read on the reference's defaults, as
// configToQuery leaves those out. Bad values are listed, never silently replaced.
const landing = PRESETS.find((p) => p.id === 'offline-demo')!.config;
const describesSetup = ['technique', 'model-names', 'data'].some((k) => query.has(k));
const fromLink = configFromQuery(query, describesSetup ? { ...REFERENCE_DEFAULTS, evalFiles: {}, modelNames: [], evalLanguages: [] } : landing);
setup.write(fromLink.config);
setup.showErrors('This link has settings that cannot be used; fix them in the form or the link:', fromLink.errors);
if (fromLink.keys.length) void plan.update(fromLink.config);
else setupChanged(fromLink.config);

function train(config: RunConfig): void {
  setup.setRunning(true);
  // Once anything has started, the service worker's one-time reload for cross-origin isolation must not happen.
  document.documentElement.dataset.busy = 'true';
  const started = performance.now();
  // Runs started here are kept in this browser (history as logged, checkpoints), so a reload can resume them.
  const job = trainJob(config, {});
  void checkJobStorage(job).then((fit) => fit.fits || training.log(`warning: ${fit.warning}`), () => {});
  const handle = trainInBrowser(job, { backend: config.backend === 'auto' ? null : config.backend, listener: {
    backend: (info) => training.log(`training on ${info.backend}${info.adapter ? ` (${[info.adapter.vendor, info.adapter.architecture].filter(Boolean).join(' ')})` : ''}`),
    log: (message) => training.log(message),
    progress: (run, progress) => training.progress(run, progress),
    run: (run) => {
      store.put(run);
      training.trackRun(run);
    },
    metrics: (runId, points) => store.addMetrics(runId, points),
    checkpointSaved: (run, entry) => {
      // Read back from the browser's storage when picked: the page never holds a checkpoint in memory.
      trained.set(run.runId, { key: `${run.runId}@${entry.step}`, label: `${run.runName} (trained here, step ${entry.step})`, files: lazyFiles(() => checkpointModelFiles(run.runId, entry.step), `${run.runName} step ${entry.step}`) });
      playground.setTrainedModels([...trained.values()]);
    },
  } });
  training.begin(handle.stop);
  handle.finished.then(
    (runs) => {
      const stopped = runs.some((r) => r.status === 'KILLED');
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      training.end({ state: stopped ? 'warning' : 'ready', message: stopped ? `Stopped after ${seconds} s; the last checkpoint is kept.` : `Finished ${runs.length} run${runs.length === 1 ? '' : 's'} in ${seconds} s.` });
    },
    (error: Error) => training.end({ state: 'error', message: error.message }),
  ).finally(() => setup.setRunning(false));
}

async function startBackend(): Promise<void> {
  const backendPanel = panel('backend-panel');
  try {
    const asked = query.get('backend');
    const preferred: BackendName | undefined = asked && asked !== 'auto' ? parseBackendName(asked) : undefined;
    backendInfo = await initBackend(preferred);
    renderBackendPanel(backendPanel, backendInfo);
    onDeviceLost((message) => renderDeviceLost(backendPanel, message));
  } catch (error) {
    renderBackendError(backendPanel, error as Error);
  }
}
