import { defineConfig } from 'vite';
import { resolve } from 'node:path';
import { tfjsWasmThreadsPlugin } from './build/tfjs-wasm-threads-plugin.ts';

export default defineConfig({
  plugins: [tfjsWasmThreadsPlugin()],
  // Training runs tfjs in a Web Worker, which Vite bundles with its own plugin list.
  worker: { plugins: () => [tfjsWasmThreadsPlugin()] },
  // `npm start` pre-bundles dependencies without Vite plugins: the patch goes to that bundler too.
  optimizeDeps: { rolldownOptions: { plugins: [tfjsWasmThreadsPlugin()] } },
  build: {
    target: 'es2022',
    // tfjs-core with four backends is about 1 MB minified; it is one app chunk by design.
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        runner: resolve(import.meta.dirname, 'runner.html'),
      },
    },
  },
  // Cross-origin isolation (as cli/hub-like-server.ts and public/sw.js give it): tfjs's threaded wasm build
  // needs SharedArrayBuffer to train on every core.
  server: { host: '127.0.0.1', headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
  preview: { host: '127.0.0.1', headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
});
