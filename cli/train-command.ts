import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { formatDuration } from '../src/format.ts';
import { parseTrainArgs, TRAIN_FLAGS, UsageError as ConfigUsageError } from '../src/config/train-args.ts';
import { validateRunConfig, type RunConfig } from '../src/config/run-config.ts';
import { SETTINGS, usageLines } from '../src/config/settings.ts';
import { DEMO_LANGUAGES, DEMO_TRAINING } from '../src/config/url-query.ts';
import { describeActivity } from '../src/train/activity.ts';
import type { DataSource, ModelSource, TrainJob } from '../src/train/job.ts';
import type { MetricPoint, RunRecord } from '../src/train/run-record.ts';
import type { TrainEvent } from '../src/train/runner-training.ts';
import type { JobProgress } from '../src/train/events.ts';
import { describeBackend } from '../src/backend/types.ts';
import { ensureBuiltApp, PROJECT_ROOT } from './app-build.ts';
import { UsageError, oneLine } from './errors.ts';
import { admitToAppServer, launchCliBrowser, startAppServer, type AppServer } from './session.ts';
import { resolveModelSource } from './model-source.ts';
import { runSinks, type RunSink } from './run-sinks.ts';
import { findJobToResume, refuseUnfinishedJob, takeResumeFlag } from './job-resume.ts';
import { sampleChildMemory, type MemoryPeak } from './process-tree.ts';
import type { JobResumeRequest } from '../src/train/worker-protocol.ts';

export const TRAIN_USAGE = `Usage: xnli-train <fine-tune|feature-extraction> [options]
       xnli-train            (no arguments: the embedded offline demo)

Trains sequence classifiers on English XNLI (or a local file) and evaluates them on other languages, with the
reference trainer's semantics, running the app's own training code in headless Chromium.

The reference's flags (same names, same defaults):
${usageLines(SETTINGS.filter((s) => s.reference))}
Ours:
${usageLines(SETTINGS.filter((s) => !s.reference && !s.positional))}
  --resume-from-checkpoint [PATH] continue the job in --output-dir: finished models are skipped, an interrupted
                                  run goes on from its last complete checkpoint (or from PATH, a checkpoint-N
                                  folder), the other models train after it; the settings must be the same
  --verbose                       also print the browser's console errors
  --help                          show this help

The Hugging Face token for gated or private repositories is read from $HF_TOKEN.
Ctrl-C stops after the current step and saves a checkpoint; a second Ctrl-C quits at once. Either way, or after a
crash, the same command with --resume-from-checkpoint goes on where the job stopped.
Exit codes: 0 done, 1 runtime failure, 2 usage error.`;

/** The embedded offline demo: a tiny model and a synthetic six-language sample shipped in public/demo. */
export function demoArgs(): string[] {
  const demo = join(PROJECT_ROOT, 'public', 'demo');
  return [
    'fine-tune', '--model-names', join(demo, 'model'),
    '--train-file', join(demo, 'xnli', 'en', 'train.parquet'),
    ...DEMO_LANGUAGES.flatMap((lang) => ['--eval-file', `${lang}=${join(demo, 'xnli', lang, 'validation.parquet')}`]),
    '--num-train-batches', String(DEMO_TRAINING.numTrainExamples),
    '--num-train-epochs', String(DEMO_TRAINING.numTrainEpochs), '--batch-size', String(DEMO_TRAINING.batchSize),
    '--learning-rate', String(DEMO_TRAINING.learningRate), '--eval-steps', String(DEMO_TRAINING.evalSteps),
    '--logging-steps', String(DEMO_TRAINING.loggingSteps), '--save-steps', String(DEMO_TRAINING.saveSteps),
    '--output-dir', 'logs/demo',
  ];
}

function fileRoute(path: string, what: string, files: Record<string, string>): DataSource {
  const absolute = resolve(path);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new UsageError(`${what} ${path} does not exist`);
  const route = `/__files/${Object.keys(files).length}/${encodeURIComponent(basename(absolute))}`;
  files[route] = absolute;
  return { kind: 'url', url: route, name: basename(absolute) };
}

/** Model and data sources as the page sees them: local ones become routes of the CLI's own server. */
function planSources(config: RunConfig) {
  const repoFolders: Record<string, string> = {};
  const files: Record<string, string> = {};
  const models = config.modelNames.map((name) => {
    const source = resolveModelSource(name);
    if (source.kind === 'folder') repoFolders[source.repo] = source.folder;
    return { name, source };
  });
  const train: DataSource = config.trainFile ? fileRoute(config.trainFile, '--train-file', files) : { kind: 'xnli', language: 'en', split: 'train' };
  const evalSources: Record<string, DataSource> = {};
  for (const language of config.evalLanguages) {
    const file = config.evalFiles[language];
    evalSources[language] = file ? fileRoute(file, `--eval-file ${language}=`, files) : { kind: 'xnli', language, split: 'validation' };
  }
  return { models, repoFolders, files, train, evalSources };
}

export function formatProgress(run: string, p: JobProgress): string | null {
  if (p.phase === 'train') {
    const parts = [`${run}: step ${p.step}/${p.totalSteps}`, `epoch ${p.epoch.toFixed(2)}`];
    if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
    if (p.lr !== undefined) parts.push(`lr ${p.lr.toExponential(2)}`);
    if (p.tokensPerSecond !== undefined) parts.push(`${Math.round(p.tokensPerSecond)} tok/s`);
    if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
    return p.loss !== undefined ? parts.join(' | ') : null;
  }
  if (p.phase === 'eval') return p.done === p.total ? `${run}: evaluated ${p.language} (${p.total} pairs) at step ${p.step}` : null;
  if (!('message' in p)) return null;
  return p.done === undefined || p.done === 0 ? `${run}: ${p.message}` : null;
}

/** The one line for a browser that crashed: what it was doing, how much memory it held, what to do. */
export function crashReport(activity: string, peak: MemoryPeak | null): string {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  const memory = peak ? `; the browser was using up to ${gib(peak.totalBytes)} (its largest process ${gib(peak.largestBytes)})` : '';
  return `the browser crashed while ${activity}${memory}, most likely out of memory: try feature-extraction, a smaller --batch-size or --max-length, or a GPU; the same command with --resume-from-checkpoint continues from the last complete checkpoint`;
}

/** Models × languages accuracy, as the run ends. */
export function accuracyTable(runs: RunRecord[], languages: string[]): string {
  const latest = (run: RunRecord, key: string) => run.metrics.filter((m) => m.key === key).sort((a, b) => a.step - b.step).at(-1)?.value;
  const header = ['run', ...languages];
  const rows = runs.map((run) => [`${run.runName}${run.status === 'FINISHED' ? '' : ` (${run.status.toLowerCase()})`}`, ...languages.map((l) => {
    const value = latest(run, `eval_${l}_accuracy`);
    return value === undefined ? '-' : (100 * value).toFixed(1);
  })]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return ['accuracy (%) on each evaluation language', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The runs of this job, kept current in every sink as they are logged, one write at a time. */
class RunJournal {
  readonly runs = new Map<string, RunRecord>();
  private writes: Promise<void> = Promise.resolve();
  /** Runs being continued, history cut back to their checkpoint: nothing is rewritten until the job takes them up. */
  private readonly continued = new Map<string, { record: RunRecord; step: number }>();
  constructor(private readonly sinks: RunSink[]) {}

  /** A resumed job: its finished runs (listed in the summary) and the runs it continues from a step. */
  resumeFrom(finished: RunRecord[], continued: Array<{ run: RunRecord; step: number }>): void {
    for (const run of finished) this.runs.set(run.runId, run);
    for (const { run, step } of continued) this.continued.set(run.runId, { record: run, step });
  }

  update(run: RunRecord): Promise<void> {
    const resumed = !this.runs.has(run.runId) ? this.continued.get(run.runId) : undefined;
    const record = { ...run, metrics: this.runs.get(run.runId)?.metrics ?? resumed?.record.metrics ?? run.metrics };
    this.runs.set(run.runId, record);
    if (resumed) {
      return this.enqueue(async (sink) => {
        await sink.resume?.(record, resumed.step);
        await sink.update(record);
      });
    }
    return this.enqueue((sink) => sink.update(record));
  }

  /** Resolves once everything logged so far is written (a checkpoint is committed only after its metrics). */
  flushed(): Promise<void> {
    return this.writes;
  }

  addMetrics(runId: string, points: MetricPoint[]): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return Promise.resolve();
    run.metrics.push(...points);
    return this.enqueue((sink) => sink.metrics(run, points));
  }

  /** Marks runs the browser never ended (it crashed, or the job failed) as FAILED with an end time. */
  async failUnfinished(reason: string): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.status === 'RUNNING') await this.update({ ...run, status: 'FAILED', endTime: Date.now(), error: reason });
    }
  }

  async close(timeoutMs: number): Promise<void> {
    await this.writes;
    for (const sink of this.sinks) await sink.close(timeoutMs);
  }

  private enqueue(write: (sink: RunSink) => Promise<void>): Promise<void> {
    this.writes = this.writes.then(async () => {
      for (const sink of this.sinks) await write(sink);
    });
    return this.writes;
  }
}

export async function runTrain(commandLine: readonly string[]): Promise<void> {
  if (commandLine.includes('--help') || commandLine.includes('-h')) {
    process.stdout.write(`${TRAIN_USAGE}\n`);
    return;
  }
  const { argv, resume: resumeFlag } = takeResumeFlag(commandLine);
  const verbose = argv.includes('--verbose');
  const args = argv.length === 0 ? demoArgs() : argv.filter((a) => a !== '--verbose');
  let config: RunConfig;
  try {
    config = parseTrainArgs(args, process.env);
  } catch (error) {
    if (error instanceof ConfigUsageError) throw new UsageError(error.message);
    throw error;
  }
  const problems = validateRunConfig(config);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (argv.length === 0) log('no arguments: training the embedded offline demo (a tiny model on a synthetic sample; see the README)');

  const sources = planSources(config);
  const outputDir = resolve(config.outputDir);
  if (resumeFlag === null) await refuseUnfinishedJob(outputDir, config);
  await mkdir(outputDir, { recursive: true });
  let tracking: ReturnType<typeof runSinks>;
  try {
    tracking = runSinks(outputDir, config.mlflowTrackingUri, (line) => log(`warning: ${line}`));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { sinks, describe } = tracking;
  const journal = new RunJournal(sinks);
  const dist = await ensureBuiltApp(log);

  let server: AppServer | null = null;
  let browser: BrowserContext | null = null;
  let interrupts = 0;
  let page: Page | null = null;
  /** What the job was doing last (for a crash report), and the browser's memory, sampled while it runs. */
  let activity = 'starting';
  let crashed = false;
  const memory = sampleChildMemory();
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    log('stopping after the current step (Ctrl-C again to quit at once)...');
    void page?.evaluate(() => window.xnliRunner.stopTraining()).catch(() => {});
  };
  process.on('SIGINT', onInterrupt);
  try {
    server = await startAppServer({
      staticRoot: dist, repoFolders: sources.repoFolders, files: sources.files, outputRoot: outputDir,
      beforeCommit: () => journal.flushed(),
    }, (line) => process.stderr.write(`warning: ${line}\n`));
    const outputUrl = `${server.url}/__output`;
    let resume: JobResumeRequest | undefined;
    if (resumeFlag !== null) {
      const found = await findJobToResume(outputDir, config, resumeFlag === true ? null : resumeFlag, (folder) => `${outputUrl}/${relative(outputDir, folder).split(sep).join('/')}`);
      for (const line of found.plan) log(`resume: ${line}`);
      journal.resumeFrom(found.finished, Object.values(found.request.runs));
      resume = found.request;
    }
    const { openRunnerPage } = await import('./browser.ts');
    browser = await launchCliBrowser((line) => process.stderr.write(`warning: ${line}\n`));
    await admitToAppServer(browser, server);
    let failure: string | null = null;
    const events: Promise<void>[] = [];
    page = await openRunnerPage(browser, server.url, { onProgress: log, onConsoleError: verbose ? log : undefined });
    page.on('crash', () => (crashed = true));
    await page.exposeFunction('xnliTrainEvent', (event: TrainEvent) => {
      switch (event.type) {
        case 'backend':
          log(`backend: ${describeBackend(event.info)}`);
          break;
        case 'log':
          log(event.message);
          break;
        case 'progress': {
          activity = describeActivity(event.run, event.progress) ?? activity;
          const line = formatProgress(event.run, event.progress);
          if (line) log(line);
          break;
        }
        case 'run':
          events.push(journal.update(event.run));
          if (event.run.status === 'FAILED') failure = event.run.error ?? 'failed';
          break;
        case 'metrics': {
          const points = event.points;
          events.push(journal.addMetrics(event.runId, points));
          const run = journal.runs.get(event.runId);
          const accuracies = points.filter((p) => /^eval_.+_accuracy$/.test(p.key));
          if (run && accuracies.length > 0) {
            log(`${run.runName}: step ${accuracies[0].step} accuracy ${accuracies.map((p) => `${p.key.slice(5, -9)} ${(100 * p.value).toFixed(1)}%`).join(', ')}`);
          }
          break;
        }
        case 'checkpoint':
          log(`${event.runName}: saved ${join(config.outputDir, event.path)}`);
          break;
        case 'device-lost':
          log(`the WebGPU device was lost (${event.message}); the run stops and can be resumed from its last checkpoint`);
          break;
      }
    });
    const job: TrainJob = {
      config,
      models: sources.models.map(({ name, source }): ModelSource => (source.kind === 'folder'
        ? { name, endpoint: server!.url, repo: source.repo, revision: 'main' }
        : { name, endpoint: config.hubEndpoint, repo: source.repo, revision: config.revision })),
      train: sources.train,
      eval: sources.evalSources,
      token: process.env.HF_TOKEN || undefined,
      environment: {},
    };
    try {
      await page.evaluate(
        ({ job, backend, outputUrl, resume }) => window.xnliRunner.train(job, backend, outputUrl, resume),
        { job, backend: config.backend === 'auto' ? null : config.backend, outputUrl, resume },
      );
    } catch (error) {
      failure = crashed || /Target crashed|Page crashed/.test(oneLine(error)) ? crashReport(activity, memory?.peak() ?? null) : oneLine(error);
    }
    await Promise.all(events);
    if (failure) await journal.failUnfinished(failure);
    await journal.close(10_000);
    const runs = [...journal.runs.values()];
    if (runs.length > 0) process.stdout.write(`${accuracyTable(runs, config.evalLanguages)}\n`);
    log(`runs tracked in ${describe}; run JSON in ${join(config.outputDir, 'runs')}`);
    if (failure) throw new Error(failure);
  } finally {
    memory?.stop();
    process.off('SIGINT', onInterrupt);
    await browser?.close().catch(() => {});
    await server?.close();
  }
}

export { TRAIN_FLAGS };
