// Bundles a benchmark entry the way infra/build.mjs bundles a function (same esbuild options),
// into a scratch directory, so the figures come from the code as it ships.
import { build } from 'esbuild';
import { join } from 'node:path';
import { esbuildOptions } from '../../infra/build.mjs';

export const bundleEntry = async (entry, outDir, name) => {
  const outfile = join(outDir, name, 'index.mjs');
  const result = await build({ ...esbuildOptions(name), entryPoints: [entry], outfile, logLevel: 'error' });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { outfile, bytes };
};
