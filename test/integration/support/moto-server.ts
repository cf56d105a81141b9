import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real S3/KMS/SNS/SQS endpoint for the integration tier: moto's server on a free loopback port,
 * started and stopped by the suite.
 */
export interface MotoServer {
  readonly endpoint: string;
  /** Clears every bucket, key, topic and queue. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const MOTO_COMMAND = ['python3', '-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'] as const;
export const MOTO_INSTALL_HINT = 'pip install "moto[server]"';

/** Null when moto's server can be started here; otherwise what is missing. */
export const motoUnavailableReason = (): string | null => {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask; print(moto.__version__)'], { encoding: 'utf8' });
  if (probe.error) return `python3 was not found (${probe.error.message}); install Python 3 and then ${MOTO_INSTALL_HINT}`;
  if (probe.status !== 0) return `moto's server is not installed for python3; install it with ${MOTO_INSTALL_HINT}`;
  return null;
};

const waitForPort = (child: ChildProcess): Promise<number> =>
  new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`moto did not report its port within 30 s:\n${seen}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with code ${code} before it was ready:\n${seen}`));
    });
    // A missing python3 is an 'error' event, not an exit: without a listener it would crash the run.
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`moto could not be started (${error.message}); ${MOTO_INSTALL_HINT}`));
    });
  });

/**
 * Fixes that make moto answer as S3 does where moto 5.2.1 does not (see the file for each one);
 * Python loads them at start-up from this folder, for the moto server only.
 */
const FIDELITY_FIXES = fileURLToPath(new URL('../../../scripts/moto-fidelity', import.meta.url));

export const startMotoServer = async (): Promise<MotoServer> => {
  const [command, ...args] = MOTO_COMMAND;
  const pythonPath = [FIDELITY_FIXES, process.env['PYTHONPATH']].filter(Boolean).join(delimiter);
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONPATH: pythonPath },
  });
  const port = await waitForPort(child);
  // Keep draining its output so the pipe never fills and blocks the server.
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        // Ended already, by itself or by a signal: 'exit' will not come again.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
};

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '123456789012';

/** The environment any AWS client (or a built bundle) needs to talk to this endpoint. */
export const motoEnvironment = (endpoint: string): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: TEST_REGION,
  AWS_DEFAULT_REGION: TEST_REGION,
  AWS_ENDPOINT_URL: endpoint,
  S3_FORCE_PATH_STYLE: 'true',
});

/** Client settings for tests that talk to moto directly. */
export const motoClientConfig = (endpoint: string) => ({
  region: TEST_REGION,
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});
