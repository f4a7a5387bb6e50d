import { parquetReadObjects } from 'hyparquet';
import { readXnliTsv } from './xnli-tsv.ts';
import { XNLI_LABELS, type NliRow } from './xnli-facts.ts';

/**
 * Reads XNLI-schema rows (premise, hypothesis, label) from parquet, JSON Lines or the original XNLI-1.0 TSV
 * (chosen by the file name); `language` picks one language out of a multilingual TSV.
 */
export async function readNliFile(bytes: ArrayBuffer, fileName: string, options: { language?: string } = {}): Promise<NliRow[]> {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.parquet')) return readNliParquet(bytes, fileName);
  if (lower.endsWith('.jsonl') || lower.endsWith('.json') || lower.endsWith('.ndjson')) return readNliJsonl(new TextDecoder().decode(bytes), fileName);
  if (lower.endsWith('.tsv') || lower.endsWith('.txt')) return readXnliTsv(new TextDecoder().decode(bytes), fileName, options.language);
  throw new Error(`${fileName}: unknown data format; give a .parquet, .jsonl or XNLI .tsv file with premise, hypothesis and label columns.`);
}

export async function readNliParquet(bytes: ArrayBuffer, fileName: string): Promise<NliRow[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: bytes, columns: ['premise', 'hypothesis', 'label'] });
  } catch (error) {
    throw new Error(`${fileName} is not a readable XNLI parquet file (${(error as Error).message}); it needs the columns premise, hypothesis and label.`);
  }
  return rows.map((row, i) => checkRow(row, `${fileName} row ${i}`));
}

export function readNliJsonl(text: string, fileName: string): NliRow[] {
  const rows: NliRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${fileName} line ${i + 1} is not valid JSON: ${(error as Error).message}`);
    }
    rows.push(checkRow(value, `${fileName} line ${i + 1}`));
  });
  return rows;
}

function checkRow(value: unknown, where: string): NliRow {
  const row = (value ?? {}) as Record<string, unknown>;
  for (const column of ['premise', 'hypothesis'] as const) {
    if (typeof row[column] !== 'string') throw new Error(`${where}: "${column}" must be a string (XNLI schema: premise, hypothesis, label).`);
  }
  const label = typeof row.label === 'bigint' ? Number(row.label) : row.label;
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= XNLI_LABELS.length) {
    throw new Error(`${where}: "label" must be 0 (entailment), 1 (neutral) or 2 (contradiction), got ${JSON.stringify(String(row.label))}.`);
  }
  return { premise: row.premise as string, hypothesis: row.hypothesis as string, label };
}
