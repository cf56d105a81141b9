// Builds one minified, tree-shaken ESM bundle per function: dist/<function>/index.mjs.
// The banner gives the bundle a real `require`, which CommonJS parts of the SDK call at run time.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {import('esbuild').BuildOptions & { metafile: true, outfile: string, banner: { js: string } }} BundleOptions */

const FUNCTIONS_DIR = 'functions';
const OUT_DIR = 'dist';

export const functionNames = () =>
  readdirSync(FUNCTIONS_DIR).filter((name) => statSync(join(FUNCTIONS_DIR, name, 'handler.ts'), { throwIfNoEntry: false })?.isFile());

/**
 * The functions take credentials as Lambda supplies them (shared/aws/lambda-credentials.ts) instead
 * of the SDK's whole default chain, which every client imports from this package: profiles, SSO,
 * web identity and instance metadata never apply inside Lambda, and leaving them out takes about
 * 100 KiB off each bundle and its cold start. The CLI keeps the whole chain.
 */
export const LAMBDA_CREDENTIALS_ALIAS = {
  '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../shared/aws/lambda-credentials.ts', import.meta.url)),
};

/**
 * How every bundle is built, with the SDK's own credential chain.
 * @param {string} name
 * @returns {BundleOptions}
 */
export const commonEsbuildOptions = (name) => ({
  entryPoints: [join(FUNCTIONS_DIR, name, 'handler.ts')],
  outfile: join(OUT_DIR, name, 'index.mjs'),
  bundle: true,
  minify: true,
  treeShaking: true,
  sourcemap: false,
  format: 'esm',
  platform: 'node',
  // Runs on Node >= 20.19 locally and on the nodejs22.x (or newer) Lambda runtime.
  target: 'node20.19',
  mainFields: ['module', 'main'],
  legalComments: 'none',
  metafile: true,
  banner: {
    js: "import { createRequire as __enforcerCreateRequire } from 'node:module'; const require = __enforcerCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

/**
 * A function's bundle: the common options, with credentials as Lambda supplies them.
 * @param {string} name
 * @returns {BundleOptions}
 */
export const esbuildOptions = (name) => ({ ...commonEsbuildOptions(name), alias: LAMBDA_CREDENTIALS_ALIAS });

// The `enforcer` CLI (cli/enforcer.ts): the common options with the SDK's whole credential chain
// (AWS_PROFILE, SSO, …, as on anyone's machine), its own entry and output, and a
// `#!/usr/bin/env node` line before the require shim so the bundle runs as a command.
export const CLI_ENTRY = join('cli', 'enforcer.ts');
export const CLI_OUTFILE = join(OUT_DIR, 'cli', 'enforcer.mjs');

/** @returns {BundleOptions} */
export const cliEsbuildOptions = () => {
  const { banner, ...common } = commonEsbuildOptions('cli');
  return { ...common, entryPoints: [CLI_ENTRY], outfile: CLI_OUTFILE, banner: { js: `#!/usr/bin/env node\n${banner.js}` } };
};

const main = async () => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const names = functionNames();
  for (const name of names) {
    const result = await build(esbuildOptions(name));
    const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    console.log(`built ${join(OUT_DIR, name, 'index.mjs')} (${(bytes / 1024).toFixed(0)} KiB)`);
  }
  const cli = await build(cliEsbuildOptions());
  const cliBytes = Object.values(cli.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`built ${CLI_OUTFILE} (${(cliBytes / 1024).toFixed(0)} KiB)`);
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
