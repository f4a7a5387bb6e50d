// `npm run bench -- --scale`: each reference model at its real size (a generated checkpoint with its exact shape)
// trained by the CLI on WASM, per technique: seconds per step at XNLI-like lengths and the browser's peak memory,
// or the refusal when the run cannot fit WebAssembly's 4 GiB.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sampleChildMemory } from '../cli/process-tree.ts';
import { writeReferenceShapedModel, type ReferenceShape } from '../tests/support/reference-shape.ts';
import { xnliLikeLengths } from './data.bench.ts';
import { SeededRandom } from '../src/model/prng.ts';

const BIN = resolve(import.meta.dirname, '../bin/xnli-train.mjs');
const SHAPES: ReferenceShape[] = ['bert-base-multilingual-cased', 'bert-base-multilingual-uncased', 'xlm-roberta-base', 'distilbert-base-multilingual-cased'];
/** Steps timed after the first (which includes warm-up); the run makes one more. */
const TIMED_STEPS = 3;

export interface ScaleFigure {
  model: string;
  technique: string;
  secondsPerStep?: number;
  refused?: string;
  failed?: string;
  peakGiB?: number;
  largestProcessGiB?: number;
}

/** Pairs of in-vocabulary words whose token counts follow the bench's XNLI-like lengths (2/3 premise). */
function xnliLikePairs(count: number): string {
  const words = ['the', 'les', 'que', 'son', 'was', 'are', 'also', 'avec', 'der', 'die', 'for', 'his', 'new', 'not', 'qui', 'sind', 'under', 'were', 'what', 'why'];
  const random = new SeededRandom('scale-pairs');
  const text = (n: number) => Array.from({ length: Math.max(1, n) }, () => words[Math.floor(random.uniform() * words.length)]).join(' ');
  return xnliLikeLengths(count).map((length, i) => JSON.stringify({ premise: text(Math.round((length - 3) * 2 / 3)), hypothesis: text(Math.round((length - 3) / 3)), label: i % 3 })).join('\n');
}

/** One CLI run; the times at which each step line appeared. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stepTimes: number[] }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, HF_ENDPOINT: '', MLFLOW_TRACKING_URI: '', ...env } });
    let stderr = '';
    const stepTimes: number[] = [];
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      for (const _ of text.matchAll(/: step \d+\/\d+ \| epoch/g)) stepTimes.push(performance.now());
    });
    child.on('close', (code) => resolvePromise({ code, stderr, stepTimes }));
  });
}

export async function scaleBench(log: (line: string) => void): Promise<ScaleFigure[]> {
  const work = await mkdtemp(join(tmpdir(), 'xnli-scale-bench-'));
  const figures: ScaleFigure[] = [];
  try {
    await writeFile(join(work, 'train.jsonl'), xnliLikePairs(8 * (TIMED_STEPS + 1)));
    await writeFile(join(work, 'en.jsonl'), xnliLikePairs(8));
    // SCALE_MODELS=distilbert (a substring of the names) measures only those.
    for (const shape of SHAPES.filter((name) => !process.env.SCALE_MODELS || process.env.SCALE_MODELS.split(',').some((part) => name.includes(part)))) {
      const dir = join(work, 'model');
      await rm(dir, { recursive: true, force: true });
      await writeReferenceShapedModel(dir, shape);
      for (const technique of ['fine-tune', 'feature-extraction']) {
        const memory = sampleChildMemory(250);
        const result = await runCli([
          technique, '--model-names', dir, '--train-file', join(work, 'train.jsonl'), '--eval-file', `en=${join(work, 'en.jsonl')}`,
          '--max-steps', String(TIMED_STEPS + 1), '--logging-steps', '1', '--save-steps', '1000', '--eval-steps', '1000', '--backend', 'wasm', '--output-dir', join(work, 'out'),
        ], { XNLI_TRAIN_CACHE: join(work, 'cache') });
        const peak = memory?.peak();
        memory?.stop();
        await rm(join(work, 'out'), { recursive: true, force: true });
        const last = result.stderr.trim().split('\n').at(-1) ?? '';
        const figure: ScaleFigure = { model: shape, technique, peakGiB: peak ? peak.totalBytes / 2 ** 30 : undefined, largestProcessGiB: peak ? peak.largestBytes / 2 ** 30 : undefined };
        if (result.code === 0 && result.stepTimes.length > TIMED_STEPS) {
          figure.secondsPerStep = (result.stepTimes[TIMED_STEPS] - result.stepTimes[0]) / 1000 / TIMED_STEPS;
        } else if (/more than fits in WebAssembly's 4 GiB/.test(last)) {
          figure.refused = last.replace(/^xnli-train [\w-]+: /, '');
        } else {
          figure.failed = last;
        }
        figures.push(figure);
        log(`  ${shape} ${technique}: ${figure.secondsPerStep !== undefined ? `${figure.secondsPerStep.toFixed(2)} s/step` : figure.refused ? 'refused before training' : `failed: ${figure.failed}`}${peak ? `, browser peak ${figure.peakGiB!.toFixed(2)} GiB (largest process ${figure.largestProcessGiB!.toFixed(2)} GiB)` : ''}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return figures;
}
