// `npm run bench -- --scale`: each reference model at its real size (a generated checkpoint with its exact shape)
// trained by the CLI on WASM, per technique: seconds per step at XNLI-like lengths and the browser's peak memory,
// or the refusal when the run cannot fit WebAssembly's 4 GiB.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleChildMemory } from '../cli/process-tree.ts';
import { writeReferenceShapedModel, type ReferenceShape } from '../tests/support/reference-shape.ts';
import { xnliLikeLengths } from './data.bench.ts';
import { jsonlPairsOfLengths, runCli } from './cli-run.ts';

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

export async function scaleBench(log: (line: string) => void): Promise<ScaleFigure[]> {
  const work = await mkdtemp(join(tmpdir(), 'xnli-scale-bench-'));
  const figures: ScaleFigure[] = [];
  try {
    await writeFile(join(work, 'train.jsonl'), jsonlPairsOfLengths(xnliLikeLengths(8 * (TIMED_STEPS + 1)), 'scale-pairs'));
    await writeFile(join(work, 'en.jsonl'), jsonlPairsOfLengths(xnliLikeLengths(8), 'scale-pairs-eval'));
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
        const [firstStep, lastStep] = [result.stepTimes.get(1), result.stepTimes.get(TIMED_STEPS + 1)];
        if (result.code === 0 && firstStep !== undefined && lastStep !== undefined) {
          figure.secondsPerStep = (lastStep - firstStep) / 1000 / TIMED_STEPS;
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
