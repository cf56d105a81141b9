// Builds one minified, tree-shaken ESM bundle per function: its entry dist/<function>/index.mjs
// (the handler index.handler), which loads at cold start, and the parts that only some runs need
// (Security Hub's client, d3) as chunks in dist/<function>/chunks/, loaded by the entry's dynamic
// import() when a run needs them. The CLI is one file, dist/cli/enforcer.mjs.
// The banner, at the top of the entry and of every chunk, gives each module a real `require`,
// which CommonJS parts of the SDK call at run time (a module's own: one per file, valid in each).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {import('esbuild').BuildOptions & { metafile: true, outdir: string, banner: { js: string } }} BundleOptions */
/** @typedef {import('esbuild').BuildOptions & { metafile: true, outfile: string, banner: { js: string } }} SingleFileOptions */
/** @typedef {Record<string, { bytes: number, imports: { path: string, kind: string, external?: boolean }[] }>} ModuleGraph */

const FUNCTIONS_DIR = 'functions';
const OUT_DIR = 'dist';
/** A function's entry, in its bundle's directory; Lambda's handler `index.handler` names it. */
export const ENTRY_FILE = 'index.mjs';
/** The folder of a function's bundle holding its chunks. */
export const CHUNKS_DIR = 'chunks';

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
 * How every function bundle is built, with the SDK's own credential chain: code splitting, so that
 * what a dynamic import() names is a chunk loaded when the import runs, not code every cold start
 * evaluates. The entry keeps its place and name, dist/<name>/index.mjs.
 * @param {string} name
 * @returns {BundleOptions}
 */
export const commonEsbuildOptions = (name) => ({
  entryPoints: [join(FUNCTIONS_DIR, name, 'handler.ts')],
  outdir: join(OUT_DIR, name),
  splitting: true,
  entryNames: 'index',
  chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
  outExtension: { '.js': '.mjs' },
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

/** The options that make a bundle split, which one file does without. */
const SPLITTING_OPTIONS = new Set(['splitting', 'outdir', 'entryNames', 'chunkNames', 'outExtension']);

/**
 * The same bundle as one file: no code splitting, so what a dynamic import() names is inlined.
 * @param {BundleOptions} options
 * @param {string} outfile
 * @returns {SingleFileOptions}
 */
export const singleFileOptions = (options, outfile) => {
  const oneFile = Object.fromEntries(Object.entries(options).filter(([option]) => !SPLITTING_OPTIONS.has(option)));
  return /** @type {SingleFileOptions} */ ({ ...oneFile, outfile });
};

// The `enforcer` CLI (cli/enforcer.ts): the common options as one file, with the SDK's whole
// credential chain (AWS_PROFILE, SSO, …, as on anyone's machine), its own entry and output, and a
// `#!/usr/bin/env node` line before the require shim so the bundle runs as a command.
export const CLI_ENTRY = join('cli', 'enforcer.ts');
export const CLI_OUTFILE = join(OUT_DIR, 'cli', 'enforcer.mjs');

/** @returns {SingleFileOptions} */
export const cliEsbuildOptions = () => {
  const { banner, ...common } = singleFileOptions(commonEsbuildOptions('cli'), CLI_OUTFILE);
  return { ...common, entryPoints: [CLI_ENTRY], banner: { js: `#!/usr/bin/env node\n${banner.js}` } };
};

/**
 * The files of a split bundle, from its module graph (esbuild's metafile `outputs`, or the `inputs`
 * of a scan of the built files): those that load with the entry (it and every chunk reached through
 * static imports), those that load only when a dynamic import() runs, and those nothing imports
 * (esbuild writes a chunk for every dynamic import() it meets, even in code tree shaking removes).
 * @param {ModuleGraph} graph
 * @param {string} entry The entry's key in the graph.
 */
export const bundleParts = (graph, entry) => {
  /** @param {string[]} start @param {(kind: string) => boolean} follows */
  const reach = (start, follows) => {
    const seen = new Set(start);
    const queue = [...start];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const { path, kind, external } of graph[file]?.imports ?? []) {
        if (external || !follows(kind) || !(path in graph) || seen.has(path)) continue;
        seen.add(path);
        queue.push(path);
      }
    }
    return seen;
  };
  const atStart = reach([entry], (kind) => kind === 'import-statement');
  const reachable = reach([entry], (kind) => kind === 'import-statement' || kind === 'dynamic-import');
  const files = Object.keys(graph);
  const bytesOf = (/** @type {string[]} */ list) => list.reduce((sum, file) => sum + (graph[file]?.bytes ?? 0), 0);
  const startFiles = files.filter((file) => atStart.has(file));
  const neededFiles = files.filter((file) => reachable.has(file) && !atStart.has(file));
  return {
    atStart: { files: startFiles, bytes: bytesOf(startFiles) },
    whenNeeded: { files: neededFiles, bytes: bytesOf(neededFiles) },
    unused: files.filter((file) => !reachable.has(file)),
  };
};

/**
 * Builds a split bundle (options as `commonEsbuildOptions` gives them) and writes its entry and the
 * chunks the entry can load; a chunk nothing imports is not written, so it never ships. Answers the
 * entry's path and the bundle's parts.
 * @param {BundleOptions} options
 */
export const buildSplitBundle = async (options) => {
  const result = await build({ ...options, write: false });
  // The metafile names files relative to the working directory; the written files are absolute.
  const workingDir = options.absWorkingDir ?? process.cwd();
  const entry = join(options.outdir, ENTRY_FILE);
  const parts = bundleParts(result.metafile.outputs, relative(workingDir, resolve(workingDir, entry)));
  const loadable = new Set([...parts.atStart.files, ...parts.whenNeeded.files].map((file) => resolve(workingDir, file)));
  for (const output of result.outputFiles) {
    if (!loadable.has(output.path)) continue;
    mkdirSync(dirname(output.path), { recursive: true });
    writeFileSync(output.path, output.contents);
  }
  return { entry, parts };
};

const kib = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const chunkCount = (/** @type {number} */ count) => `${count} chunk${count === 1 ? '' : 's'}`;

/**
 * `built dist/<name>/index.mjs (<KiB> with the <n> chunks it imports; <KiB> more in <m> chunks loaded when needed)`
 * @param {string} entry
 * @param {ReturnType<typeof bundleParts>} parts
 */
export const describeBundle = (entry, { atStart, whenNeeded }) => {
  const imported = atStart.files.length - 1;
  const start = imported > 0 ? `${kib(atStart.bytes)} with the ${chunkCount(imported)} it imports` : kib(atStart.bytes);
  const later = whenNeeded.files.length > 0 ? `; ${kib(whenNeeded.bytes)} more in ${chunkCount(whenNeeded.files.length)} loaded when needed` : '';
  return `built ${entry} (${start}${later})`;
};

const main = async () => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  for (const name of functionNames()) {
    const { entry, parts } = await buildSplitBundle(esbuildOptions(name));
    console.log(describeBundle(entry, parts));
  }
  const cli = await build(cliEsbuildOptions());
  const cliBytes = Object.values(cli.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`built ${CLI_OUTFILE} (${kib(cliBytes)})`);
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
