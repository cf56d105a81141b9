// The built bundles, run as Lambda runs them: each invocation in a fresh Node process (a cold
// start: the bundle reads its configuration from the environment it is given), with a /tmp of its
// own — the member audit and the merge clear what a stopped run left in their /tmp, so two
// invocations must never share one — and the context of a function in the account it runs in.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLine } from '../../../tooling/lambda-environment.mjs';
import { newestSource } from '../functions.mjs';

/** @import { ChildProcess } from 'node:child_process' */

/**
 * @typedef {object} BundleInvocation
 * @property {unknown} [result] What the handler returned.
 * @property {{ errorType: string, errorMessage: string }} [error] What it threw, as Lambda reports it.
 * @property {Record<string, unknown>[]} logs Its structured log lines (stdout, then stderr).
 * @property {string[]} text Its other output lines.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const RUNTIME = fileURLToPath(new URL('lambda-runtime.mjs', import.meta.url));
/** Longer than any of these invocations takes here; one still running then is killed, as Lambda ends it. */
const INVOCATION_LIMIT_MS = 120_000;

/** @param {string} name A folder of dist/. */
const bundleOf = (name) => join(ROOT, 'dist', name, 'index.mjs');

/**
 * Runs `npm run build` (infra/build.mjs) when a bundle is missing or older than a source; false if the build failed.
 * @param {readonly string[]} names
 * @param {(line: string) => void} say
 */
export const ensureBundles = (names, say) => {
  const built = names.map((name) => statSync(bundleOf(name), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  if (Math.min(...built) > newestSource()) return true;
  say('Building the bundles (npm run build)…');
  return spawnSync(process.execPath, [join(ROOT, 'infra', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' }).status === 0;
};

/** @type {Set<ChildProcess>} */
const running = new Set();
/** The invocations' own directories (event, answer, /tmp), until each is removed. @type {Set<string>} */
const directories = new Set();

/** Set once stopping: an invocation asked for afterwards (a catcher's, say) is refused, not started. */
let stopped = false;

/** Whatever is left when this process exits, however it exits. */
const removeLeftovers = () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  directories.clear();
};
process.once('exit', removeLeftovers);

/** Kills every invocation still running, and removes what they left (on the way out, or on Ctrl-C). */
export const stopInvocations = async () => {
  stopped = true;
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise((ended) => {
          if (child.exitCode !== null || child.signalCode !== null) return ended(undefined);
          child.once('close', () => ended(undefined));
          child.kill('SIGKILL');
        }),
    ),
  );
  removeLeftovers();
};

/**
 * One invocation of a built bundle, in a new process.
 * @param {object} options
 * @param {string} options.bundle The folder of dist/ (`audit-member-account`).
 * @param {string} options.functionName The deployed function's name, as its context reports it.
 * @param {string} options.account The account the function runs in.
 * @param {Record<string, string>} options.env Its environment variables: configuration, endpoints, credentials.
 * @param {unknown} options.event
 * @returns {Promise<BundleInvocation>}
 */
export const invokeBundle = async ({ bundle, functionName, account, env, event }) => {
  if (stopped) throw new Error(`not invoking ${functionName}: the run is stopping`);
  const dir = mkdtempSync(join(tmpdir(), `local-lambda-${bundle}-`));
  directories.add(dir);
  const lambdaTmp = join(dir, 'tmp');
  mkdirSync(lambdaTmp);
  try {
    const eventFile = join(dir, 'event.json');
    const outFile = join(dir, 'out.json');
    writeFileSync(eventFile, JSON.stringify(event));
    const child = spawn(process.execPath, [RUNTIME, functionName, bundleOf(bundle), account, eventFile, outFile], {
      env: {
        PATH: process.env['PATH'] ?? '',
        TMPDIR: lambdaTmp,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (/** @type {Buffer} */ chunk) => (stdout += chunk.toString()));
    child.stderr.on('data', (/** @type {Buffer} */ chunk) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), INVOCATION_LIMIT_MS);
    const code = await new Promise((done) => {
      child.once('error', () => done(-1));
      child.once('close', done);
    }).finally(() => {
      clearTimeout(timer);
      running.delete(child);
    });
    const lines = `${stdout}\n${stderr}`.split('\n').filter((line) => line.trim() !== '');
    const logs = lines.flatMap((line) => {
      const log = parseLogLine(line);
      return log ? [log] : [];
    });
    const text = lines.filter((line) => parseLogLine(line) === undefined);
    let outcome;
    try {
      outcome = JSON.parse(readFileSync(outFile, 'utf8'));
    } catch {
      const errorMessage = `the process ended (${code}) with no answer${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;
      return { error: { errorType: 'Runtime.ExitError', errorMessage }, logs, text };
    }
    return { ...outcome, logs, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    directories.delete(dir);
  }
};
