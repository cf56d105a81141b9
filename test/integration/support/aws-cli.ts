import { spawn, spawnSync } from 'node:child_process';
import { TEST_REGION } from './moto-server.js';

/**
 * The AWS CLI as a second client of the moto endpoint: it uploads the way users do from a shell
 * (in parts above 8 MB, with checksums), which the SDK-built fixtures do not.
 */

export const AWS_CLI_INSTALL_HINT = 'pip install awscli';

/** A run must not outlive the test that started it. */
const RUN_LIMIT_MS = 120_000;

const KEPT_OUT = new Set(['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3']);

/** Null when `aws` can be run here; otherwise what is missing. */
export const awsCliUnavailableReason = (): string | null => {
  const probe = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `the AWS CLI (aws) was not found on PATH (${probe.error.message}); install it with ${AWS_CLI_INSTALL_HINT}`;
  if (probe.status !== 0) return `\`aws --version\` exited with ${probe.status}: ${`${probe.stderr}${probe.stdout}`.trim()}`;
  return null;
};

/**
 * Runs `aws --endpoint-url <endpoint> ...args` with moto's test credentials. The caller's profile,
 * config and session token are kept out: settings such as a multipart threshold would change what
 * is uploaded. `code` is -1 when the run ended by a signal (the time limit included).
 */
export const runAwsCli = (endpoint: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> =>
  new Promise((resolve, reject) => {
    const inherited = Object.entries(process.env).filter(([name]) => !KEPT_OUT.has(name));
    const child = spawn('aws', ['--endpoint-url', endpoint, ...args], {
      env: {
        ...Object.fromEntries(inherited),
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_DEFAULT_REGION: TEST_REGION,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    // A missing `aws` is an 'error' event, not an exit.
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`the AWS CLI could not be started (${error.message}); ${AWS_CLI_INSTALL_HINT}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1 });
    });
  });
