// The live view: the phase (download, tokenising, training, evaluation) with a progress bar, its rate and a
// smoothed time left, the Stop button, and the curves a class watches: training loss and accuracy per language
// (in %, against the 33.3% of chance). The learning rate and the log are one click away.
import { languageLabel } from '../data/xnli-facts.ts';
import type { JobProgress } from '../train/events.ts';
import { metricHistory, type RunRecord } from '../train/run-record.ts';
import { lineChart, type Series } from './charts.ts';
import { el, setStatus } from './dom.ts';
import { throttled } from './schedule.ts';
import type { RunStore } from './run-store.ts';
import { formatDuration } from '../format.ts';

const PHASE_TITLES: Record<JobProgress['phase'], string> = {
  load: 'Loading the model',
  data: 'Downloading data',
  tokenize: 'Tokenising',
  save: 'Saving a checkpoint',
  train: 'Training',
  eval: 'Evaluating',
};

/** Three labels: a classifier that guesses is right a third of the time. */
export const CHANCE_ACCURACY = 1 / 3;

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

/**
 * A time left that does not jump about with each reading: it follows new estimates a quarter of the way, and
 * counts down by the time that passed in between.
 */
export class SmoothedTimeLeft {
  private value: number | null = null;
  private at = 0;
  update(estimateSeconds: number, now = performance.now()): number {
    if (this.value === null) this.value = estimateSeconds;
    else {
      const counted = Math.max(0, this.value - (now - this.at) / 1000);
      this.value = counted + 0.25 * (estimateSeconds - counted);
    }
    this.at = now;
    return this.value;
  }
  reset(): void {
    this.value = null;
  }
}

/** The counter a progress report advances: a run's steps, or one evaluation language's pairs. */
function counterKey(runName: string, p: JobProgress): string {
  const total = p.phase === 'train' ? p.totalSteps : p.total;
  return `${runName}/${p.phase}/${p.phase === 'eval' ? p.language : ''}/${total}`;
}

export interface TrainingPanel {
  /** A job starts (or resumes): clear the view, enable Stop, move focus here. */
  begin(stop: () => void, title?: string): void;
  log(message: string): void;
  progress(runName: string, progress: JobProgress): void;
  /** The job ended (done, stopped or failed). */
  end(outcome: { state: 'ready' | 'warning' | 'error'; message: string }): void;
  /** Marks runs of the current job, whose curves the live charts show. */
  trackRun(run: RunRecord): void;
}

const accuracyKeys = (run: RunRecord) => [...new Set(run.metrics.map((p) => p.key).filter((k) => /^eval_.+_accuracy$/.test(k)))];

export function mountTrainingPanel(panel: HTMLElement, store: RunStore): TrainingPanel {
  const heading = panel.querySelector<HTMLElement>('h2');
  const status = el('p', { id: 'training-status', role: 'status', 'data-state': 'ready' }, 'No run yet: choose a set-up and press Start training.');
  const bar = el('progress', { id: 'training-progress', max: '1', value: '0', 'aria-labelledby': 'training-phase' });
  const phase = el('p', { id: 'training-phase', class: 'phase' }, 'Idle');
  const pace = el('p', { id: 'training-pace', class: 'phase' }, '\u00a0');
  const stopButton = el('button', { type: 'button', id: 'stop-training', disabled: '' }, 'Stop');
  const logList = el('ol', { id: 'training-log', 'aria-label': 'Training log' });
  const lossChart = lineChart('chart-loss', 'Training loss', 'step', 'loss', { yMin: 0 });
  const accuracyChart = lineChart('chart-accuracy', 'Accuracy per language', 'step', 'accuracy (%)', { yMin: 0, yMax: 100, ySuffix: '%' });
  const lrChart = lineChart('chart-lr', 'Learning rate', 'step', 'learning rate', { yMin: 0 });
  panel.append(
    status,
    el('div', { class: 'progress-row' }, bar, stopButton),
    phase,
    pace,
    el('div', { class: 'charts' }, lossChart.figure, accuracyChart.figure),
    el('details', { id: 'training-more' }, el('summary', {}, 'Learning rate and log'), lrChart.figure, logList),
  );

  let stop: (() => void) | null = null;
  let jobRuns: string[] = [];
  const meters = new RateMeters();
  const timeLeft = new SmoothedTimeLeft();
  let timeLeftKey = '';
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
    let lastStep = 0;
    for (const run of runs) {
      lastStep = Math.max(lastStep, Number(run.params.total_train_steps ?? 0));
      for (const key of accuracyKeys(run)) {
        const language = languageLabel(key.slice(5, -9));
        accuracy.push({ label: runs.length > 1 ? `${run.runName} ${language}` : language, points: metricHistory(run, key).map((p) => ({ x: p.step, y: 100 * p.value })) });
      }
    }
    if (lastStep > 0) accuracy.push({ label: 'chance (33.3%)', reference: true, points: [{ x: 0, y: 100 * CHANCE_ACCURACY }, { x: lastStep, y: 100 * CHANCE_ACCURACY }] });
    accuracyChart.set(accuracy);
    const current = runs.at(-1);
    const evaluated = accuracy.some((s) => !s.reference && s.points.length > 0);
    if (!current || evaluated) accuracyChart.note(!current && stop ? 'Waiting for the run to start…' : '');
    else {
      const every = Number(current.params.eval_steps ?? 0);
      const total = Number(current.params.total_train_steps ?? 0);
      const first = every > 0 && total > 0 ? Math.min(every, total) : total;
      accuracyChart.note(`Waiting for the first evaluation, at step ${first}…`);
    }
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
      pace.textContent = '\u00a0';
      return;
    }
    bar.max = total;
    bar.value = done;
    const key = counterKey(runName, p);
    const rate = meters.rate(key);
    const unit = p.phase === 'train' ? 'steps' : 'pairs';
    // Counts padded to the total's width (with tabular digits in the CSS), so the line keeps its width.
    const count = `${String(done).padStart(String(total).length, '\u2007')} / ${total} ${unit}`;
    phase.textContent = `${runName} — ${title}${p.phase === 'eval' ? ` ${languageLabel(p.language ?? '')}` : ''}: ${count}`;
    const parts: string[] = [];
    if (p.phase === 'train') {
      parts.push(`epoch ${p.epoch.toFixed(2)}`);
      if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
    }
    if (rate !== null) {
      if (key !== timeLeftKey) timeLeft.reset();
      timeLeftKey = key;
      parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`, `about ${formatDuration(timeLeft.update((total - done) / rate))} left`);
    }
    if (p.phase === 'train' && p.tokensPerSecond !== undefined) parts.push(`${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`);
    pace.textContent = parts.join(' · ') || '\u00a0';
    // The state tests and assistive tools read, apart from the wording.
    phase.dataset.done = String(done);
    phase.dataset.total = String(total);
    if (rate !== null) phase.dataset.rate = rate.toFixed(3);
    else delete phase.dataset.rate;
  }, 250);

  return {
    begin(stopJob, title = 'Training…') {
      stop = stopJob;
      latest = null;
      meters.clear();
      timeLeft.reset();
      jobRuns = [];
      logList.replaceChildren();
      stopButton.disabled = false;
      bar.value = 0;
      phase.textContent = 'Starting the training worker…';
      pace.textContent = '\u00a0';
      setStatus(status, 'working', title);
      redraw();
      // The class follows what happens: the live view comes on screen, and keyboard focus with it.
      panel.scrollIntoView({ block: 'start', behavior: 'instant' as ScrollBehavior });
      heading?.focus({ preventScroll: true });
    },
    log(message) {
      logList.append(el('li', {}, message));
      while (logList.children.length > 200) logList.firstElementChild!.remove();
      if (!latest) phase.textContent = message;
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
      pace.textContent = '\u00a0';
      redraw();
    },
    trackRun(run) {
      if (!jobRuns.includes(run.runId)) jobRuns.push(run.runId);
      redraw();
    },
  };
}
