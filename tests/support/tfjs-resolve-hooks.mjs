// tfjs-core's ESM build (dist/*.js) imports directories and extensionless paths, which bundlers accept and
// Node's ESM loader does not. Training needs its gradient registrations (dist/register_all_gradients.js,
// absent from the CommonJS build Node otherwise loads), so Node tests resolve those paths as a bundler would.
export async function resolve(specifier, context, nextResolve) {
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
