// Bundles a benchmark entry the way infra/build.mjs bundles a function (same esbuild options, code
// splitting included), into a scratch directory, so the figures come from the code as it ships.
import { build } from 'esbuild';
import { join } from 'node:path';
import { ENTRY_FILE, buildSplitBundle, commonEsbuildOptions, esbuildOptions, singleFileOptions } from '../../infra/build.mjs';

/**
 * `credentials`: 'lambda' (default) bundles as the functions ship, with credentials as Lambda
 * supplies them; 'sdk' keeps the SDK's whole default chain, as a bundle built without that choice has.
 * `split`: true (default) splits as the functions are split; false makes one file, what a dynamic
 * import() names inlined, as a bundle built without that choice is.
 * Answers the entry, `<outDir>/<name>/index.mjs`, with its chunks (if split) in `chunks/` beside it.
 * @param {string} entry
 * @param {string} outDir
 * @param {string} name
 * @param {{ credentials?: 'lambda' | 'sdk', split?: boolean }} [options]
 * @returns {Promise<{ file: string }>}
 */
export const bundleEntry = async (entry, outDir, name, { credentials = 'lambda', split = true } = {}) => {
  const options = { ...(credentials === 'sdk' ? commonEsbuildOptions(name) : esbuildOptions(name)), entryPoints: [entry], outdir: join(outDir, name), logLevel: /** @type {const} */ ('error') };
  if (split) return { file: (await buildSplitBundle(options)).entry };
  const file = join(outDir, name, ENTRY_FILE);
  await build(singleFileOptions(options, file));
  return { file };
};
