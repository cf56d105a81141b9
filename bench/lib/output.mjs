// How the bench reports: lines on the terminal as it goes, and each section's part of
// docs/BENCHMARKS.md — its markdown and its rows of the summary.
import { renderTable } from '../../tooling/text-table.mjs';
import { fixed } from './stats.mjs';

/**
 * One figure in the summary: what was measured, its value, its target and the verdict.
 * @typedef {{ figure: string, value: string, target: string, result: string }} SummaryRow
 */

/**
 * What a section hands back: its rows of the summary and its section of the document.
 * @typedef {{ summary: SummaryRow[], markdown: string[] }} SectionReport
 */

/** @typedef {string | number} Cell */

export const say = (text = '') => process.stdout.write(`${text}\n`);

/** @param {boolean} met */
export const verdict = (met) => (met ? 'MET' : 'MISSED');

/** The verdicts against the bare SDK's ceiling. @param {boolean} met */
export const passFail = (met) => (met ? 'PASS' : 'FAIL');

/**
 * One verdict against the bare SDK's ceiling measured in the same run, as one line:
 * `enforce, compliant: 352.9 objects/s = 0.962 × SDK ceiling 366.8 objects/s (target ≥ 0.95) PASS`.
 * @param {{ name: string, value: string, ratio: number, ceiling: string, target: string, result: string }} figure
 */
export const ceilingVerdict = ({ name, value, ratio, ceiling, target, result }) => `${name}: ${value} = ${fixed(ratio, 3)} × SDK ceiling ${ceiling} (target ${target}) ${result}`;

/**
 * Rows of cells as aligned text columns, the first row the header.
 * @param {readonly (readonly Cell[])[]} rows
 * @param {string} [indent]
 */
export const columns = (rows, indent = '  ') => {
  const [header = [], ...body] = rows.map((row) => row.map(String));
  return renderTable(header, body)
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
};

/**
 * @param {readonly Cell[]} header
 * @param {readonly (readonly Cell[])[]} rows
 */
export const markdownTable = (header, rows) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map((cell) => String(cell).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
