// tfjs-core's ESM build (dist/*.js) imports directories and extensionless paths, which bundlers accept and
// Node's ESM loader does not. Training needs its gradient registrations (dist/register_all_gradients.js,
// absent from the CommonJS build Node otherwise loads), so Node tests resolve those paths as a bundler would.
export async function resolve(specifier, context, nextResolve) {
  // Vite's `import url from './file.wasm?url'`: here the URL is a data: URL of the file, which fetch reads in Node.
  if (specifier.endsWith('.wasm?url')) {
    const file = await nextResolve(specifier.slice(0, -'?url'.length), context);
    return { url: `${file.url}?url`, shortCircuit: true, format: 'module' };
  }
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromTfjs = context.parentURL?.includes('/@tensorflow/');
    if (!fromTfjs || !specifier.startsWith('.')) throw error;
    if (error.code !== 'ERR_UNSUPPORTED_DIR_IMPORT' && error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    // As a bundler does: `./x` is `./x.js` when that file exists, else `./x/index.js`.
    try {
      return await nextResolve(`${specifier}.js`, context);
    } catch {
      return nextResolve(`${specifier}/index.js`, context);
    }
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.wasm?url')) return nextLoad(url, context);
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(new URL(url.slice(0, -'?url'.length)));
  return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(`data:application/wasm;base64,${bytes.toString('base64')}`)};` };
}
