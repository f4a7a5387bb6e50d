// Reading a 392,702-row XNLI-schema parquet (the size of XNLI's train split) with hyparquet and drawing the
// reference's 15,000-example sample (numpy default_rng(73).permutation). Prints time and peak memory.
// Run alone: node --import tsx bench/xnli-parquet.bench.ts (npm run bench runs it with the other benches).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNliParquet } from '../src/data/nli-files.ts';
import { indicesHash, sampleIndices } from '../src/data/numpy-random.ts';
import { syntheticXnliRows, xnliParquet } from '../tests/support/xnli-parquet.ts';

export const XNLI_TRAIN_ROWS = 392_702;
const SAMPLE = 15_000;
const SEED = 73;

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
/** Peak resident memory of this process so far (Node reports it in KiB). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** Reads and draws in this process: the numbers for one run. */
async function measureRead(path: string, rows: number): Promise<Record<string, number>> {
  const bytes = await readFile(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const all = await readNliParquet(buffer, 'bench.parquet');
  const readMs = performance.now() - started;
  const drawStarted = performance.now();
  const indices = sampleIndices(SEED, all.length, SAMPLE);
  const sample = Array.from(indices, (i) => all[i]!);
  const drawMs = performance.now() - drawStarted;
  const hash = await indicesHash(indices);
  if (all.length !== rows || sample.length !== Math.min(SAMPLE, rows)) throw new Error(`read ${all.length} rows, drew ${sample.length}`);
  return {
    rows: all.length,
    parquet_mib: mib(bytes.byteLength),
    read_ms: Math.round(readMs),
    draw_ms: Math.round(drawMs),
    total_ms: Math.round(readMs + drawMs),
    rss_before_read_mib: mib(rssBefore),
    peak_rss_mib: mib(peakRss()),
    sample_sha256_prefix: parseInt(hash.slice(0, 8), 16),
  };
}

/**
 * Writes the file once (into the OS temp folder), then reads it in a fresh Node process so the peak memory is the
 * read's own, not the writer's. Returns the numbers (milliseconds, MiB) for other benches to collect.
 */
export async function runParquetBench(rows = XNLI_TRAIN_ROWS): Promise<Record<string, number>> {
  const path = join(tmpdir(), `xnli-bench-${rows}-v1.parquet`);
  if (!existsSync(path)) await writeFile(path, xnliParquet(syntheticXnliRows(rows, 'en')));
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--read', path, String(rows)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`parquet bench failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--read') {
    console.log(JSON.stringify(await measureRead(process.argv[3]!, Number(process.argv[4]))));
  } else {
    const r = await runParquetBench();
    console.log(`xnli parquet: ${r.rows} rows (${r.parquet_mib} MiB) read in ${r.read_ms} ms, ${SAMPLE} drawn in ${r.draw_ms} ms; peak RSS ${r.peak_rss_mib} MiB (${r.rss_before_read_mib} MiB before the read)`);
  }
}
