/** The model shapes the bench trains, and what one training step of them costs in floating-point operations. */

export interface BenchModel {
  name: string;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocab: number;
  batch: number;
  seq: number;
}

/** The issue's "mini" BERT (about 10 GFLOP per step) and the test fixtures' tiny one. */
export const BENCH_MODELS: BenchModel[] = [
  { name: 'tiny', hidden: 32, layers: 2, heads: 4, intermediate: 64, vocab: 1000, batch: 8, seq: 64 },
  { name: 'mini', hidden: 256, layers: 4, heads: 4, intermediate: 1024, vocab: 8000, batch: 8, seq: 64 },
];

/**
 * bert-base's depth (12 layers) at a small width: the same number of dispatches, bind groups and uniform writes
 * per step as bert-base, but small enough for Dawn's null device (which caps its memory at a few hundred MB), so
 * it measures the host's cost of a bert-base step without a GPU.
 */
export const HOST_BENCH_MODELS: BenchModel[] = [
  { name: 'deep', hidden: 128, layers: 12, heads: 4, intermediate: 512, vocab: 2000, batch: 8, seq: 64 },
];

/** For a real GPU: bert-base-multilingual's shape (vocab 119,547) at batch 8, length 128. */
export const GPU_BENCH_MODELS: BenchModel[] = [
  { name: 'base', hidden: 768, layers: 12, heads: 12, intermediate: 3072, vocab: 119547, batch: 8, seq: 128 },
];

/** A BERT config.json for the shape (exact GELU, dropout 0.1 everywhere, as bert-base). */
export function bertConfigJson(model: BenchModel): Record<string, unknown> {
  return {
    model_type: 'bert', vocab_size: model.vocab, hidden_size: model.hidden, num_hidden_layers: model.layers,
    num_attention_heads: model.heads, intermediate_size: model.intermediate, max_position_embeddings: 512, type_vocab_size: 2,
    hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12, pad_token_id: 0,
    id2label: { 0: 'entailment', 1: 'neutral', 2: 'contradiction' },
  };
}

/**
 * FLOPs of one training step (forward + backward), counting a multiply-add as 2 and only matrix products:
 * per layer and token, the four h×h projections and the two h×i feed-forward products (2·(4h² + 2hi) forward),
 * plus attention's two s×s×h products per sequence; the pooler and classifier on the first token. Backward costs
 * twice the forward (gradients for inputs and for weights), so a step is 3× the forward. Element-wise work
 * (LayerNorm, GELU, softmax, AdamW) is left out: it is O(tokens·h), under 2% here.
 */
export function trainingFlopsPerStep(model: BenchModel): number {
  const { hidden: h, intermediate: i, layers, batch, seq } = model;
  const tokens = batch * seq;
  const projections = 2 * tokens * (4 * h * h + 2 * h * i);
  const attention = 2 * 2 * batch * seq * seq * h;
  const head = 2 * batch * (h * h + 3 * h);
  return 3 * (layers * (projections + attention) + head);
}
