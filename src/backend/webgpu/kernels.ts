import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { tensorFromInfo, type AdamWScalars } from '../fused-ops.ts';
import { hashString } from '../../random.ts';

/**
 * Dropout masks drawn on the GPU. tf.dropout draws its uniforms in a JavaScript loop and uploads them: on a real
 * GPU (an H100 through Dawn) that was 300 MB of uploads and most of a bert-base step. Here each element hashes
 * (seed, index) with PCG (O'Neill's RXS-M-XS output), so a seed gives the same mask every time on any WebGPU
 * device (resuming stays exact), though not the same stream as tfjs's CPU generator.
 */
class DropoutMaskProgram {
  variableNames: string[] = [];
  outputShape: number[];
  shaderKey = 'xnliDropoutMask';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'seed : u32, keep : f32,';
  size = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn pcgHash(value : u32) -> u32 {
        let state = value * 747796405u + 2891336453u;
        let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
        return (word >> 22u) ^ word;
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          let bits = pcgHash(pcgHash(u32(index)) ^ uniforms.seed);
          let uniform01 = f32(bits >> 8u) * (1.0 / 16777216.0);
          setOutputAtIndex(index, floor(uniform01 + uniforms.keep) / uniforms.keep);
        }
      }
    `;
  }
}

export function webgpuDropoutMask(shape: number[], rate: number, seed: string): tf.Tensor | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = tf.backend() as unknown as WebGPUBackend;
  const keep = Math.fround(1 - rate);
  const info: TensorInfo = backend.runWebGPUProgram(new DropoutMaskProgram(shape) as never, [], 'float32', [
    { type: 'uint32', data: [hashString(seed)] },
    { type: 'float32', data: [keep] },
  ]);
  return tensorFromInfo(info);
}

/**
 * One AdamW update as three dispatches (m, v, then the parameter) instead of about thirteen: the float32
 * operations of src/train/adamw.ts in the same order, reading the inputs by index (same shapes throughout).
 */
class AdamWProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  size = true;
  variableNames: string[];
  uniforms: string;

  constructor(private readonly part: 'm' | 'v' | 'param', shape: number[], private readonly decays: boolean, private readonly scaled = false) {
    this.outputShape = shape;
    this.shaderKey = `xnliAdamW_${part}_${decays}_${scaled}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    this.variableNames = part === 'param' ? ['P', 'M', 'V'] : [part === 'm' ? 'M' : 'V', 'G', ...(scaled ? ['S'] : [])];
    this.uniforms = part === 'param' ? 'decay : f32, stepSize : f32, bias2 : f32, eps : f32,' : 'beta : f32, oneMinusBeta : f32,';
  }

  getUserCode(): string {
    const g = this.scaled ? 'grad' : 'G[index]';
    const value = {
      m: `M[index] * uniforms.beta + ${g} * uniforms.oneMinusBeta`,
      v: `V[index] * uniforms.beta + (${g} * ${g}) * uniforms.oneMinusBeta`,
      param: `${this.decays ? 'P[index] * uniforms.decay' : 'P[index]'} - (M[index] / (sqrt(V[index]) / uniforms.bias2 + uniforms.eps)) * uniforms.stepSize`,
    }[this.part];
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.scaled ? 'let grad = G[index] * S[0];' : ''}
          setOutputAtIndex(index, ${value});
        }
      }
    `;
  }
}

export function webgpuAdamW(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamWScalars, gradScale: tf.Tensor | null): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (tf.getBackend() !== 'webgpu' || [param, grad, m, v, ...(gradScale ? [gradScale] : [])].some((t) => t.dtype !== 'float32')) return null;
  const backend = tf.backend() as unknown as WebGPUBackend;
  const f32 = (...values: number[]) => values.map((value) => ({ type: 'float32', data: [value] }));
  const run = (program: AdamWProgram, inputs: TensorInfo[], uniforms: Array<{ type: string; data: number[] }>) => backend.runWebGPUProgram(program as never, inputs, 'float32', uniforms);
  const scale = gradScale ? [gradScale] : [];
  const nextM = run(new AdamWProgram('m', param.shape, false, Boolean(gradScale)), [m, grad, ...scale], f32(s.b1, s.oneMinusB1));
  const nextV = run(new AdamWProgram('v', param.shape, false, Boolean(gradScale)), [v, grad, ...scale], f32(s.b2, s.oneMinusB2));
  const nextParam = run(new AdamWProgram('param', param.shape, s.decays), [param, nextM, nextV], f32(s.decay, s.stepSize, s.bias2, s.eps));
  return [tensorFromInfo(nextParam), tensorFromInfo(nextM), tensorFromInfo(nextV)];
}

export const WEBGPU_FUSED_OPS = { dropoutMask: webgpuDropoutMask, adamW: webgpuAdamW };
