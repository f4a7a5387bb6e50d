import { sequenceClassifierFromBuffers } from '../model/classifier.ts';
import { train, TRAIN_DEFAULTS, type LabelledPair, type TrainOptions } from './trainer.ts';

export interface PreparedTrainingRequest {
  configJson: Record<string, unknown>;
  /** URL of the model.safetensors to start from. */
  weightsUrl: string;
  examples: Array<{ inputIds: number[]; tokenTypeIds: number[]; label: number }>;
  options: Partial<TrainOptions>;
  seed?: number;
}

export interface PreparedTrainingResult {
  losses: number[];
  gradNorms: number[];
  /** Every parameter after training, by Hugging Face name, as plain numbers (crosses page.evaluate). */
  weights: Record<string, number[]>;
  trainable: string[];
}

/**
 * Trains on already tokenised examples with every step's loss and gradient norm read back: the browser side of
 * the optimizer-parity tests, run on whichever backend the page has.
 */
export async function trainPrepared(request: PreparedTrainingRequest): Promise<PreparedTrainingResult> {
  const response = await fetch(request.weightsUrl);
  if (!response.ok) throw new Error(`could not fetch ${request.weightsUrl}: HTTP ${response.status}`);
  const model = sequenceClassifierFromBuffers(request.configJson, await response.arrayBuffer(), { seed: request.seed });
  try {
    const examples: LabelledPair[] = request.examples.map((e) => ({ pair: { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds }, label: e.label }));
    const result = await train(model, { trainSet: examples, options: { ...TRAIN_DEFAULTS, ...request.options, recordSteps: true }, padTokenId: model.config.padTokenId, maxLength: model.config.maxPositionEmbeddings });
    const weights: Record<string, number[]> = {};
    for (const p of model.parameters) weights[p.hfName] = Array.from(await p.variable.data());
    return { losses: result.stepLosses, gradNorms: result.stepGradNorms, weights, trainable: model.parameters.filter((p) => p.trainable).map((p) => p.hfName) };
  } finally {
    model.dispose();
  }
}
