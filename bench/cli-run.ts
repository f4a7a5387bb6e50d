// Training through the command line, for the benches: pairs written as JSONL of in-vocabulary words (one token
// each in the fixtures' WordPiece tokenizer), and a CLI run that notes when each logged step's line appeared.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SeededRandom } from '../src/random.ts';
import { writeShapedModel } from '../tests/support/reference-shape.ts';
import { bertConfigJson, type BenchModel } from './models.ts';

const BIN = resolve(import.meta.dirname, '../bin/xnli-train.mjs');
const WORDS = ['the', 'les', 'que', 'son', 'was', 'are', 'also', 'avec', 'der', 'die', 'for', 'his', 'new', 'not', 'qui', 'sind', 'under', 'were', 'what', 'why'];

/** JSONL pairs whose tokenized lengths ([CLS] premise [SEP] hypothesis [SEP]) are `lengths`, premise 2/3 of the words. */
export function jsonlPairsOfLengths(lengths: number[], seed: string): string {
  const random = new SeededRandom(seed);
  const text = (n: number) => Array.from({ length: Math.max(1, n) }, () => WORDS[Math.floor(random.uniform() * WORDS.length)]).join(' ');
  return lengths.map((length, i) => {
    const words = length - 3;
    const premise = Math.round((words * 2) / 3);
    return JSON.stringify({ premise: text(premise), hypothesis: text(words - premise), label: i % 3 });
  }).join('\n');
}

/** One CLI run; the times at which each logged step's line appeared, by step. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stepTimes: Map<number, number> }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, HF_ENDPOINT: '', MLFLOW_TRACKING_URI: '', ...env } });
    let stderr = '';
    const stepTimes = new Map<number, number>();
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      for (const match of text.matchAll(/: step (\d+)\/\d+ \| epoch/g)) stepTimes.set(Number(match[1]), performance.now());
    });
    child.on('close', (code) => resolvePromise({ code, stderr, stepTimes }));
  });
}

/**
 * Seconds per step of `model` fine-tuned by `xnli-train --backend wasm` at the bench page's shape (batch, length
 * `model.seq`, random weights): timed from the line of step `window` to that of step `2·window`, as the page
 * times its steps, so start-up, loading and the end of the run are outside the figure.
 */
export async function cliSecondsPerStep(model: BenchModel, window: number): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'xnli-cli-bench-'));
  try {
    await writeShapedModel(join(work, 'model'), bertConfigJson(model));
    await writeFile(join(work, 'train.jsonl'), jsonlPairsOfLengths(new Array<number>(model.batch * 2 * window).fill(model.seq), 'cli-bench'));
    await writeFile(join(work, 'en.jsonl'), jsonlPairsOfLengths(new Array<number>(model.batch).fill(model.seq), 'cli-bench-eval'));
    const result = await runCli([
      'fine-tune', '--model-names', join(work, 'model'), '--train-file', join(work, 'train.jsonl'), '--eval-file', `en=${join(work, 'en.jsonl')}`,
      '--batch-size', String(model.batch), '--max-steps', String(2 * window), '--logging-steps', String(window), '--save-steps', '100000', '--eval-steps', '100000',
      '--backend', 'wasm', '--output-dir', join(work, 'out'),
    ], { XNLI_TRAIN_CACHE: join(work, 'cache') });
    const [start, end] = [result.stepTimes.get(window), result.stepTimes.get(2 * window)];
    if (result.code !== 0 || start === undefined || end === undefined) throw new Error(`the CLI run failed (exit ${result.code}): ${result.stderr.trim().split('\n').at(-1)}`);
    return (end - start) / 1000 / window;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
