import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** Where the page loads the model from: a Hub(-like) endpoint, or a local folder served by the CLI's own server. */
export type ModelSource = { kind: 'hub'; repo: string } | { kind: 'folder'; folder: string; repo: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** A folder path if it exists (or looks like a path), else a Hub model id such as `FacebookAI/xlm-roberta-base`. */
export function resolveModelSource(model: string): ModelSource {
  const looksLikePath = isAbsolute(model) || model.startsWith('.') || model.startsWith('~') || model.includes('\\');
  if (existsSync(model)) {
    const folder = resolve(model);
    if (!statSync(folder).isDirectory()) throw new UsageError(`--model ${model} is a file: give a model folder (with config.json) or a Hub model id`);
    const name = basename(folder).replace(/[^\w.-]/g, '_') || 'model';
    return { kind: 'folder', folder, repo: `local/${name}` };
  }
  if (looksLikePath) throw new Error(`model folder ${model} does not exist`);
  if (!HUB_ID.test(model)) throw new UsageError(`--model ${model} is neither an existing folder nor a Hub model id like "org/name"`);
  return { kind: 'hub', repo: model };
}
