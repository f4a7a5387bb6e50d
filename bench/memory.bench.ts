/** The memory a run needs for each reference model and technique, from src/model/memory-estimate.ts. */
import { parseEncoderConfig } from '../src/model/config.ts';
import { estimateTrainingMemory, GIB, WASM_TRAINING_BUDGET_BYTES, type MemoryEstimate } from '../src/model/memory-estimate.ts';
import type { TrainingTechnique } from '../src/model/classifier.ts';
import { REFERENCE_SHAPES } from '../tests/support/reference-shape.ts';

/** The four models of the write-up, sized as on the Hub (their config.json: tests/support/reference-shape.ts). */
export interface MemoryRow { model: string; technique: TrainingTechnique; estimate: MemoryEstimate; fitsWasm: boolean; fits4: boolean; fits8: boolean }

export function memoryTable(batch: number, seqLen: number): MemoryRow[] {
  const rows: MemoryRow[] = [];
  for (const [model, json] of Object.entries(REFERENCE_SHAPES)) {
    for (const technique of ['fine-tune', 'feature-extraction'] as const) {
      const estimate = estimateTrainingMemory(parseEncoderConfig(json), technique, batch, seqLen);
      rows.push({ model, technique, estimate, fitsWasm: estimate.totalBytes <= WASM_TRAINING_BUDGET_BYTES, fits4: estimate.totalBytes <= 4 * GIB, fits8: estimate.totalBytes <= 8 * GIB });
    }
  }
  return rows;
}
