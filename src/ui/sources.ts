// Where the page gets a run's model and data: Hub ids go through the Hub (or the endpoint given); names
// starting with ./ or / are folders and files the app itself serves (the embedded offline demo); names starting
// with local: are files the user picked in the page (blob: URLs).
import type { RunConfig } from '../config/run-config.ts';
import { hubFiles, resolveUrl } from '../hub/files.ts';
import type { ModelFiles } from '../model/files.ts';
import { fileUrlMapFiles, urlFiles } from '../hub/url-files.ts';
import type { DataSource, ModelSource, TrainJob } from '../train/job.ts';
import { hubToken } from './hub-token.ts';
import { isLocalName, localDataFile, localModelUrls, notPickedError } from './local-files.ts';

export const isAppPath = (name: string) => name.startsWith('./') || name.startsWith('/');

/** Absolute, so the training worker (whose base URL is its script's) resolves it the same way. */
export const appUrl = (path: string) => new URL(path, document.baseURI).href;

function pickedModelUrls(name: string): Record<string, string> {
  const urls = localModelUrls(name);
  if (!urls) throw notPickedError(name);
  return urls;
}

export function modelSource(name: string, config: RunConfig): ModelSource {
  if (isLocalName(name)) return { name, endpoint: config.hubEndpoint, repo: name, revision: config.revision, fileUrls: pickedModelUrls(name) };
  return isAppPath(name)
    ? { name, endpoint: config.hubEndpoint, repo: name, revision: config.revision, url: appUrl(name) }
    : { name, endpoint: config.hubEndpoint, repo: name, revision: config.revision };
}

export function modelFiles(name: string, config: RunConfig): ModelFiles {
  if (isLocalName(name)) return fileUrlMapFiles(pickedModelUrls(name), name);
  return isAppPath(name) ? urlFiles(appUrl(name), name) : hubFiles({ endpoint: config.hubEndpoint, repo: name, revision: config.revision, token: hubToken() });
}

/** The URL a model file is fetched from. */
export function modelFileUrl(name: string, config: RunConfig, file: string): string {
  if (isLocalName(name)) return pickedModelUrls(name)[file] ?? `${name}/${file}`;
  return isAppPath(name) ? `${appUrl(name).replace(/\/+$/, '')}/${file}` : resolveUrl({ endpoint: config.hubEndpoint, repo: name, revision: config.revision }, file);
}

function dataSource(file: string | undefined, language: string, split: 'train' | 'validation'): DataSource {
  if (!file) return { kind: 'xnli', language, split };
  if (isLocalName(file)) {
    const picked = localDataFile(file);
    if (!picked) throw notPickedError(file);
    return { kind: 'url', url: picked.url, name: picked.fileName };
  }
  return { kind: 'url', url: isAppPath(file) ? appUrl(file) : file, name: file.split('/').slice(-3).join('/') };
}

export function trainJob(config: RunConfig, environment: Record<string, string>): TrainJob {
  return {
    config,
    models: config.modelNames.map((name) => modelSource(name, config)),
    train: dataSource(config.trainFile, 'en', 'train'),
    eval: Object.fromEntries(config.evalLanguages.map((language) => [language, dataSource(config.evalFiles[language], language, 'validation')])),
    environment,
    token: hubToken(),
  };
}
