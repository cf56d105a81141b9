// The machine the figures were measured on, and its load before the run.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { markdownTable } from '../lib/output.mjs';
import { fixed, mib } from '../lib/stats.mjs';

/**
 * @typedef {object} Machine
 * @property {string} cpu
 * @property {number} cores
 * @property {number} memory Bytes.
 * @property {string} node
 * @property {string} os
 * @property {string} date
 * @property {number[]} loadBefore Load average at the start (1, 5, 15 min).
 * @property {string} commit
 */

/** @returns {Machine} */
export const describeMachine = () => ({
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memory: totalmem(),
  node: process.version,
  os: `${type()} ${release()}`,
  date: new Date().toISOString(),
  loadBefore: loadavg(),
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown',
});

/** @param {readonly number[]} load */
export const loadText = (load, separator = ' ') => load.map((value) => fixed(value, 2)).join(separator);

/**
 * @param {Machine} machine
 * @returns {string[]}
 */
export const machineMarkdown = (machine) => [
  '## Machine',
  '',
  markdownTable(
    ['', ''],
    [
      ['date', machine.date],
      ['CPU', `${machine.cpu}, ${machine.cores} cores`],
      ['memory', mib(machine.memory)],
      ['OS', machine.os],
      ['Node', machine.node],
      ['load average at start (1, 5, 15 min)', loadText(machine.loadBefore, ', ')],
      ['commit', `${machine.commit} (plus any uncommitted changes)`],
    ],
  ),
  '',
];
