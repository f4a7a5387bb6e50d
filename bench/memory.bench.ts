/** The memory a run needs for each reference model and technique, from src/model/memory-estimate.ts. */
import { parseEncoderConfig } from '../src/model/config.ts';
import { estimateTrainingMemory, GIB, type MemoryEstimate } from '../src/model/memory-estimate.ts';
import type { TrainingTechnique } from '../src/model/classifier.ts';

/** The config.json fields that size the four models of the write-up (as on the Hub). */
export const REFERENCE_MODEL_CONFIGS: Record<string, Record<string, unknown>> = {
  'bert-base-multilingual-cased': { model_type: 'bert', vocab_size: 119547, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2 },
  'bert-base-multilingual-uncased': { model_type: 'bert', vocab_size: 105879, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2 },
  'xlm-roberta-base': { model_type: 'xlm-roberta', vocab_size: 250002, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1 },
  'distilbert-base-multilingual-cased': { model_type: 'distilbert', vocab_size: 119547, dim: 768, n_layers: 6, n_heads: 12, hidden_dim: 3072, max_position_embeddings: 512 },
};

export interface MemoryRow { model: string; technique: TrainingTechnique; estimate: MemoryEstimate; fits4: boolean; fits8: boolean }

export function memoryTable(batch: number, seqLen: number): MemoryRow[] {
  const rows: MemoryRow[] = [];
  for (const [model, json] of Object.entries(REFERENCE_MODEL_CONFIGS)) {
    for (const technique of ['fine-tune', 'feature-extraction'] as const) {
      const estimate = estimateTrainingMemory(parseEncoderConfig(json), technique, batch, seqLen);
      rows.push({ model, technique, estimate, fits4: estimate.totalBytes <= 4 * GIB, fits8: estimate.totalBytes <= 8 * GIB });
    }
  }
  return rows;
}
