// npm run docs:reliability: reruns the suites that measure the enforcer's reliability and rewrites docs/RELIABILITY.md and
// docs/reliability/*.md from the sections they write, as `npm run bench` writes docs/BENCHMARKS.md. Test runs only ever
// write sections to .reliability/ (ignored by git), so the committed documents change here and nowhere else.
//
//   npm run docs:reliability              the unit and property suites, and the integration one where moto's server can
//                                         run; then the documents
//   npm run docs:reliability -- --no-run  the documents only, from the sections already in .reliability/ (left there by
//                                         `npm test` or by any tier run on its own)
//
// A section that was not produced keeps its committed text, and the command names it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COMMITTED_SECTIONS_DIRECTORY,
  RELIABILITY_DOCUMENT,
  RELIABILITY_SECTIONS,
  SECTIONS_DIRECTORY,
  assembleReliabilityDocument,
  sectionFileName,
} from './reliability-docs/sections.mjs';
import { motoUnavailableReason } from '../tooling/moto-server.mjs';

/** @import { ReliabilitySection } from './reliability-docs/sections.mjs' */

/**
 * Where a section of the document came from this time.
 * @typedef {{ section: ReliabilitySection, kind: 'fresh' | 'kept' | 'missing', origin: string }} Origin
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

/** @param {string} text */
const say = (text) => process.stdout.write(`docs:reliability: ${text}\n`);
/** @param {string} path */
const shown = (path) => relative(ROOT, path);
/** @param {string} path */
const read = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
/** @param {ReliabilitySection} section */
const freshPath = (section) => join(SECTIONS_DIRECTORY, sectionFileName(section.id));
/** @param {ReliabilitySection} section */
const committedPath = (section) => join(COMMITTED_SECTIONS_DIRECTORY, sectionFileName(section.id));

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--no-run');
if (unknown.length > 0) {
  console.error(`docs:reliability: unknown argument ${unknown.join(' ')} (usage: npm run docs:reliability [-- --no-run])`);
  process.exit(2);
}
const run = !args.includes('--no-run');

/** @param {readonly ReliabilitySection[]} sections */
const suitesOf = (sections) => [...new Set(sections.map((section) => section.suite))];

/**
 * Runs a command in the foreground; true when it succeeded.
 * @param {string} command
 * @param {string[]} commandArgs
 * @returns {boolean}
 */
const step = (command, commandArgs) => {
  say(`running ${[command, ...commandArgs].join(' ')}`);
  const result = spawnSync(command, commandArgs, { stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status === 0;
};

/** @type {string[]} */
const failures = [];
/** The sections taken from .reliability/; every other one keeps its committed text. */
let produced = RELIABILITY_SECTIONS;
if (run) {
  const inProcess = RELIABILITY_SECTIONS.filter((section) => section.project !== 'integration');
  const integration = RELIABILITY_SECTIONS.filter((section) => section.project === 'integration');
  // The same probe as the integration tier's: undefined when moto's server can run here, otherwise why not.
  const missing = motoUnavailableReason();
  produced = missing === undefined ? RELIABILITY_SECTIONS : inProcess;
  // Only what this run writes is taken: a section left by an earlier run must not pass for a fresh one.
  for (const section of produced) rmSync(freshPath(section), { force: true });

  if (!step('npx', ['vitest', 'run', '--project', 'unit', '--project', 'property', ...suitesOf(inProcess)])) {
    failures.push('the unit and property suites');
  }
  if (missing === undefined) {
    // The integration suite runs the built bundle.
    if (!step('npm', ['run', 'build']) || !step(process.execPath, ['test/integration/run-integration.mjs', ...suitesOf(integration)])) {
      failures.push('the integration suite');
    }
  } else {
    say(`integration suite not run: ${missing}; the ${integration.map((section) => section.id).join(' and ')} sections keep their committed text`);
  }
}

mkdirSync(COMMITTED_SECTIONS_DIRECTORY, { recursive: true });
const origins = RELIABILITY_SECTIONS.map(/** @returns {Origin} */ (section) => {
  const fresh = produced.includes(section) ? read(freshPath(section)) : undefined;
  if (fresh !== undefined) {
    writeFileSync(committedPath(section), fresh);
    return { section, kind: 'fresh', origin: `from ${shown(freshPath(section))}` };
  }
  const why = run ? 'not produced by this run' : `none in ${shown(SECTIONS_DIRECTORY)}/`;
  return existsSync(committedPath(section))
    ? { section, kind: 'kept', origin: `kept as committed: ${why}` }
    : { section, kind: 'missing', origin: `missing: ${why}, and none committed` };
});
writeFileSync(RELIABILITY_DOCUMENT, assembleReliabilityDocument((id) => read(join(COMMITTED_SECTIONS_DIRECTORY, sectionFileName(id)))));

const width = Math.max(...origins.map(({ section }) => shown(committedPath(section)).length));
for (const { section, origin } of origins) process.stdout.write(`  ${shown(committedPath(section)).padEnd(width)}  ${origin}\n`);
/** @param {Origin['kind']} kind */
const count = (kind) => origins.filter((item) => item.kind === kind).length;
say(`wrote ${shown(RELIABILITY_DOCUMENT)}: ${count('fresh')} of ${origins.length} sections new, ${count('kept')} as committed${count('missing') > 0 ? `, ${count('missing')} missing` : ''}`);
if (failures.length > 0) {
  say(`${failures.join(' and ')} failed (see above); their sections say what failed where they were written`);
  process.exit(1);
}
