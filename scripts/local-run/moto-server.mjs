// moto's server on a free loopback port, stopped with everything else.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onStop } from './shutdown.mjs';

export const INSTALL_HINT = 'pip install "moto[server]"';
/** moto 5.2.1 answers as S3 does where it otherwise would not (DSSE-KMS key ids, multipart headers). */
const MOTO_FIDELITY = fileURLToPath(new URL('../moto-fidelity', import.meta.url));

/** Why moto's server cannot be started here, or undefined when it can. */
export const motoMissing = () => {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8' });
  if (probe.error) return `python3 was not found. Install Python 3, then: ${INSTALL_HINT}`;
  if (probe.status !== 0) return `moto's server is not installed for python3. Install it with: ${INSTALL_HINT}`;
  return undefined;
};

/** Resolves with the endpoint. The server is registered for stopping before it is ready, so a failed start leaves nothing behind. */
export const startMoto = () =>
  new Promise((resolve, reject) => {
    const pythonPath = [existsSync(MOTO_FIDELITY) ? MOTO_FIDELITY : undefined, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONPATH: pythonPath },
    });
    onStop(
      () =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
        }),
    );
    process.once('exit', () => child.kill('SIGKILL'));
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`moto did not report its port within 30 s:\n${seen}`)), 30_000);
    const onData = (chunk) => {
      seen += chunk;
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.removeListener('data', onData);
      child.stderr.removeListener('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve(`http://127.0.0.1:${match[1]}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`moto could not be started (${error.message}). ${INSTALL_HINT}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with code ${code} before it was ready:\n${seen}`));
    });
  });
