import type { Plugin } from 'vite';

/**
 * tfjs-backend-wasm starts its pthread workers from a Blob made of `wasmFactoryThreadedSimd.toString()`. Once a
 * bundler has wrapped and minified that factory, its source names variables of the bundle's scope, and every
 * worker dies with "ReferenceError: e is not defined": the threaded build hangs on start. This plugin hands the
 * workers the untouched Emscripten glue file instead (it defines `WasmBackendModuleThreadedSimd` itself).
 *
 * It also lifts tfjs's thread cap: the wasm code takes half of `navigator.hardwareConcurrency` as its core count
 * (assuming two hyper-threads per core) and never uses more threads than that, so a 2-core machine trained on one.
 * The glue reports twice the logical cores to that one call, and `setThreadsCount` (src/backend/wasm.ts) picks.
 */
export function tfjsWasmThreadsPlugin(): Plugin {
  const needle = /\[\s*`var WasmBackendModuleThreadedSimd = `\s*\+\s*wasmFactoryThreadedSimd\.toString\(\)\s*\]/;
  const coresNeedle = 'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return navigator["hardwareConcurrency"]}';
  return {
    name: 'tfjs-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      if (/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id.split('?')[0]) && !id.includes('?raw')) {
        if (!code.includes(coresNeedle)) this.error('tfjs-backend-wasm changed: the thread-count patch (build/tfjs-wasm-threads-plugin.ts) no longer applies');
        return { code: code.replace(coresNeedle, 'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return 2*navigator["hardwareConcurrency"]}'), map: null };
      }
      if (!/tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(id.split('?')[0])) return null;
      if (!needle.test(code)) this.error('tfjs-backend-wasm changed: the threaded-worker patch (build/tfjs-wasm-threads-plugin.ts) no longer applies');
      const patched = code.replace(needle, '[__tfjsThreadedGlue]');
      return { code: `import __tfjsThreadedGlue from '../wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';\n${patched}`, map: null };
    },
  };
}
