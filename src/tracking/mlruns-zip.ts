/**
 * The page's `mlruns` export and import as a zip. fflate (8 kB, no dependencies) does the zip
 * format: writing alone would fit in a STORE-only writer, but importing zips that people make
 * with their OS tools needs DEFLATE, which is not worth hand-writing.
 */
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import type { RunRecord } from '../train/run-record.ts';
import { mlrunsTree, runsFromStoreFiles, type MlrunsOptions, type MlrunsTree } from './mlflow-file-store.ts';

export interface MlrunsZipOptions extends MlrunsOptions {
  /** Modification time of the entries; fixed times make the zip reproducible. Default: now. */
  mtime?: Date;
}

/** A zip holding `mlruns/…` for the given runs (one, a selection or all). Unzip it where rootUri says. */
export function mlrunsZip(runs: RunRecord[], options: MlrunsZipOptions): { zip: Uint8Array; tree: MlrunsTree } {
  const tree = mlrunsTree(runs, options);
  const files: Zippable = {};
  for (const entry of tree.entries) {
    if (entry.kind === 'dir') files[`mlruns/${entry.path}/`] = new Uint8Array(0);
    else files[`mlruns/${entry.path}`] = strToU8(entry.contents);
  }
  return { zip: zipSync(files, { level: 6, mtime: options.mtime ?? new Date() }), tree };
}

/** Every file of a zip as text, keyed by its path relative to the `mlruns` root found inside. */
export function mlrunsFilesFromZip(zip: Uint8Array): Map<string, string> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    throw new Error(`this file is not a readable zip (${(error as Error).message}); export an mlruns zip or a run JSON and try again`);
  }
  const paths = Object.keys(entries).filter((p) => !p.endsWith('/') && !p.startsWith('__MACOSX/'));
  // The root is the folder two levels above an experiment's meta.yaml; zips made by hand may hold
  // the mlruns folder itself, its contents, or a folder above it.
  const experimentMetas = paths
    .filter((p) => /(^|\/)[^/]+\/meta\.yaml$/.test(p))
    .filter((p) => /^name: /m.test(strFromU8(entries[p])) && /^artifact_location: /m.test(strFromU8(entries[p])))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  if (experimentMetas.length === 0) throw new Error('no MLflow experiment (a <id>/meta.yaml with a name) in this zip: is it an mlruns export?');
  const root = experimentMetas[0].split('/').slice(0, -2).join('/');
  const prefix = root ? `${root}/` : '';
  const files = new Map<string, string>();
  for (const path of paths) if (path.startsWith(prefix)) files.set(path.slice(prefix.length), strFromU8(entries[path]));
  return files;
}

/** The runs of an exported (or hand-zipped) mlruns folder. */
export function importMlrunsZip(zip: Uint8Array): RunRecord[] {
  return runsFromStoreFiles(mlrunsFilesFromZip(zip));
}
