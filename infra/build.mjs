// Builds one minified, tree-shaken ESM bundle per function: dist/<function>/index.mjs.
// The banner gives the bundle a real `require`, which CommonJS parts of the SDK call at run time.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FUNCTIONS_DIR = 'functions';
const OUT_DIR = 'dist';

export const functionNames = () =>
  readdirSync(FUNCTIONS_DIR).filter((name) => statSync(join(FUNCTIONS_DIR, name, 'handler.ts'), { throwIfNoEntry: false })?.isFile());

export const esbuildOptions = (name) => ({
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

const main = async () => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const names = functionNames();
  for (const name of names) {
    const result = await build(esbuildOptions(name));
    const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    console.log(`built ${join(OUT_DIR, name, 'index.mjs')} (${(bytes / 1024).toFixed(0)} KiB)`);
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
