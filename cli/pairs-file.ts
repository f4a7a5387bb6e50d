import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.ts';

/** One input line: at least `premise` and `hypothesis`; other fields are kept and copied to the output. */
export interface InputPair {
  premise: string;
  hypothesis: string;
  [field: string]: unknown;
}

/** Reads a JSONL file of pairs ('-' for stdin); a bad line is a usage error naming the file and line number. */
export async function readPairsFile(path: string): Promise<InputPair[]> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`input file ${path} does not exist`);
    if (code === 'EISDIR') throw new UsageError(`input ${path} is a folder: give a .jsonl file`);
    throw new UsageError(`cannot read input file ${path}: ${(error as Error).message}`);
  }
  return parsePairsJsonl(text, path === '-' ? 'stdin' : path);
}

export function parsePairsJsonl(text: string, name: string): InputPair[] {
  const pairs: InputPair[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${name}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new UsageError(`${where}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`${where}: expected an object like {"premise": "...", "hypothesis": "..."}`);
    }
    const record = value as Record<string, unknown>;
    for (const field of ['premise', 'hypothesis']) {
      if (typeof record[field] !== 'string') throw new UsageError(`${where}: "${field}" must be a string`);
    }
    pairs.push(record as InputPair);
  });
  if (pairs.length === 0) throw new UsageError(`${name} has no pairs: expected one JSON object per line`);
  return pairs;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
