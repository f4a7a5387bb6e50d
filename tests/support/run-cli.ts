import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
