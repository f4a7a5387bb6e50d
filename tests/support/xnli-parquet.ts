import { parquetWriteBuffer } from 'hyparquet-writer';
import type { NliRow } from '../../src/data/xnli-facts.ts';

/** A parquet file in the Hub's XNLI schema (premise, hypothesis: string; label: int64), as `datasets` writes it. */
export function xnliParquet(rows: NliRow[], rowGroupSize?: number): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'premise', data: rows.map((r) => r.premise), type: 'STRING', nullable: false },
      { name: 'hypothesis', data: rows.map((r) => r.hypothesis), type: 'STRING', nullable: false },
      { name: 'label', data: rows.map((r) => BigInt(r.label)), type: 'INT64', nullable: false },
    ],
    ...(rowGroupSize ? { rowGroupSize } : {}),
  });
  return new Uint8Array(buffer);
}

/** Deterministic XNLI-like rows: `language` words, varied lengths, labels 0..2 in turn. */
export function syntheticXnliRows(count: number, language = 'en'): NliRow[] {
  const rows: NliRow[] = [];
  for (let i = 0; i < count; i++) {
    const words = 8 + ((i * 7919) % 23);
    rows.push({
      premise: `${language} premise ${i} ` + Array.from({ length: words }, (_, w) => `w${(i + w * 31) % 997}`).join(' '),
      hypothesis: `${language} hypothesis ${i} ` + Array.from({ length: words >> 1 }, (_, w) => `h${(i * 3 + w) % 503}`).join(' '),
      label: i % 3,
    });
  }
  return rows;
}
