// The pytorch_model.bin reader against files written by a real torch.save (tests/reference/torch_save_reference.py):
// both formats, float16, bfloat16, strided views, an int64 buffer; and pickles that are not state dicts refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTorchStateDict, TorchCheckpointError } from '../../src/model/torch-checkpoint.ts';
import { readSafetensors, tensorToFloat32, writeSafetensors } from '../../src/model/safetensors.ts';
import { checkpointFixtures } from '../fixtures/checkpoints.ts';

const DIR = join(import.meta.dirname, '..', 'reference', 'goldens', 'torch');
const REGENERATE = 'node --import tsx tests/reference/write-model-fixtures.ts && (cd tests/reference && /usr/bin/python3 torch_save_reference.py)';
const file = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const fixture = checkpointFixtures()['fixtures/tiny-bert']['model.safetensors'];
const expected = readSafetensors(fixture);

test('the torch goldens were made from the current tiny BERT fixture', () => {
  const sources = JSON.parse(readFileSync(join(DIR, 'sources.json'), 'utf8')) as { 'tiny-bert': string };
  assert.equal(createHash('sha256').update(fixture).digest('hex'), sources['tiny-bert'], `the fixture changed: run ${REGENERATE}`);
});

for (const format of ['zip', 'legacy', 'f16']) {
  test(`a state dict saved by torch.save (${format}) reads back tensor for tensor`, () => {
    const entries = readTorchStateDict(file(`tiny-bert.${format}.bin`));
    assert.deepEqual(Object.keys(entries).sort(), [...expected.tensors.keys()].sort());
    for (const [name, info] of expected.tensors) {
      const entry = entries[name]!;
      assert.deepEqual(entry.shape, info.shape, name);
      if (info.dtype === 'I64') {
        assert.equal(entry.dtype, 'I64', `${name}: an int64 buffer stays int64`);
        assert.deepEqual(new Uint8Array(entry.data.buffer), fixture.subarray(info.byteOffset, info.byteOffset + info.byteLength), name);
        continue;
      }
      assert.equal(entry.dtype, format === 'f16' ? 'F16' : 'F32', name);
      const want = tensorToFloat32(expected, name);
      if (format !== 'f16') {
        assert.deepEqual(entry.data, want, name);
        continue;
      }
      const got = tensorToFloat32(readSafetensors(writeOne(name, entry)), name);
      const worst = Math.max(...Array.from(want, (v, i) => Math.abs(got[i]! - v) / Math.max(Math.abs(v), 1e-3)));
      assert.ok(worst < 1e-3, `${name}: float16 relative error ${worst}`);
    }
  });
}

for (const format of ['zip', 'legacy']) {
  test(`strided views, a storage offset and bfloat16 come out in row-major order (${format})`, () => {
    const entries = readTorchStateDict(file(`strided.${format}.bin`));
    const values = (name: string) => Array.from(tensorToFloat32(readSafetensors(writeOne(name, entries[name]!)), name));
    assert.deepEqual(values('transposed'), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual(entries.transposed!.shape, [4, 3]);
    assert.deepEqual(values('offset'), [5, 6, 7, 8, 9, 10]);
    assert.deepEqual(values('every_other'), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
    assert.equal(entries.bfloat!.dtype, 'BF16');
    assert.deepEqual(values('bfloat'), [0, 1, 2, 3, 4, 5]);
  });
}

test('a pickle that calls anything but a state dict\'s few globals is refused by name, and nothing runs', () => {
  // protocol 2: GLOBAL os.system, the argument, TUPLE1, REDUCE, STOP
  const evil = new Uint8Array([0x80, 0x02, ...Buffer.from('cos\nsystem\n'), 0x58, 4, 0, 0, 0, ...Buffer.from('true'), 0x85, 0x52, 0x2e]);
  const legacy = new Uint8Array([...file('strided.legacy.bin').subarray(0, 32)]);
  assert.throws(() => readTorchStateDict(evil), (error: Error) => error instanceof TorchCheckpointError && /names os\.system, which a state dict does not use/.test(error.message));
  assert.throws(() => readTorchStateDict(legacy), TorchCheckpointError, 'a truncated file is an error, not a hang');
  assert.throws(() => readTorchStateDict(file('tiny-bert.zip.bin').subarray(0, 5000)), /end of central directory/);
});

/** One tensor through the app's own safetensors writer, whose reader widens float16 and bfloat16 to float32. */
function writeOne(name: string, entry: ReturnType<typeof readTorchStateDict>[string]): Uint8Array {
  return writeSafetensors({ [name]: entry! });
}
