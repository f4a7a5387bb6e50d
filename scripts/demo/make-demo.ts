/**
 * Writes the offline demo (model, synthetic multilingual NLI sample, the playground's examples.json) to
 * public/demo/, or to the folder given as the first argument. Deterministic: running it twice gives
 * byte-identical files.
 *
 *   node --import tsx scripts/demo/make-demo.ts [out-dir]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo } from './build-demo.ts';

export const DEFAULT_DEMO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/demo');

export async function writeDemo(outDir: string): Promise<Map<string, Uint8Array>> {
  const { files } = buildDemo();
  // Start clean so that files dropped from the demo do not linger in public/.
  for (const folder of ['model', 'xnli']) await rm(join(outDir, folder), { recursive: true, force: true });
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(outDir, path)), { recursive: true });
    await writeFile(join(outDir, path), bytes);
  }
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? DEFAULT_DEMO_DIR);
  const files = await writeDemo(outDir);
  let total = 0;
  for (const [path, bytes] of files) {
    total += bytes.byteLength;
    console.log(`${(bytes.byteLength / 1024).toFixed(1).padStart(8)} KiB  ${join(outDir, path)}`);
  }
  console.log(`${(total / 1024).toFixed(1).padStart(8)} KiB  in all`);
}
