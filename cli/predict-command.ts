import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { BrowserContext } from 'playwright-core';
import { DEFAULT_HUB_ENDPOINT } from '../src/hub/files.ts';
import { describeBackend, parseBackendName, type BackendName } from '../src/backend/types.ts';
import type { Prediction } from '../src/predict.ts';
import { parseArgs, requiredFlag, stringFlag } from './args.ts';
import { ensureBuiltApp } from './app-build.ts';
import { UsageError, oneLine } from './errors.ts';
import { admitToAppServer, launchCliBrowser, startAppServer, type AppServer } from './session.ts';
import { resolveModelSource } from './model-source.ts';
import { readPairsFile, type InputPair } from './pairs-file.ts';

export const PREDICT_USAGE = `Usage: xnli-train predict --model <hub id | folder> --input <pairs.jsonl> [options]

Classifies sentence pairs with a sequence-classification model, running the app's own model code in
headless Chromium (WebGPU where available).

  --model ID|FOLDER     Hub model id (org/name) or a local folder with config.json, tokenizer.json, model.safetensors
  --input FILE          JSONL, one {"premise": ..., "hypothesis": ...} per line ('-' reads stdin)
  --output FILE         write JSONL here (default: stdout); each line is the input plus logits, probabilities, label
  --backend NAME        webgpu | webgl | wasm | cpu; without it, the best available (webgpu → webgl → wasm → cpu)
  --hub-endpoint URL    Hub or mirror to load model ids from (default: $HF_ENDPOINT or ${DEFAULT_HUB_ENDPOINT})
  --revision REV        branch, tag or commit of the model repository (default: main)
  --verbose             also print the browser's console errors and warnings on stderr
  --help                show this help

The Hugging Face token, for gated or private models, is read from $HF_TOKEN.
Exit codes: 0 done, 1 runtime failure (model not found, unsupported architecture, browser error), 2 usage error.`;

const FLAGS = {
  model: { value: true },
  input: { value: true },
  output: { value: true },
  backend: { value: true },
  'hub-endpoint': { value: true },
  revision: { value: true },
  verbose: { value: false },
  help: { value: false },
};

export interface PredictOptions {
  model: string;
  input: string;
  output?: string;
  backend?: BackendName;
  hubEndpoint: string;
  revision: string;
  token?: string;
  verbose: boolean;
}

/** Validates the flags; every problem is a UsageError (exit 2). Returns null when --help was asked. */
export function parsePredictOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PredictOptions | null {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.has('help')) return null;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}: see --help`);
  const backendName = stringFlag(args, 'backend');
  let backend: BackendName | undefined;
  if (backendName !== undefined) {
    try {
      backend = parseBackendName(backendName);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const hubEndpoint = stringFlag(args, 'hub-endpoint') || env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT;
  if (!/^https?:\/\/[^/]/.test(hubEndpoint)) throw new UsageError(`hub endpoint ${hubEndpoint} is not an http(s) URL`);
  return {
    model: requiredFlag(args, 'model'),
    input: requiredFlag(args, 'input'),
    output: stringFlag(args, 'output'),
    backend,
    hubEndpoint,
    revision: stringFlag(args, 'revision') ?? 'main',
    token: env.HF_TOKEN || undefined,
    verbose: args.flags.has('verbose'),
  };
}

export async function runPredict(argv: readonly string[]): Promise<void> {
  const options = parsePredictOptions(argv);
  if (!options) {
    process.stdout.write(`${PREDICT_USAGE}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const pairs = await readPairsFile(options.input);
  const source = resolveModelSource(options.model);
  const dist = await ensureBuiltApp(log);

  let server: AppServer | null = null;
  let browser: BrowserContext | null = null;
  try {
    server = await startAppServer({ staticRoot: dist, repoFolders: source.kind === 'folder' ? { [source.repo]: source.folder } : {} }, (line) => process.stderr.write(`warning: ${line}\n`));
    // Loaded here so usage errors answer without loading Playwright.
    const { openRunnerPage } = await import('./browser.ts');
    browser = await launchCliBrowser((line) => process.stderr.write(`warning: ${line}\n`));
    await admitToAppServer(browser, server);
    const page = await openRunnerPage(browser, server.url, {
      onProgress: log,
      onConsoleError: options.verbose ? log : undefined,
    });
    const backend = await page.evaluate(
      ([preferred, strict]) => window.xnliRunner.init(preferred, { fallback: !strict }),
      [options.backend ?? null, options.backend !== undefined] as const,
    );
    log(`backend: ${describeBackend(backend)}`);
    const location =
      source.kind === 'folder'
        ? { endpoint: server.url, repo: source.repo, revision: 'main' }
        : { endpoint: options.hubEndpoint, repo: source.repo, revision: options.revision, token: options.token };
    const summary = await page.evaluate((loc) => window.xnliRunner.loadModel(loc), location);
    log(`model: ${summary.modelType}, labels ${summary.id2label.join('/')}, loaded in ${summary.loadMs} ms`);
    const predictions = await page.evaluate((input) => window.xnliRunner.predict(input), pairs.map(({ premise, hypothesis }) => ({ premise, hypothesis })));
    await writeOutput(options.output, pairs, predictions);
    log(`wrote ${predictions.length} predictions${options.output ? ` to ${options.output}` : ''}`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new Error(oneLine(error));
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
  }
}

async function writeOutput(path: string | undefined, pairs: InputPair[], predictions: Prediction[]): Promise<void> {
  const lines = pairs.map((pair, i) => {
    const { logits, probabilities, label } = predictions[i]!;
    return `${JSON.stringify({ ...pair, logits, probabilities, label })}\n`;
  });
  if (!path) {
    for (const line of lines) if (!process.stdout.write(line)) await once(process.stdout, 'drain');
    return;
  }
  const stream = createWriteStream(path);
  for (const line of lines) if (!stream.write(line)) await once(stream, 'drain');
  stream.end();
  await once(stream, 'finish');
}
