// Shared by the resume and export browser tests: the offline demo (a tiny BERT and synthetic XNLI-schema data
// in public/demo) as a training job, and pages that share one browser context, hence one storage.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startHubLikeServer, type RunningServer } from '../../cli/hub-like-server.ts';
import { DIST_DIR } from '../support/hub-server.ts';
import { REFERENCE_DEFAULTS, type RunConfig } from '../../src/config/run-config.ts';
import type { TrainJob } from '../../src/train/job.ts';
import type { RunSummary } from '../../src/store/runs.ts';

export const DEMO_MODEL = join(import.meta.dirname, '../../public/demo/model');

export const PAIRS = [
  { premise: 'The cat sleeps on the mat.', hypothesis: 'An animal is resting.' },
  { premise: 'Der Hund läuft im Park.', hypothesis: 'Der Hund schläft.' },
  { premise: 'It rains today.', hypothesis: 'The weather is dry.' },
];

/** A small evaluation set (the demo's validation sets take half a minute per evaluation on the CPU backend). */
export const SMALL_EVAL_JSONL = [...PAIRS, ...PAIRS.map((p) => ({ premise: p.hypothesis, hypothesis: p.premise }))]
  .map((pair, i) => JSON.stringify({ ...pair, label: i % 3 }))
  .join('\n');
export const SMALL_EVAL_ROUTE = '/__files/0/eval.jsonl';

/** The demo as a job: the demo model, the demo's English training sample, evaluation on SMALL_EVAL_ROUTE. */
export function demoJob(endpoint: string, overrides: Partial<RunConfig>): TrainJob {
  return {
    config: { ...REFERENCE_DEFAULTS, modelNames: ['demo/model'], evalLanguages: ['en'], learningRate: 1e-3, hubEndpoint: endpoint, ...overrides },
    models: [{ name: 'demo/model', endpoint, repo: 'demo/model', revision: 'main' }],
    train: { kind: 'url', url: `${endpoint}/demo/xnli/en/train.parquet`, name: 'en/train.parquet' },
    eval: { en: { kind: 'url', url: `${endpoint}${SMALL_EVAL_ROUTE}`, name: 'eval.jsonl' } },
    environment: {},
  };
}

/** The app and the demo model, plus the small evaluation file, from one server. */
export async function startDemoServer(): Promise<RunningServer & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'xnli-resume-'));
  await writeFile(join(dir, 'eval.jsonl'), SMALL_EVAL_JSONL);
  const server = await startHubLikeServer({ staticRoot: DIST_DIR, repoFolders: { 'demo/model': DEMO_MODEL }, files: { [SMALL_EVAL_ROUTE]: join(dir, 'eval.jsonl') } });
  return { ...server, dir, close: async () => { await server.close(); await rm(dir, { recursive: true, force: true }); } };
}

/** A runner page in `context`: pages of one context share IndexedDB, OPFS and Web Locks, like tabs of a profile. */
export async function openStorePage(context: BrowserContext, appUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${appUrl}/runner.html`);
  await page.waitForFunction(() => document.documentElement.dataset.runnerReady === 'true', null, { timeout: 30_000 });
  return page;
}

/** Waits until a run that `matches` is training and has committed a checkpoint; returns it. */
export async function waitForCheckpoint(page: Page, matches: (run: RunSummary) => boolean, timeoutMs = 120_000): Promise<RunSummary> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const runs = await page.evaluate(() => window.xnliRunner.store.list());
    const ended = runs.find((run) => matches(run) && run.checkpoints.length === 0 && run.state !== 'running');
    if (ended) throw new Error(`run ${ended.runName} ended (${ended.state}) before its first checkpoint: ${ended.error ?? 'no error'}`);
    const found = runs.find((run) => matches(run) && run.checkpoints.length > 0);
    if (found) {
      if (found.state !== 'running') throw new Error(`run ${found.runName} is ${found.state} already: make the test run longer`);
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error('no checkpoint was committed in time');
}
