// Bundles bench/node-webgpu.bench.ts into one file that runs with a bare Node and the `webgpu` package beside it,
// for a machine with a GPU but no npm registry (the GPU runs recorded in bench/results/ were made this way):
//   node scripts/bundle-node-webgpu.mjs .gpu      # writes .gpu/bench.mjs and .gpu/node_modules/webgpu (linux-x64)
// then on that machine: node .gpu/bench.mjs tiny mini base --steps 10  (with the GPU's Vulkan driver: bench/gpu-run.sh)
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? '.gpu';
await build({
  entryPoints: ['bench/node-webgpu.bench.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  outfile: join(out, 'bench.mjs'), external: ['webgpu'], logLevel: 'error',
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [{
    // Vite's `file.wasm?url` imports become data: URLs, which Node's fetch reads.
    name: 'wasm-url',
    setup(b) {
      b.onResolve({ filter: /\.wasm\?url$/ }, async (args) => {
        const resolved = await b.resolve(args.path.slice(0, -'?url'.length), { resolveDir: args.resolveDir, kind: 'import-statement' });
        return { path: resolved.path, namespace: 'wasm-url' };
      });
      b.onLoad({ filter: /.*/, namespace: 'wasm-url' }, (args) => ({
        contents: `export default ${JSON.stringify(`data:application/wasm;base64,${readFileSync(args.path).toString('base64')}`)};`, loader: 'js',
      }));
    },
  }],
});
const webgpu = join(out, 'node_modules', 'webgpu');
mkdirSync(join(webgpu, 'dist'), { recursive: true });
for (const file of ['index.js', 'package.json']) cpSync(join('node_modules/webgpu', file), join(webgpu, file));
cpSync('node_modules/webgpu/dist/linux-x64', join(webgpu, 'dist', 'linux-x64'), { recursive: true });
console.log(`${out}/bench.mjs and ${webgpu} written`);
