import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { descendants, killAll } from '../../cli/process-tree.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/xnli-train.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `xnli-train ARGS` as a user would, with no Hub endpoint or token inherited from the environment, and
 * (unless `env` names one) a fresh browser profile and download cache, so one test's downloads are not the next's.
 */
export function xnliTrain(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const isolated = { XNLI_TRAIN_CACHE: mkdtempSync(join(tmpdir(), 'xnli-cache-')), XNLI_TRAIN_PORT: '0' };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, HF_ENDPOINT: '', HF_TOKEN: '', MLFLOW_TRACKING_URI: '', ...isolated, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!env.XNLI_TRAIN_CACHE) rmSync(isolated.XNLI_TRAIN_CACHE, { recursive: true, force: true });
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A running `xnli-train`, to be killed for real mid-way. */
export interface CliProcess {
  pid: number;
  output(): CliResult;
  /** Resolves when the process has exited (killed or not). */
  exited: Promise<CliResult>;
}

/** Starts `xnli-train ARGS` in a process group of its own, isolated as xnliTrain runs it, without waiting. */
export function startXnliTrain(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    detached: true,
    env: { ...process.env, HF_ENDPOINT: '', HF_TOKEN: '', MLFLOW_TRACKING_URI: '', XNLI_TRAIN_PORT: '0', ...env },
  });
  const result: CliResult = { code: null, stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => (result.stdout += chunk));
  child.stderr!.on('data', (chunk) => (result.stderr += chunk));
  const exited = new Promise<CliResult>((resolvePromise) => child.on('close', (code) => resolvePromise({ ...result, code })));
  return { pid: child.pid!, output: () => ({ ...result }), exited };
}

/**
 * SIGKILL to the CLI's process group and to every process under it, at once: no handler runs, nothing is cleaned
 * up, as when the machine runs out of memory or the user kills the terminal.
 */
export async function killForReal(cli: CliProcess): Promise<CliResult> {
  killAll([-cli.pid, ...descendants(cli.pid)]);
  return cli.exited;
}
