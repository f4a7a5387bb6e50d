/** The logit goldens computed by model_reference.py (PyTorch, float64), and the inputs they are computed on. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EncoderConfig } from '../../src/model/config.ts';
import { SeededRandom } from '../../src/random.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const LOGIT_GOLDENS_PATH = join(here, 'goldens', 'logits.json');
export const GENERATED_MODELS_DIR = join(here, '..', 'fixtures', 'generated', 'models');
export const REGENERATE_COMMAND = 'node --import tsx tests/reference/write-model-fixtures.ts && /usr/bin/python3 tests/reference/model_reference.py';
/** Seed our loader used for headless fixtures' new heads when the goldens were made; load with it to compare. */
export const GOLDEN_INIT_SEED = 42;

export interface GoldenBatch {
  batchSize: number;
  seqLen: number;
  /** Row-major [batchSize][seqLen], as plain arrays. */
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  /** [batchSize][numLabels], float64 from PyTorch (filled in by the Python). */
  logits?: number[][];
}

export interface LogitGoldenFixture {
  /** SHA-256 (hex) of the fixture's model.safetensors the goldens were computed from. */
  safetensorsSha256: string;
  /** Head parameters the reference took from our initialisation (headless fixtures), and SHA-256 of their float32 bytes in this order. */
  initialisedHead: { names: string[]; sha256: string } | null;
  batches: Required<GoldenBatch>[];
}

export interface LogitGoldens {
  generator: string;
  initSeed: number;
  fixtures: Record<string, LogitGoldenFixture>;
}

export function loadLogitGoldens(): LogitGoldens {
  let text: string;
  try {
    text = readFileSync(LOGIT_GOLDENS_PATH, 'utf8');
  } catch {
    throw new Error(`${LOGIT_GOLDENS_PATH} is missing: run ${REGENERATE_COMMAND}`);
  }
  return JSON.parse(text) as LogitGoldens;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of float32 little-endian values concatenated in order (matches model_reference.py's head hash). */
export function float32Sha256(arrays: Float32Array[]): string {
  const hash = createHash('sha256');
  for (const a of arrays) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('hex');
}

/** Flatten a golden batch into the typed arrays of an EncodedBatch. */
export function toEncodedBatch(batch: GoldenBatch): { inputIds: Int32Array; attentionMask: Int32Array; tokenTypeIds: Int32Array; batchSize: number; seqLen: number } {
  return {
    inputIds: Int32Array.from(batch.inputIds.flat()),
    attentionMask: Int32Array.from(batch.attentionMask.flat()),
    tokenTypeIds: Int32Array.from(batch.tokenTypeIds.flat()),
    batchSize: batch.batchSize,
    seqLen: batch.seqLen,
  };
}

/**
 * Sentence-pair inputs shaped like the tokenizers make them: right padding, pairs of different lengths,
 * token types 0/1 for BERT, `<s> a </s></s> b </s>` for XLM-R, and one batch at the longest position.
 */
export function goldenInputs(config: EncoderConfig): GoldenBatch[] {
  const random = new SeededRandom(`golden-inputs:${config.modelType}`);
  const roberta = config.architecture === 'roberta';
  const [cls, sep, firstFree] = roberta ? [0, 2, 4] : [101, 102, 103];
  const maxLen = roberta ? config.maxPositionEmbeddings - config.padTokenId - 1 : config.maxPositionEmbeddings;
  const word = () => firstFree + Math.floor(random.uniform() * (config.vocabSize - firstFree));
  const pair = (length: number) => {
    const specials = roberta ? 4 : 3;
    const first = Math.floor((length - specials) / 2);
    const second = length - specials - first;
    const a = Array.from({ length: first }, word);
    const b = Array.from({ length: second }, word);
    const ids = roberta ? [cls, ...a, sep, sep, ...b, sep] : [cls, ...a, sep, ...b, sep];
    const types = roberta || config.architecture === 'distilbert' ? ids.map(() => 0) : [...ids.slice(0, first + 2).map(() => 0), ...ids.slice(first + 2).map(() => 1)];
    return { ids, types };
  };
  const batch = (lengths: number[]): GoldenBatch => {
    const seqLen = Math.max(...lengths);
    const rows = lengths.map(pair);
    const padRow = <T>(row: T[], pad: T) => [...row, ...Array<T>(seqLen - row.length).fill(pad)];
    return {
      batchSize: lengths.length,
      seqLen,
      inputIds: rows.map((r) => padRow(r.ids, config.padTokenId)),
      attentionMask: rows.map((r) => padRow(r.ids.map(() => 1), 0)),
      tokenTypeIds: rows.map((r) => padRow(r.types, 0)),
    };
  };
  return [batch([12, 7, 5]), batch([maxLen, 21])];
}
