// "Before training": each file the run will download with its size (as the server reports it), and the
// GPU memory the run needs against what this device allows.
import type { BackendInfo } from '../backend/types.ts';
import type { RunConfig } from '../config/run-config.ts';
import { cachedWeightBytes } from '../hub/files.ts';
import { fetchJson } from '../model/files.ts';
import { listXnliParquet } from '../hub/xnli.ts';
import { parseEncoderConfig } from '../model/config.ts';
import { el, setStatus } from './dom.ts';
import { formatBytes } from '../format.ts';
import { estimateTrainingMemory, memoryWarnings, wasmFitProblem } from '../model/memory-estimate.ts';
import { softwareGpuReason } from '../backend/types.ts';
import { appUrl, isAppPath, modelFiles, modelFileUrl } from './sources.ts';
import { hubAuthHeaders, hubToken } from './hub-token.ts';
import { isLocalName, localDataFile, localFileSize } from './local-files.ts';
import type { SourceState } from './setup-panel.ts';

/** XNLI pairs are short: the 95th percentile is under 128 tokens for the reference models' tokenizers. */
export const ASSUMED_P95_TOKENS = 128;
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];

export interface PlanOptions {
  backend: () => BackendInfo | null;
  /** Whether a URL is in the page's download cache; absent: the column is not shown. */
  isCached?: (url: string) => Promise<boolean>;
  /** Each model's and the data's state, and why the run cannot start (null: it can), once the plan is known. */
  planned?(result: PlanResult): void;
}

export interface PlanResult {
  models: Map<string, SourceState>;
  data: SourceState;
  blocker: string | null;
}

async function sizeOf(url: string, endpoint: string): Promise<number | null> {
  if (url.startsWith('blob:')) return localFileSize(url) ?? null;
  try {
    const response = await fetch(url, { method: 'HEAD', headers: hubAuthHeaders(url, endpoint) });
    if (!response.ok) return null;
    const length = response.headers.get('content-length');
    return length === null ? null : Number(length);
  } catch {
    return null;
  }
}

interface Download { what: string; url: string; model?: string }

async function downloadsOf(config: RunConfig): Promise<Download[]> {
  const downloads: Download[] = [];
  for (const name of config.modelNames) for (const file of MODEL_FILES) downloads.push({ what: `${name}: ${file}`, url: modelFileUrl(name, config, file), model: name });
  const data = async (file: string | undefined, language: string, split: 'train' | 'validation') => {
    if (file && isLocalName(file)) return downloads.push({ what: `${language} ${split}: ${file}`, url: localDataFile(file)?.url ?? file });
    if (file) return downloads.push({ what: `${language} ${split}: ${file}`, url: isAppPath(file) ? appUrl(file) : file });
    const urls = await listXnliParquet({ endpoint: config.hubEndpoint, language, split, token: hubToken() });
    urls.forEach((url, i) => downloads.push({ what: `XNLI ${language} ${split}${urls.length > 1 ? ` (part ${i + 1})` : ''}`, url }));
  };
  await data(config.trainFile, 'en', 'train');
  for (const language of config.evalLanguages) await data(config.evalFiles[language], language, 'validation');
  return downloads;
}

/** Whether the training worker will run on WASM: asked for, or chosen because the GPU here is missing or emulated. */
function trainsOnWasm(config: RunConfig, info: BackendInfo | null): boolean {
  if (config.backend !== 'auto') return config.backend === 'wasm';
  return !!info && (info.backend === 'wasm' || softwareGpuReason(info) !== null);
}

/** Beside a model: embedded, picked, cached or will download N MB. */
async function modelState(name: string, config: RunConfig, list: Download[], sizes: (number | null)[]): Promise<SourceState> {
  const bytes = list.reduce((sum, d, i) => sum + (d.model === name ? sizes[i] ?? 0 : 0), 0);
  if (isAppPath(name)) return { state: 'ready', text: `embedded in the app (${formatBytes(bytes)})` };
  if (isLocalName(name)) return { state: 'ready', text: `picked folder (${formatBytes(bytes)})` };
  const cached = await cachedWeightBytes(config.hubEndpoint, name).catch(() => null);
  if (cached !== null) return { state: 'ready', text: `cached in this browser (${formatBytes(cached)})` };
  return { state: 'ready', text: bytes > 0 ? `will download ${formatBytes(bytes)}` : 'will download (size unknown)' };
}

export interface PlanPanel {
  /** Recomputes the plan for a set-up; an older pending one is dropped. */
  update(config: RunConfig): Promise<void>;
}

export function mountPlanPanel(panel: HTMLElement, options: PlanOptions): PlanPanel {
  const status = el('p', { id: 'plan-status', role: 'status', 'data-state': 'ready' });
  const downloads = el('table', { id: 'plan-downloads', 'aria-label': 'Files this run downloads' });
  const memory = el('div', { id: 'plan-memory' });
  panel.append(status, el('h3', {}, 'Downloads'), el('div', { class: 'table-scroll' }, downloads), el('h3', {}, 'GPU memory'), memory);
  let generation = 0;

  async function update(config: RunConfig): Promise<void> {
    const mine = ++generation;
    setStatus(status, 'working', 'Checking what this run needs…');
    const problems: string[] = [];
    const modelStates = new Map<string, SourceState>(config.modelNames.map((name) => [name, { state: 'working', text: 'checking…' }]));
    let dataState: SourceState = { state: 'ready', text: '' };
    let list: Download[] = [];
    try {
      list = await downloadsOf(config);
    } catch (error) {
      problems.push((error as Error).message);
      dataState = { state: 'error', text: `unreachable: ${(error as Error).message}` };
    }
    const sizes = await Promise.all(list.map((d) => sizeOf(d.url, config.hubEndpoint)));
    const cached = options.isCached ? await Promise.all(list.map((d) => options.isCached!(d.url).catch(() => false))) : null;
    const memoryRows: HTMLElement[] = [];
    const warnings: string[] = [];
    const info = options.backend();
    for (const name of config.modelNames) {
      try {
        const encoder = parseEncoderConfig(await fetchJson(modelFiles(name, config), 'config.json'), `config.json of ${name}`);
        const length = Math.min(config.maxLength > 0 ? config.maxLength : ASSUMED_P95_TOKENS, encoder.maxPositionEmbeddings);
        const estimate = estimateTrainingMemory(encoder, config.technique, config.batchSize, length);
        memoryRows.push(el('tr', { 'data-model': name },
          el('td', {}, name),
          el('td', { class: 'number' }, `${(estimate.parameters / 1e6).toFixed(1)} M`),
          el('td', { class: 'number' }, `${(estimate.trainableParameters / 1e6).toFixed(2)} M`),
          el('td', { class: 'number' }, formatBytes(Math.round(estimate.weightsBytes + estimate.gradientBytes + estimate.optimizerBytes))),
          el('td', { class: 'number' }, formatBytes(Math.round(estimate.activationBytes))),
          el('td', { class: 'number' }, formatBytes(Math.round(estimate.totalBytes))),
        ));
        const budget = {
          maxStorageBufferBindingSize: info?.backend === 'webgpu' ? info.limits?.maxStorageBufferBindingSize : undefined,
          maxBufferSize: info?.backend === 'webgpu' ? info.limits?.maxBufferSize : undefined,
          deviceMemoryGiB: (navigator as Navigator & { deviceMemory?: number }).deviceMemory,
        };
        for (const warning of memoryWarnings(estimate, budget)) warnings.push(`${name}: ${warning}`);
        modelStates.set(name, await modelState(name, config, list, sizes));
        // Past WASM's 4 GiB a step stalls instead of failing: said here, before Start, as the worker would refuse it.
        const wasmProblem = trainsOnWasm(config, info)
          ? wasmFitProblem(`${config.technique === 'fine-tune' ? 'fine-tuning' : 'feature-extraction of'} ${name} at batch ${config.batchSize}, ${length} tokens`, estimate,
            config.technique === 'fine-tune' ? estimateTrainingMemory(encoder, 'feature-extraction', config.batchSize, length) : undefined)
          : null;
        if (wasmProblem) modelStates.set(name, { state: 'error', text: `does not fit: ${wasmProblem}` });
      } catch (error) {
        problems.push((error as Error).message);
        modelStates.set(name, { state: 'error', text: `unreachable: ${(error as Error).message}` });
      }
    }
    if (mine !== generation) return;
    if (dataState.state !== 'error') {
      const dataBytes = list.reduce((sum, d, i) => sum + (d.model ? 0 : sizes[i] ?? 0), 0);
      const embedded = config.trainFile && isAppPath(config.trainFile);
      dataState = { state: 'ready', text: embedded ? `embedded in the app (${formatBytes(dataBytes)})` : `${isLocalName(config.trainFile ?? '') ? 'picked files' : 'will download'} ${formatBytes(dataBytes)}` };
    }
    const failing = [...modelStates].filter(([, s]) => s.state === 'error');
    const unreachable = failing.map(([name]) => name);
    const beside = `(see beside ${unreachable.length === 1 ? 'it' : 'them'})`;
    const tooBig = failing.every(([, state]) => state.text.startsWith('does not fit'));
    const blocker = unreachable.length ? `${unreachable.join(', ')} ${tooBig ? `${unreachable.length === 1 ? 'does' : 'do'} not fit in WASM memory` : 'cannot be reached or used'} ${beside}`
      : dataState.state === 'error' ? `the data cannot be reached (${dataState.text.replace(/^unreachable: /, '')})` : null;
    options.planned?.({ models: modelStates, data: dataState, blocker });

    const total = sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0);
    downloads.replaceChildren(
      el('tr', {}, el('th', { scope: 'col' }, 'file'), el('th', { scope: 'col' }, 'size'), ...(cached ? [el('th', { scope: 'col' }, 'cached')] : [])),
      ...list.map((d, i) => el('tr', {}, el('td', {}, d.what), el('td', { class: 'number' }, sizes[i] === null ? 'unknown' : formatBytes(sizes[i]!)), ...(cached ? [el('td', {}, cached[i] ? 'yes' : 'no')] : []))),
      el('tr', { class: 'total' }, el('th', { scope: 'row' }, 'total'), el('td', { class: 'number', id: 'plan-total' }, formatBytes(total))),
    );
    memory.replaceChildren(
      el('p', {}, `Estimate for batch ${config.batchSize} at ${config.maxLength > 0 ? config.maxLength : `${ASSUMED_P95_TOKENS} tokens (about the 95th percentile of XNLI pair lengths)`}: float32 weights, gradients and AdamW moments of the trained weights, and the activations kept for the backward pass.`),
      el('div', { class: 'table-scroll' }, el('table', { id: 'plan-memory-table' },
        el('tr', {}, ...['model', 'parameters', 'trained', 'weights + gradients + AdamW', 'activations', 'total'].map((h) => el('th', { scope: 'col' }, h))),
        ...memoryRows)),
      ...(info && info.backend !== 'webgpu' ? [el('p', {}, `The ${info.backend} backend is in use here: memory comes from the browser's heap, not a GPU.`)] : []),
      ...(warnings.length ? [el('ul', { id: 'plan-warnings', class: 'warnings' }, ...warnings.map((w) => el('li', {}, w)))] : []),
    );
    if (problems.length) setStatus(status, 'error', problems.join('; '));
    else setStatus(status, warnings.length ? 'warning' : 'ready', warnings.length ? 'This run may not fit: see the warnings below.' : `About ${formatBytes(total)} to download; the memory estimate fits this device's limits.`);
  }

  return { update };
}
