import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenizerFixtures, type TokenizerFixture, type TokenizerFixtureName } from '../fixtures/tokenizers.ts';

/** What tests/reference/tokenizer_reference.py (an independent Python implementation) says each pair becomes. */
export interface TokenizationGolden {
  fixture: TokenizerFixtureName;
  name: string;
  premise: string;
  hypothesis: string;
  maxLength: number;
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  /** Lengths of premise / hypothesis before truncation, to show which case of longest_first a pair exercises. */
  sentenceLengths: [number, number];
}
export interface TokenizationGoldens { fixtureHashes: Record<TokenizerFixtureName, string>; cases: TokenizationGolden[] }

const HERE = dirname(fileURLToPath(import.meta.url));
export const GOLDENS_PATH = join(HERE, 'goldens', 'tokenization.json');
export const GENERATED_TOKENIZERS_DIR = join(HERE, '..', 'fixtures', 'generated', 'tokenizers');

/** The files exactly as written to disk (compact JSON), which is what the Python side reads and hashes. */
export function fixtureFileTexts(fixture: TokenizerFixture): Record<'tokenizer.json' | 'tokenizer_config.json', string> {
  return { 'tokenizer.json': JSON.stringify(fixture['tokenizer.json']), 'tokenizer_config.json': JSON.stringify(fixture['tokenizer_config.json']) };
}

/** sha256 of tokenizer.json's bytes followed by tokenizer_config.json's. */
export function fixtureHash(fixture: TokenizerFixture): string {
  const texts = fixtureFileTexts(fixture);
  return createHash('sha256').update(texts['tokenizer.json']).update(texts['tokenizer_config.json']).digest('hex');
}

export async function writeTokenizerFixtures(dir = GENERATED_TOKENIZERS_DIR): Promise<Record<TokenizerFixtureName, string>> {
  const written = {} as Record<TokenizerFixtureName, string>;
  for (const [name, fixture] of Object.entries(tokenizerFixtures()) as [TokenizerFixtureName, TokenizerFixture][]) {
    const folder = join(dir, name);
    await mkdir(folder, { recursive: true });
    for (const [file, text] of Object.entries(fixtureFileTexts(fixture))) await writeFile(join(folder, file), text);
    written[name] = folder;
  }
  return written;
}

/** The goldens, refusing ones made from other fixture files than the builders make now. */
export function loadTokenizerGoldens(): TokenizationGoldens {
  const goldens = JSON.parse(readFileSync(GOLDENS_PATH, 'utf8')) as TokenizationGoldens;
  for (const [name, fixture] of Object.entries(tokenizerFixtures()) as [TokenizerFixtureName, TokenizerFixture][]) {
    if (goldens.fixtureHashes[name] !== fixtureHash(fixture)) {
      throw new Error(`tokenization goldens were made from another ${name} tokenizer fixture than tests/fixtures/tokenizers.ts builds now: run npm run goldens`);
    }
  }
  return goldens;
}
