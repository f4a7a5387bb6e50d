/**
 * The engine keeps every parameter in one flat buffer (and the gradients and AdamW moments in three more of the
 * same layout), so one kernel clips and updates them all. Each parameter has an element offset; a layer's query,
 * key and value weights lie back to back ([3h, h], one product for all three), and so do their biases. Trainable
 * parameters are contiguous: feature-extraction trains only the `classifier*` ones, which come last, so the
 * optimizer runs over a suffix of the buffer.
 */
import type { EncoderConfig } from '../../model/config.ts';
import { modelModules } from '../../model/architecture.ts';
import { parameterSpecs, type ParameterSpec } from '../../model/weights.ts';
import type { TrainingTechnique } from '../../model/classifier.ts';

export interface FlatParameter extends ParameterSpec {
  offset: number;
  size: number;
}

export interface ParameterLayout {
  parameters: FlatParameter[];
  byName: Map<string, FlatParameter>;
  /** Elements in the flat buffers. */
  size: number;
  /** Where the classifier* parameters start: feature-extraction's trainable range is [headStart, size). */
  headStart: number;
}

/** classifier* are the parameters feature-extraction trains (as SequenceClassifier.setTrainable decides). */
export const isClassifierParameter = (hfName: string) => hfName.startsWith('classifier');

export function parameterLayout(config: EncoderConfig): ParameterLayout {
  const specs = parameterSpecs(config);
  const bySpecName = new Map(specs.map((s) => [s.hfName, s]));
  // Q, K, V weights then their biases, each group back to back; everything else in the specs' order.
  const order: string[] = [];
  const packed = new Set<string>();
  const qkv = new Map<string, string[]>();
  for (const layer of modelModules(config).layers) {
    const names = [layer.query, layer.key, layer.value];
    const group = [...names.map((n) => `${n}.weight`), ...names.map((n) => `${n}.bias`)];
    for (const name of group) packed.add(name);
    qkv.set(`${layer.query}.weight`, group);
  }
  for (const spec of specs) {
    if (isClassifierParameter(spec.hfName)) continue;
    const group = qkv.get(spec.hfName);
    if (group) order.push(...group);
    else if (!packed.has(spec.hfName)) order.push(spec.hfName);
  }
  const headStart = order.length;
  for (const spec of specs) if (isClassifierParameter(spec.hfName)) order.push(spec.hfName);

  const parameters: FlatParameter[] = [];
  let offset = 0;
  let headOffset = 0;
  for (const [i, name] of order.entries()) {
    if (i === headStart) headOffset = offset;
    const spec = bySpecName.get(name)!;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    parameters.push({ ...spec, offset, size });
    offset += size;
  }
  if (headStart === order.length) headOffset = offset;
  return { parameters, byName: new Map(parameters.map((p) => [p.hfName, p])), size: offset, headStart: headOffset };
}

/** The flat range the optimizer updates for a technique. */
export function trainableRange(layout: ParameterLayout, technique: TrainingTechnique): { start: number; end: number } {
  return { start: technique === 'feature-extraction' ? layout.headStart : 0, end: layout.size };
}

/** Gathers each parameter's values into the flat layout. */
export function flatten(layout: ParameterLayout, values: (hfName: string) => Float32Array): Float32Array {
  const flat = new Float32Array(layout.size);
  for (const p of layout.parameters) {
    const v = values(p.hfName);
    if (v.length !== p.size) throw new Error(`${p.hfName}: ${v.length} values for a parameter of ${p.size}`);
    flat.set(v, p.offset);
  }
  return flat;
}
