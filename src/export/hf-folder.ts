// A checkpoint as a Hugging Face model folder: what AutoModelForSequenceClassification.from_pretrained(folder)
// reads, and what the app (and `xnli-train predict --model folder`) loads back.
import { fetchJson, MissingFileError, type ModelFiles } from '../model/files.ts';
import { parseEncoderConfig } from '../model/config.ts';
import { openSafetensors, type RandomAccessFile } from '../model/safetensors.ts';
import { CLASSIFIER_ARCHITECTURES } from '../model/architecture.ts';

/** Tokenizer files copied when the checkpoint has them (tokenizer.json is required). */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'sentencepiece.bpe.model'];

/** config.json with the fields a sequence classifier needs, whatever the checkpoint's config had. */
export function hfClassifierConfig(raw: unknown, source = 'config.json'): Record<string, unknown> {
  const config = parseEncoderConfig(raw, source);
  const labels = config.id2label;
  return {
    ...config.raw,
    architectures: [CLASSIFIER_ARCHITECTURES[config.modelType]],
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(labels.map((label, i) => [label, i])),
  };
}

/** A file of an export: read in parts, and as a Blob where the store has one (an OPFS file). */
export interface ExportFile extends RandomAccessFile {
  name: string;
}

function bytesExport(name: string, bytes: Uint8Array): ExportFile {
  return { name, size: bytes.byteLength, read: async (start, end) => bytes.slice(start, end) };
}

/** A file of `files` for export: read in parts where the source can, else whole. */
async function exportFileOf(files: ModelFiles, name: string): Promise<ExportFile> {
  if (files.openFile) return { name, ...(await files.openFile(name)) };
  return bytesExport(name, new Uint8Array(await files.fetchBytes(name)));
}

/**
 * The export's files: config.json, model.safetensors (as saved: it already holds every parameter under its
 * Hugging Face name; only its header is read here) and the tokenizer files. The optimizer and trainer state stay
 * behind.
 */
export async function hfModelFolderFiles(files: ModelFiles): Promise<ExportFile[]> {
  const config = hfClassifierConfig(await fetchJson(files, 'config.json'), `config.json of ${files.describe}`);
  const weights = await exportFileOf(files, 'model.safetensors');
  await openSafetensors(weights, `model.safetensors of ${files.describe}`);
  const out = [bytesExport('config.json', new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`)), weights];
  for (const name of TOKENIZER_FILES) {
    try {
      out.push(await exportFileOf(files, name));
    } catch (error) {
      if (!(error instanceof MissingFileError)) throw error;
      if (name === 'tokenizer.json') throw new Error(`${files.describe} has no tokenizer.json: the export would not load; re-save the checkpoint with its tokenizer`);
    }
  }
  return out;
}

/** A folder name for the export: `<run name>-checkpoint-<step>`, safe on every file system. */
export function exportFolderName(runName: string, step: number): string {
  return `${runName}-checkpoint-${step}`.replace(/[^\w.-]+/g, '_');
}
