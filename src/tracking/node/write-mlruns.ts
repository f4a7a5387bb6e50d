/**
 * Node only (the CLI): writes runs into `<output-dir>/mlruns`, joining an existing store.
 * Experiments already there are reused by name; a run already there is rewritten in full,
 * so calling this again as a run grows (or ends) keeps the store current.
 */
import { mkdir, readdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunRecord } from '../../train/run-record.ts';
import { experimentsInStore, mlrunsTree, type ExperimentInfo, type MlrunsTree } from '../mlflow-file-store.ts';

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The experiments of the store at `mlrunsDir` (none when it does not exist yet). */
export async function readStoreExperiments(mlrunsDir: string): Promise<ExperimentInfo[]> {
  if (!(await isDirectory(mlrunsDir))) return [];
  const files = new Map<string, string>();
  for (const name of await readdir(mlrunsDir)) {
    if (name === '.trash' || name === 'models') continue;
    const meta = join(mlrunsDir, name, 'meta.yaml');
    try {
      files.set(`${name}/meta.yaml`, await readFile(meta, 'utf8'));
    } catch {
      // Not an experiment folder (MLflow skips those too).
    }
  }
  return experimentsInStore(files);
}

/** `file://` URI of a local folder, as MLflow's path_to_local_file_uri makes it. */
export function localFileUri(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

export async function writeMlruns(mlrunsDir: string, runs: RunRecord[], options: { maxParamValueLength?: number } = {}): Promise<MlrunsTree> {
  const root = resolve(mlrunsDir);
  const storeExists = await isDirectory(root);
  const existing = await readStoreExperiments(root);
  const tree = mlrunsTree(runs, {
    rootUri: localFileUri(root),
    existingExperiments: existing,
    includeDefaultExperiment: !storeExists,
    maxParamValueLength: options.maxParamValueLength,
  });
  for (const run of runs) {
    const experiment = tree.experiments.get(run.experimentName)!;
    await rm(join(root, experiment.experimentId, run.runId), { recursive: true, force: true });
  }
  for (const entry of tree.entries) {
    const path = join(root, ...entry.path.split('/'));
    if (entry.kind === 'dir') await mkdir(path, { recursive: true });
    else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, entry.contents, 'utf8');
    }
  }
  return tree;
}
