// The sections of docs/RELIABILITY.md: which suite writes each, where, and how the document is put together from them.
// Shared by the suites (through test/fixtures/reliability-report.ts) and by `npm run docs:reliability`.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @import { ReliabilitySection, ReliabilitySectionId } from './sections.d.mts' */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a suite writes its section when it runs. Ignored by git: a test run leaves the work tree as it was. */
export const SECTIONS_DIRECTORY_NAME = '.reliability';
export const SECTIONS_DIRECTORY = join(ROOT, SECTIONS_DIRECTORY_NAME);
/** The committed sections, and the document assembled from them. */
export const COMMITTED_SECTIONS_DIRECTORY = join(ROOT, 'docs', 'reliability');
export const RELIABILITY_DOCUMENT = join(ROOT, 'docs', 'RELIABILITY.md');

/**
 * In document order. A section with `within` is a subsection of that one, placed right after it. `project` is the vitest
 * project that runs `suite`; the integration one needs moto's server.
 * @type {readonly ReliabilitySection[]}
 */
export const RELIABILITY_SECTIONS = Object.freeze([
  { id: 'fault-injection', title: 'Fault injection: every AWS call × every fault × every trigger', project: 'unit', suite: 'test/unit/reliability/fault-injection.test.ts' },
  { id: 'malformed-input', title: 'Malformed and adversarial input', project: 'property', suite: 'test/property/reliability/malformed-input.test.ts' },
  { id: 'races', title: 'Races', project: 'property', suite: 'test/property/reliability/races.test.ts' },
  { id: 'races-moto', title: 'On moto', within: 'races', project: 'integration', suite: 'test/integration/enforce-object-encryption.integrity.test.ts' },
  { id: 'integrity', title: 'Data integrity on moto', project: 'integration', suite: 'test/integration/enforce-object-encryption.integrity.test.ts' },
  { id: 'security', title: 'Security checks', project: 'unit', suite: 'test/unit/reliability/security.test.ts' },
  { id: 'audit-fault-injection', title: 'The nightly audit: every AWS call × every fault', project: 'unit', suite: 'test/unit/reliability/audit-fault-injection.test.ts' },
  { id: 'audit-policy-fuzz', title: 'The nightly audit: generated bucket and key policies', project: 'property', suite: 'test/property/reliability/audit-policy-fuzz.test.ts' },
]);

/**
 * @param {ReliabilitySectionId} id
 * @returns {string}
 */
export const sectionFileName = (id) => `${id}.md`;

/** @param {ReliabilitySection} section */
const placeholder = (section) =>
  `_Not produced yet: \`npm run docs:reliability\` writes it from ${section.suite}${section.project === 'integration' ? ', which needs moto\'s server' : ''}._`;

/**
 * The whole document, from `sectionText(id)`: a section's Markdown, or undefined where there is none.
 * @param {(id: ReliabilitySectionId) => string | undefined} sectionText
 * @returns {string}
 */
export const assembleReliabilityDocument = (sectionText) => {
  const parts = [
    '# Reliability',
    '',
    'Measured by the test suites, each of which writes its own section to `.reliability/` (ignored by git) when it runs.',
    '`npm run docs:reliability` reruns them, copies the sections they wrote to `docs/reliability/` (a section that was not',
    'produced, such as the integration tier\'s without moto, keeps its committed text) and puts this document together from',
    'those. Do not edit it by hand.',
    '',
    'Scope: the enforce function (`functions/enforce-object-encryption`) and the nightly audit',
    '(`functions/audit-encryption`).',
    '',
    'The mutation score of the pure core and the audit checks is measured apart, by `npm run test:mutation` (too slow for the',
    'test command): [reliability/mutation.md](reliability/mutation.md).',
    '',
  ];
  /** @param {ReliabilitySection} section */
  const body = (section) => sectionText(section.id)?.trim() || placeholder(section);
  for (const section of RELIABILITY_SECTIONS.filter((item) => item.within === undefined)) {
    parts.push(`## ${section.title}`, '', body(section), '');
    for (const subsection of RELIABILITY_SECTIONS.filter((item) => item.within === section.id)) {
      parts.push(`### ${subsection.title}`, '', body(subsection), '');
    }
  }
  return `${parts.join('\n').trimEnd()}\n`;
};
