// npm run docs:guardrails: judges every operation of the request matrix under each guardrail with the independent IAM
// evaluator (test/support/guardrail-verdicts.ts) and writes the table into docs/AUDIT.md, between
// <!-- guardrail-verdicts:start --> and <!-- guardrail-verdicts:end -->; nothing else in the document changes.
// test/unit/prevention/guardrail-verdicts-doc.test.ts fails while the document holds another table.
//
// The table is computed by TypeScript that runs only in the tests: esbuild (which builds the functions) bundles it in
// memory, leaving every package to Node, and it is imported from there. The evaluator is a devDependency and stays one:
// nothing here is written to disk but the document.
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** @typedef {typeof import('../test/support/guardrail-verdicts.ts')} GuardrailVerdicts */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

/** @param {string} text */
const say = (text) => process.stdout.write(`docs:guardrails: ${text}\n`);

const args = process.argv.slice(2);
if (args.length > 0) {
  console.error(`docs:guardrails: unknown argument ${args.join(' ')} (usage: npm run docs:guardrails)`);
  process.exit(2);
}

/**
 * Packages stay outside the bundle, named by their resolved file URL: a module imported from a data: URL resolves no
 * bare specifier, and the evaluator reads its data files from beside its own code.
 * @type {import('esbuild').Plugin}
 */
const packagesByUrl = {
  name: 'packages-by-url',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path }) => ({ path: import.meta.resolve(path), external: true }));
  },
};

/** @returns {Promise<GuardrailVerdicts>} */
const loadGuardrailVerdicts = async () => {
  const { outputFiles } = await build({
    entryPoints: ['test/support/guardrail-verdicts.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    plugins: [packagesByUrl],
  });
  const [bundle] = outputFiles;
  if (bundle === undefined) throw new Error('esbuild wrote no bundle of test/support/guardrail-verdicts.ts');
  return import(`data:text/javascript;base64,${Buffer.from(bundle.contents).toString('base64')}`);
};

const { GUARDRAIL_COLUMNS, GUARDRAIL_VERDICTS_DOCUMENT, guardrailVerdicts, renderGuardrailVerdicts, withGuardrailVerdicts } = await loadGuardrailVerdicts();
const rows = await guardrailVerdicts();
const before = readFileSync(GUARDRAIL_VERDICTS_DOCUMENT, 'utf8');
const after = withGuardrailVerdicts(before, renderGuardrailVerdicts(rows));
const size = `${rows.length} operations × ${GUARDRAIL_COLUMNS.length} settings`;
if (after === before) {
  say(`${GUARDRAIL_VERDICTS_DOCUMENT} already holds the table (${size}): unchanged`);
} else {
  writeFileSync(GUARDRAIL_VERDICTS_DOCUMENT, after);
  say(`wrote the table (${size}) into ${GUARDRAIL_VERDICTS_DOCUMENT}`);
}
