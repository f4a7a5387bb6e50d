import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits,
  readSafetensors, SafetensorsFormatError, tensorToFloat32, writeSafetensors,
} from '../../src/model/safetensors.ts';

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

test('write → read round trip keeps names, shapes, values and metadata', () => {
  const a = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
  const b = new Float32Array([3.25]);
  const ids = BigInt64Array.from([0n, 1n, 2n]);
  const bytes = writeSafetensors({ 'b.weight': { shape: [1], data: b }, 'a.weight': { shape: [2, 3], data: a }, 'pos': { dtype: 'I64', shape: [1, 3], data: ids } });
  const file = readSafetensors(bytes);
  assert.deepEqual(file.metadata, { format: 'pt' });
  assert.deepEqual([...file.tensors.keys()], ['pos', 'a.weight', 'b.weight'], 'widest dtype first, then by name');
  assert.deepEqual(file.tensors.get('a.weight')!.shape, [2, 3]);
  assert.deepEqual([...tensorToFloat32(file, 'a.weight')], [...a]);
  assert.deepEqual([...tensorToFloat32(file, 'b.weight')], [3.25]);
  assert.throws(() => tensorToFloat32(file, 'pos'), /pos has dtype I64/);
});

test('header is padded with spaces to a multiple of 8 and offsets are contiguous', () => {
  for (const name of ['x', 'xy', 'xyz', 'abcdefg', 'layer.0.attention.self.query.weight']) {
    const bytes = writeSafetensors({ [name]: { shape: [3], data: new Float32Array([1, 2, 3]) }, z: { shape: [2], data: new Float32Array([4, 5]) } });
    const { length, text } = headerOf(bytes);
    assert.equal(length % 8, 0);
    assert.equal(text, text.trimEnd() + ' '.repeat(text.length - text.trimEnd().length));
    const header = JSON.parse(text);
    assert.deepEqual(header.__metadata__, { format: 'pt' });
    const spans = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => (v as { data_offsets: number[] }).data_offsets).sort((p, q) => p[0] - q[0]);
    assert.deepEqual(spans[0][0], 0);
    for (let i = 1; i < spans.length; i++) assert.equal(spans[i][0], spans[i - 1][1]);
    assert.equal(bytes.byteLength, 8 + length + spans.at(-1)![1]);
  }
});

test('aligned F32 data is a zero-copy view; unaligned data is copied correctly', () => {
  const values = new Float32Array([1.5, -2, 7]);
  const bytes = writeSafetensors({ w: { shape: [3], data: values } });
  const file = readSafetensors(bytes);
  const view = tensorToFloat32(file, 'w');
  assert.equal(view.buffer, bytes.buffer, 'aligned data must not be copied');
  const shifted = new Uint8Array(bytes.byteLength + 1);
  shifted.set(bytes, 1);
  const unaligned = readSafetensors(shifted.subarray(1));
  const copy = tensorToFloat32(unaligned, 'w');
  assert.notEqual(copy.buffer, shifted.buffer);
  assert.deepEqual([...copy], [1.5, -2, 7]);
});

test('F16 and BF16 tensors decode to float32', () => {
  const source = [0, 1, -2.5, 0.1, 65504, 6.1e-5, 1e-7, -0];
  const f16 = Uint16Array.from(source, float32ToFloat16Bits);
  const bf16 = Uint16Array.from(source, float32ToBfloat16Bits);
  assert.equal(f16[1], 0x3c00);
  assert.equal(f16[2], 0xc100);
  assert.equal(f16[4], 0x7bff);
  assert.equal(bf16[1], 0x3f80);
  const file = readSafetensors(writeSafetensors({ h: { dtype: 'F16', shape: [8], data: f16 }, b: { dtype: 'BF16', shape: [2, 4], data: bf16 } }));
  const halves = tensorToFloat32(file, 'h');
  const brains = tensorToFloat32(file, 'b');
  source.forEach((v, i) => {
    assert.ok(Math.abs(halves[i] - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -25), `f16 ${v} → ${halves[i]}`);
    assert.ok(Math.abs(brains[i] - v) <= Math.abs(v) * 2 ** -8, `bf16 ${v} → ${brains[i]}`);
  });
  assert.equal(float16BitsToFloat32(0x7c00), Infinity);
  assert.ok(Number.isNaN(float16BitsToFloat32(0x7e00)));
  assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
  assert.equal(bfloat16BitsToFloat32(0xc040), -3);
});

test('truncated and corrupt files give errors that say what is wrong', () => {
  const bytes = writeSafetensors({ 'encoder.weight': { shape: [4, 4], data: new Float32Array(16).fill(1) } });
  assert.throws(() => readSafetensors(bytes.subarray(0, 5), 'model.safetensors'), (e: unknown) =>
    e instanceof SafetensorsFormatError && /model\.safetensors .*only 5 bytes.*truncated/.test(e.message));
  assert.throws(() => readSafetensors(bytes.subarray(0, 20)), /header says \d+ header bytes but the file has only 12/);
  assert.throws(() => readSafetensors(bytes.subarray(0, bytes.byteLength - 4)), /tensor encoder\.weight ends at data byte 64 but the data section has only 60 bytes \(truncated download\?\)/);
  const garbage = new Uint8Array(16);
  new DataView(garbage.buffer).setBigUint64(0, 8n, true);
  garbage.set(new TextEncoder().encode('{"a": [1'), 8);
  assert.throws(() => readSafetensors(garbage), /header is not valid UTF-8 JSON/);
  const html = new TextEncoder().encode('<!DOCTYPE html><html>not found</html>');
  assert.throws(() => readSafetensors(html), /not a valid safetensors file/);
  const badDtype = bytes.slice();
  const { length, text } = headerOf(badDtype);
  badDtype.set(new TextEncoder().encode(text.replace('"F32"', '"Q32"')), 8);
  assert.equal(length, headerOf(badDtype).length);
  assert.throws(() => readSafetensors(badDtype), /tensor encoder\.weight has unsupported dtype "Q32"/);
  const badSpan = bytes.slice();
  badSpan.set(new TextEncoder().encode(text.replace('[0,64]', '[0,60]')), 8);
  assert.throws(() => readSafetensors(badSpan), /needs 64 bytes but data_offsets span 60/);
});
