// "While training": the phase (download, tokenising, training, evaluation) with its rate and time left,
// the log, live charts of loss, learning rate and accuracy per language, and the Stop button.
import type { JobProgress } from '../train/job.ts';
import { metricHistory, type RunRecord } from '../train/run-record.ts';
import { lineChart, type Series } from './charts.ts';
import { el, setStatus } from './dom.ts';
import { throttled } from './schedule.ts';
import type { RunStore } from './run-store.ts';
import { formatDuration } from '../format.ts';

const PHASE_TITLES: Record<JobProgress['phase'], string> = {
  load: 'Downloading the model',
  data: 'Downloading data',
  tokenize: 'Tokenising',
  save: 'Saving a checkpoint',
  train: 'Training',
  eval: 'Evaluating',
};

/**
 * Rates of counters (a run's training steps, an evaluation's pairs) over a sliding window of recent readings,
 * for "per second" and "time left". Each counter keeps its own window, so training's rate survives the
 * evaluations that interrupt it (its time left then includes them), and every progress report is a reading,
 * not only the ones that happen to be drawn.
 */
class RateMeters {
  private windows = new Map<string, { at: number; done: number }[]>();
  add(key: string, done: number): void {
    const at = performance.now();
    let readings = this.windows.get(key);
    if (!readings) this.windows.set(key, (readings = []));
    if (readings.length && done < readings[readings.length - 1]!.done) readings.length = 0;
    readings.push({ at, done });
    while (readings.length > 2 && at - readings[0]!.at > 15_000) readings.shift();
  }
  /** Per second, once the window spans more than 0.2 s and the counter moved; null before. */
  rate(key: string): number | null {
    const readings = this.windows.get(key);
    if (!readings || readings.length < 2) return null;
    const first = readings[0]!;
    const last = readings[readings.length - 1]!;
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0.2 && last.done > first.done ? (last.done - first.done) / seconds : null;
  }
  clear(): void {
    this.windows.clear();
  }
}

/** The counter a progress report advances: a run's steps, or one evaluation language's pairs. */
function counterKey(runName: string, p: JobProgress): string {
  const total = p.phase === 'train' ? p.totalSteps : p.total;
  return `${runName}/${p.phase}/${p.phase === 'eval' ? p.language : ''}/${total}`;
}

export interface TrainingPanel {
  /** A job starts: clear the view, remember its runs' ids, enable Stop. */
  begin(stop: () => void): void;
  log(message: string): void;
  progress(runName: string, progress: JobProgress): void;
  /** The job ended (done, stopped or failed). */
  end(outcome: { state: 'ready' | 'warning' | 'error'; message: string }): void;
  /** Marks runs of the current job, whose curves the live charts show. */
  trackRun(run: RunRecord): void;
}

export function mountTrainingPanel(panel: HTMLElement, store: RunStore): TrainingPanel {
  const status = el('p', { id: 'training-status', role: 'status', 'data-state': 'ready' }, 'No run yet: choose a set-up and start training.');
  const bar = el('progress', { id: 'training-progress', max: '1', value: '0', 'aria-labelledby': 'training-phase' });
  const phase = el('p', { id: 'training-phase' }, 'Idle');
  const stopButton = el('button', { type: 'button', id: 'stop-training', disabled: '' }, 'Stop');
  const logList = el('ol', { id: 'training-log', 'aria-label': 'Training log' });
  const lossChart = lineChart('chart-loss', 'Training loss', 'step', 'loss', { yMin: 0 });
  const lrChart = lineChart('chart-lr', 'Learning rate', 'step', 'learning rate', { yMin: 0 });
  const accuracyChart = lineChart('chart-accuracy', 'Accuracy per language', 'step', 'accuracy', { yMin: 0, yMax: 1 });
  panel.append(
    status,
    el('div', { class: 'progress-row' }, bar, stopButton),
    phase,
    el('div', { class: 'charts' }, lossChart.figure, lrChart.figure, accuracyChart.figure),
    el('details', {}, el('summary', {}, 'Log'), logList),
  );

  let stop: (() => void) | null = null;
  let jobRuns: string[] = [];
  const meters = new RateMeters();
  stopButton.addEventListener('click', () => {
    stop?.();
    stopButton.disabled = true;
    setStatus(status, 'working', 'Stopping after the current step; the checkpoint is kept…');
  });

  const jobRunRecords = () => jobRuns.map((id) => store.get(id)).filter((r): r is RunRecord => !!r);
  const series = (key: string): Series[] => jobRunRecords().map((run) => ({ label: run.runName, points: metricHistory(run, key).map((p) => ({ x: p.step, y: p.value })) }));
  const drawLoss = throttled(() => lossChart.set(series('loss')), 500);
  const drawLr = throttled(() => lrChart.set(series('learning_rate')), 500);
  const drawAccuracy = throttled(() => {
    const runs = jobRunRecords();
    const accuracy: Series[] = [];
    for (const run of runs) {
      const keys = [...new Set(run.metrics.map((p) => p.key).filter((k) => /^eval_.+_accuracy$/.test(k)))];
      for (const key of keys) {
        const language = key.slice(5, -9);
        accuracy.push({ label: runs.length > 1 ? `${run.runName} ${language}` : language, points: metricHistory(run, key).map((p) => ({ x: p.step, y: p.value })) });
      }
    }
    accuracyChart.set(accuracy);
  }, 500);
  const redraw = () => {
    drawLoss();
    drawLr();
    drawAccuracy();
  };
  store.subscribe(redraw);

  // Eval batches report many times a second: the text and bar are redrawn at most four times a second.
  let latest: { runName: string; p: JobProgress } | null = null;
  const showProgress = throttled(() => {
    if (!latest) return;
    const { runName, p } = latest;
    const title = PHASE_TITLES[p.phase];
    const done = p.phase === 'train' ? p.step : p.done;
    const total = p.phase === 'train' ? p.totalSteps : p.total;
    if (done === undefined || !total) {
      bar.removeAttribute('value');
      for (const key of ['done', 'total', 'rate']) delete phase.dataset[key];
      phase.textContent = `${runName}: ${'message' in p ? p.message : title}`;
      return;
    }
    bar.max = total;
    bar.value = done;
    const rate = meters.rate(counterKey(runName, p));
    const unit = p.phase === 'train' ? 'steps' : 'pairs';
    const parts = [`${runName} — ${title}${p.phase === 'eval' ? ` ${p.language}` : ''}: ${done} / ${total} ${unit}`];
    if (p.phase === 'train') {
      parts.push(`epoch ${p.epoch.toFixed(2)}`);
      if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
      if (p.tokensPerSecond !== undefined) parts.push(`${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`);
    }
    if (rate !== null) parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`, `about ${formatDuration((total - done) / rate)} left`);
    phase.textContent = parts.join(' · ');
    // The state tests and assistive tools read, apart from the wording.
    phase.dataset.done = String(done);
    phase.dataset.total = String(total);
    if (rate !== null) phase.dataset.rate = rate.toFixed(3);
    else delete phase.dataset.rate;
  }, 250);

  return {
    begin(stopJob) {
      stop = stopJob;
      latest = null;
      meters.clear();
      jobRuns = [];
      logList.replaceChildren();
      stopButton.disabled = false;
      bar.value = 0;
      phase.textContent = 'Starting the training worker…';
      setStatus(status, 'working', 'Training…');
      redraw();
    },
    log(message) {
      logList.append(el('li', {}, message));
      while (logList.children.length > 200) logList.firstElementChild!.remove();
      phase.textContent = message;
    },
    progress(runName, p) {
      const done = p.phase === 'train' ? p.step : p.done;
      if (done !== undefined) meters.add(counterKey(runName, p), done);
      latest = { runName, p };
      showProgress();
    },
    end({ state, message }) {
      stop = null;
      latest = null;
      stopButton.disabled = true;
      bar.max = 1;
      bar.value = state === 'error' ? 0 : 1;
      setStatus(status, state, message);
      phase.textContent = state === 'error' ? 'Failed' : 'Done';
      redraw();
    },
    trackRun(run) {
      if (!jobRuns.includes(run.runId)) jobRuns.push(run.runId);
      redraw();
    },
  };
}
