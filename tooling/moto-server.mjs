// moto's server, a local S3/KMS/SNS/SQS/EventBridge endpoint, for the integration tier, `npm start`
// and the bench: one Python process on a free loopback port, with the fidelity fixes of
// scripts/moto-fidelity loaded into it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

export const MOTO_INSTALL_HINT = 'pip install "moto[server]"';

/**
 * Makes moto answer as S3 does where moto 5.2.1 does not (see the file for each fix). Python loads
 * it at start-up from PYTHONPATH, so it applies to this server process only.
 */
const FIDELITY_FIXES = fileURLToPath(new URL('../scripts/moto-fidelity', import.meta.url));

const READY_TIMEOUT_MS = 30_000;
/** How long a server has to end after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

/**
 * @typedef {object} MotoServer
 * @property {string} endpoint `http://127.0.0.1:<port>`
 * @property {() => Promise<void>} reset Clears every bucket, key, topic, queue and rule.
 * @property {() => Promise<void>} stop Ends the server (SIGTERM, then SIGKILL); resolves once it has exited.
 */

/**
 * Undefined when moto's server can be started here; otherwise what is missing and how to install it.
 * @returns {string | undefined}
 */
export const motoUnavailableReason = () => {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8' });
  if (probe.error) return `python3 was not found; install Python 3, then: ${MOTO_INSTALL_HINT}`;
  if (probe.status !== 0) return `moto's server is not installed for python3; install it with: ${MOTO_INSTALL_HINT}`;
  return undefined;
};

/**
 * Starts the server and resolves once it reports its port. A server that fails to start is killed;
 * one still running when this process exits is killed with it, so an interrupted run leaves none behind.
 * @returns {Promise<MotoServer>}
 */
export const startMotoServer = () =>
  new Promise((resolve, reject) => {
    const pythonPath = [existsSync(FIDELITY_FIXES) ? FIDELITY_FIXES : undefined, process.env['PYTHONPATH']].filter(Boolean).join(delimiter);
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONPATH: pythonPath },
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));

    let seen = '';
    const fail = (/** @type {string} */ message) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(`moto did not report its port within ${READY_TIMEOUT_MS / 1000} s:\n${seen}`), READY_TIMEOUT_MS);
    const onExit = (/** @type {number | null} */ code) => fail(`moto exited with code ${code} before it was ready:\n${seen}`);
    // A missing python3 is an 'error' event, not an exit: without a listener it would crash the caller.
    const onError = (/** @type {Error} */ error) => fail(`moto could not be started (${error.message}); ${MOTO_INSTALL_HINT}`);
    const onData = (/** @type {Buffer} */ chunk) => {
      seen += chunk.toString();
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.removeListener('data', onData);
      child.stderr.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      // Drained from now on, so a full pipe never blocks the server.
      child.stdout.resume();
      child.stderr.resume();
      const endpoint = `http://127.0.0.1:${match[1]}`;
      resolve({
        endpoint,
        async reset() {
          const response = await globalThis.fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
          if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
        },
        stop: () =>
          new Promise((done) => {
            // Ended already, by itself or by a signal: 'exit' will not come again.
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
