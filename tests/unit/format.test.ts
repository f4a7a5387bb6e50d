import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration } from '../../src/format.ts';

test('sizes are written in binary units to three significant figures, whole numbers without decimals', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(210 * 1024), '210 KiB');
  assert.equal(formatBytes(1.5 * 2 ** 20), '1.50 MiB');
  assert.equal(formatBytes(45.33 * 2 ** 20), '45.3 MiB');
  assert.equal(formatBytes(350 * 2 ** 20 + 12345), '350 MiB');
  assert.equal(formatBytes(2 ** 30), '1 GiB');
  assert.equal(formatBytes(3.254 * 2 ** 30), '3.25 GiB');
  assert.equal(formatBytes(0), '0 B');
});

test('durations read as seconds, minutes and hours, rounded up under a minute', () => {
  assert.equal(formatDuration(4.2), '5 s');
  assert.equal(formatDuration(125), '2 min 5 s');
  assert.equal(formatDuration(3900), '1 h 5 min');
  assert.equal(formatDuration(-1), 'unknown');
});
