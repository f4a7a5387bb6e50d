// `--resume-from-checkpoint`: what an interrupted job left in its output folder, and how to go on from it. The
// run JSON (`<output-dir>/runs`) says how each model's last run stands; its checkpoints
// (`<output-dir>/checkpoints/<run name>/checkpoint-N`, committed folders only) say where it can continue.
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { experimentName, type RunConfig } from '../src/config/run-config.ts';
import { importRunJson } from '../src/tracking/run-json.ts';
import { historyAtCheckpoint } from '../src/train/resume.ts';
import type { RunRecord } from '../src/train/run-record.ts';
import type { JobResumeRequest } from '../src/train/worker-protocol.ts';
import { UsageError } from './errors.ts';

export const RESUME_FLAG = '--resume-from-checkpoint';

/** The flag and its optional PATH taken out of the command line: null without it, true without PATH. */
export function takeResumeFlag(argv: readonly string[]): { argv: string[]; resume: null | true | string } {
  const rest: string[] = [];
  let resume: null | true | string = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === RESUME_FLAG) {
      const next = argv[i + 1];
      resume = next !== undefined && !next.startsWith('--') ? argv[++i] : true;
    } else if (arg.startsWith(`${RESUME_FLAG}=`)) {
      resume = arg.slice(RESUME_FLAG.length + 1);
    } else {
      rest.push(arg);
    }
  }
  return { argv: rest, resume };
}

interface Checkpoint {
  step: number;
  folder: string;
}

/** A job found in the output folder, ready to continue. */
export interface FoundJob {
  request: JobResumeRequest;
  /** Records of the finished runs (the summary table lists them). */
  finished: RunRecord[];
  /** One line per model: what resuming does with it. */
  plan: string[];
}

async function readRuns(outputDir: string): Promise<RunRecord[]> {
  const dir = join(outputDir, 'runs');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  const runs: RunRecord[] = [];
  for (const name of names) {
    try {
      runs.push(importRunJson(await readFile(join(dir, name), 'utf8')));
    } catch (error) {
      throw new UsageError(`${join(dir, name)} is not a readable run JSON (${(error as Error).message}); move it away to resume`);
    }
  }
  return runs;
}

/** The latest run of each of the command's models with its technique, by model name. */
function latestRuns(runs: RunRecord[], config: RunConfig): Map<string, RunRecord> {
  const latest = new Map<string, RunRecord>();
  for (const run of runs) {
    const model = run.tags.model_name;
    if (!config.modelNames.includes(model) || run.experimentName !== experimentName(config.technique)) continue;
    const seen = latest.get(model);
    if (!seen || run.startTime > seen.startTime) latest.set(model, run);
  }
  return latest;
}

async function trainerState(folder: string): Promise<{ global_step?: number; run_id?: string } | null> {
  try {
    return JSON.parse(await readFile(join(folder, 'trainer_state.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The run's committed checkpoints, newest first. Folders still named `.partial` are what a kill mid-write left:
 * they are removed.
 */
async function checkpointsOf(outputDir: string, run: RunRecord): Promise<Checkpoint[]> {
  const dir = join(outputDir, 'checkpoints', run.runName);
  const found: Checkpoint[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith('.partial')) {
      await rm(join(dir, name), { recursive: true, force: true });
      continue;
    }
    const match = /^checkpoint-(\d+)$/.exec(name);
    if (!match) continue;
    const state = await trainerState(join(dir, name));
    if (state?.run_id === run.runId && state.global_step === Number(match[1])) found.push({ step: Number(match[1]), folder: join(dir, name) });
  }
  return found.sort((a, b) => b.step - a.step);
}

const statusWord = (run: RunRecord) => (run.status === 'RUNNING' ? 'interrupted' : run.status.toLowerCase());

/**
 * Refuses to start over in an output folder holding an unfinished run of one of the command's models: its run
 * record and checkpoints would sit beside the new run's, and the user most likely meant to continue it.
 */
export async function refuseUnfinishedJob(outputDir: string, config: RunConfig): Promise<void> {
  for (const [model, run] of latestRuns(await readRuns(outputDir), config)) {
    if (run.status === 'FINISHED') continue;
    throw new UsageError(
      `${config.outputDir} holds an unfinished run of ${model} (${run.runName}, ${statusWord(run)}): add ${RESUME_FLAG} to continue the job, or choose another --output-dir`,
    );
  }
}

/**
 * The job of this command line in `outputDir`: finished models are skipped, an unfinished run continues from its
 * last complete checkpoint (or from `checkpointPath`, a checkpoint-N folder of one of its runs), from the start
 * when it has none; models without a run train as new.
 */
export async function findJobToResume(outputDir: string, config: RunConfig, checkpointPath: string | null, urlOf: (folder: string) => string): Promise<FoundJob> {
  const runs = await readRuns(outputDir);
  const latest = latestRuns(runs, config);
  let chosen: { run: RunRecord; checkpoint: Checkpoint } | null = null;
  if (checkpointPath) chosen = await checkpointAt(resolve(checkpointPath), runs, config);

  const found: FoundJob = { request: { finished: [], runs: {} }, finished: [], plan: [] };
  for (const model of config.modelNames) {
    const run = chosen?.run.tags.model_name === model ? chosen.run : latest.get(model);
    if (!run) {
      found.plan.push(`${model}: no run in ${config.outputDir} yet; it trains from the start`);
      continue;
    }
    if (run.status === 'FINISHED') {
      found.request.finished.push(model);
      found.finished.push(run);
      found.plan.push(`${model}: ${run.runName} finished; not trained again`);
      continue;
    }
    const checkpoint = chosen?.run === run ? chosen.checkpoint : (await checkpointsOf(outputDir, run))[0];
    const step = checkpoint?.step ?? 0;
    const record: RunRecord = { ...run, metrics: historyAtCheckpoint(run.metrics, step) };
    found.request.runs[model] = { run: record, step, ...(checkpoint ? { checkpointUrl: urlOf(checkpoint.folder) } : {}) };
    found.plan.push(checkpoint
      ? `${model}: ${run.runName} (${statusWord(run)}) continues from checkpoint-${step}`
      : `${model}: ${run.runName} (${statusWord(run)}) stopped before its first checkpoint; it trains again from the start, as the same run`);
  }
  return found;
}

/** The run a checkpoint-N folder belongs to, found in the output folder's run JSON. */
async function checkpointAt(folder: string, runs: RunRecord[], config: RunConfig): Promise<{ run: RunRecord; checkpoint: Checkpoint }> {
  const state = await trainerState(folder);
  if (!state || !Number.isInteger(state.global_step) || typeof state.run_id !== 'string') {
    throw new UsageError(`${folder} is not a checkpoint this tool wrote: it has no readable trainer_state.json with global_step and run_id`);
  }
  const run = runs.find((r) => r.runId === state.run_id);
  if (!run) throw new UsageError(`${folder} belongs to run ${state.run_id}, which is not in ${join(config.outputDir, 'runs')}: pass the --output-dir it was trained with`);
  if (!config.modelNames.includes(run.tags.model_name)) {
    throw new UsageError(`${folder} is a checkpoint of ${run.tags.model_name}, which is not one of --model-names (${config.modelNames.join(' ')})`);
  }
  if (run.experimentName !== experimentName(config.technique)) {
    throw new UsageError(`${folder} is a checkpoint of a ${run.params.technique ?? run.experimentName} run, not ${config.technique}`);
  }
  if (run.status === 'FINISHED') throw new UsageError(`${folder} is a checkpoint of ${run.runName}, which finished: there is nothing to continue`);
  const expected = join(resolve(config.outputDir), 'checkpoints', run.runName);
  if (dirname(folder) !== expected) throw new UsageError(`${folder} is not a checkpoint folder of ${expected}: resume from the output folder the run wrote`);
  return { run, checkpoint: { step: state.global_step as number, folder } };
}
