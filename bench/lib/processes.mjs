// Child processes of the benchmark: each has a time limit, and all of them can be ended at once
// when the run is interrupted.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clearTimeout, setTimeout } from 'node:timers';

/** @import { ChildProcess } from 'node:child_process' */

/** @type {Set<ChildProcess>} */
const running = new Set();

/**
 * The error a child printed, without the minified source lines Node quotes around it.
 * @param {string} stderr
 */
export const errorSummary = (stderr) => {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = lines.find((line) => /^([A-Za-z]*Error|Error)\b.*:/.test(line)) ?? lines.at(-1) ?? '';
  return error.slice(0, 400);
};

/**
 * The environment every child gets: no AWS settings of the caller leak into a measurement.
 * @param {Record<string, string>} [extra]
 * @returns {Record<string, string>}
 */
export const childEnvironment = (extra = {}) => ({
  PATH: process.env.PATH ?? '',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  ...extra,
});

/**
 * Runs `node <args>` with stdout discarded (the functions' log lines) and resolves with the JSON
 * the child wrote to `resultFile`; its shape is the child's to declare, hence `unknown`.
 * @param {string[]} args
 * @param {{ resultFile: string, timeoutMs: number, env?: Record<string, string> }} options
 * @returns {Promise<unknown>}
 */
export const runNode = (args, { resultFile, timeoutMs, env = childEnvironment() }) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      if (timedOut) return reject(new Error(`stopped after ${Math.round(timeoutMs / 1000)} s`));
      if (code !== 0) return reject(new Error(`exit ${code}: ${errorSummary(stderr)}`));
      try {
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')));
      } catch (error) {
        reject(new Error(`no result from ${args.at(0)}: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  });

/** Ends every child still running (on Ctrl-C). */
export const stopChildren = () => {
  for (const child of running) child.kill('SIGKILL');
};
