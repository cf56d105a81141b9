// Bundles a benchmark entry the way infra/build.mjs bundles a function (same esbuild options),
// into a scratch directory, so the figures come from the code as it ships.
import { build } from 'esbuild';
import { join } from 'node:path';
import { commonEsbuildOptions, esbuildOptions } from '../../infra/build.mjs';

/**
 * `credentials`: 'lambda' (default) bundles as the functions ship, with credentials as Lambda
 * supplies them; 'sdk' keeps the SDK's whole default chain, as a bundle built without that choice has.
 * @param {string} entry
 * @param {string} outDir
 * @param {string} name
 * @param {{ credentials?: 'lambda' | 'sdk' }} [options]
 * @returns {Promise<{ outfile: string, bytes: number }>}
 */
export const bundleEntry = async (entry, outDir, name, { credentials = 'lambda' } = {}) => {
  const outfile = join(outDir, name, 'index.mjs');
  const options = credentials === 'sdk' ? commonEsbuildOptions(name) : esbuildOptions(name);
  const result = await build({ ...options, entryPoints: [entry], outfile, logLevel: 'error' });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { outfile, bytes };
};
