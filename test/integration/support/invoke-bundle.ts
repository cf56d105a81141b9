import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLine } from '../../../tooling/lambda-environment.mjs';

export interface BundleRun {
  /** What the handler returned (undefined when it threw). */
  readonly result: unknown;
  /** The message of what the handler, or loading the bundle, threw. */
  readonly error?: string;
  /**
   * Every structured log line the bundle wrote, parsed: stdout, then stderr (Lambda sends both to
   * CloudWatch, and Powertools writes warnings and errors to stderr).
   */
  readonly logs: readonly Record<string, unknown>[];
  readonly stderr: string;
}

const INVOKE_ONCE = fileURLToPath(new URL('../../../tooling/invoke-bundle-once.mjs', import.meta.url));

/** Under the integration tier's 60 s test timeout. */
const BUNDLE_RUN_LIMIT_MS = 50_000;

/**
 * Runs a built bundle's handler in a fresh Node process, from its file, with the given environment:
 * exactly what Lambda does, and a new cold start (configuration read again) every time.
 */
export const invokeBundle = async (
  functionName: string,
  event: unknown,
  env: Record<string, string>,
): Promise<BundleRun> => {
  const dir = mkdtempSync(join(tmpdir(), 'enforcer-invoke-'));
  try {
    const eventFile = join(dir, 'event.json');
    const outFile = join(dir, 'out.json');
    writeFileSync(eventFile, JSON.stringify(event));
    const bundle = resolve('dist', functionName, 'index.mjs');
    const child = spawn(process.execPath, [INVOKE_ONCE, functionName, bundle, eventFile, outFile], {
      env: { PATH: process.env['PATH'] ?? '', POWERTOOLS_METRICS_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_LAMBDA_FUNCTION_NAME: functionName, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A bundle that never returns must not outlive the test that ran it.
    const timer = setTimeout(() => child.kill('SIGKILL'), BUNDLE_RUN_LIMIT_MS);
    const code = await new Promise<number | null>((done) => child.once('close', done)).finally(() => clearTimeout(timer));
    let outcome: { result?: unknown; error?: string };
    try {
      outcome = JSON.parse(readFileSync(outFile, 'utf8')) as typeof outcome;
    } catch {
      throw new Error(`bundle run for ${functionName} ended with code ${code} and no result:\n${stderr}\n${stdout}`);
    }
    const logs = `${stdout}\n${stderr}`.split('\n').flatMap((line) => {
      const log = parseLogLine(line);
      return log ? [log] : [];
    });
    return { result: outcome.result, ...(outcome.error !== undefined ? { error: outcome.error } : {}), logs, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
