import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

/**
 * Makes tfjs-backend-wasm's threaded build work in a bundled app, on every core.
 *
 * tfjs starts its pthread workers from a Blob made of `wasmFactoryThreadedSimd.toString()`. Once a bundler has
 * wrapped and minified that factory, its source names variables of the bundle's scope, and every worker dies with
 * "ReferenceError: e is not defined": the threaded build hangs on start. The workers get the untouched Emscripten
 * glue file instead (it defines `WasmBackendModuleThreadedSimd` itself), inlined as a string.
 *
 * tfjs also caps its threads: the wasm code takes half of `navigator.hardwareConcurrency` as its core count
 * (assuming two hyper-threads per core) and never uses more threads than that, so a 2-core machine trained on one.
 * The glue reports twice the logical cores to that one call, and `setThreadsCount` (src/backend/wasm/backend.ts) picks.
 *
 * Used for the app and its workers (vite.config.ts: plugins, worker.plugins, and the dev server's dependency
 * optimizer, which does not run Vite plugins) and for the bench page.
 */
export function tfjsWasmThreadsPlugin(): Plugin {
  const needle = /\[\s*`var WasmBackendModuleThreadedSimd = `\s*\+\s*wasmFactoryThreadedSimd\.toString\(\)\s*\]/;
  const coresNeedle = 'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return navigator["hardwareConcurrency"]}';
  const fail = (what: string) => {
    throw new Error(`tfjs-backend-wasm changed: the ${what} patch (build/tfjs-wasm-threads-plugin.ts) no longer applies`);
  };
  return {
    name: 'tfjs-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(file)) {
        if (!code.includes(coresNeedle)) fail('thread-count');
        return { code: code.replace(coresNeedle, coresNeedle.replace('return navigator["hardwareConcurrency"]', 'return 2*navigator["hardwareConcurrency"]')), map: null };
      }
      if (!/tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(file)) return null;
      if (!needle.test(code)) fail('threaded-worker');
      const glue = readFileSync(join(dirname(file), '..', 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'), 'utf8');
      return { code: code.replace(needle, `[${JSON.stringify(glue)}]`), map: null };
    },
  };
}
