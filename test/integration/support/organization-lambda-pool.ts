import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLogLine } from '../../../tooling/lambda-environment.mjs';
import { TEST_ACCOUNT, TEST_REGION } from './moto-server.js';

/**
 * A built function's bundle run as Lambda runs it: execution environments (one Node process each,
 * with a /tmp of its own) that import the bundle once — the cold start — and then take one
 * invocation at a time, warm; a new environment only when every one is busy, up to a limit, as
 * Lambda scales a function. The organization audit's functions rely on exactly that (the member
 * audit clears what a stopped run left in its /tmp), so invocations must never share one.
 */
export interface FunctionInvocation {
  /** What the handler returned (null for nothing, as Lambda answers). */
  readonly result?: unknown;
  /** What it threw, as Lambda reports a function error. */
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
  /** The structured log lines the invocation wrote. */
  readonly logs: readonly Record<string, unknown>[];
}

export interface FunctionPool {
  readonly functionName: string;
  /** `arn:aws:lambda:<region>:<account>:function:<name>`, as its context reports it. */
  readonly functionArn: string;
  invoke(event: unknown): Promise<FunctionInvocation>;
  /** Environments started so far (cold starts). */
  readonly coldStarts: number;
  /** The most invocations that were running at once. */
  readonly peakConcurrency: number;
  stop(): Promise<void>;
}

export interface FunctionPoolOptions {
  /** The function's environment variables (configuration, endpoints, credentials). */
  readonly env: Record<string, string>;
  /** Environments at most: the function's concurrency. */
  readonly maxEnvironments?: number;
  /** The function's timeout: an invocation still running then ends as Lambda ends it, with its environment. */
  readonly timeoutMs?: number;
}

const LAMBDA_ENVIRONMENT = new URL('../../../tooling/lambda-environment.mjs', import.meta.url).href;

/**
 * The runtime loop of one environment: imports the bundle at start, then answers each invocation
 * message with what the handler returned or threw and the lines it wrote meanwhile.
 */
const RUNTIME = `
import { captureOutput, importHandler, lambdaContext } from ${JSON.stringify(LAMBDA_ENVIRONMENT)};
const [functionName, bundleFile, account, region] = process.argv.slice(-4);
const loading = importHandler(bundleFile).then((handler) => ({ handler }), (error) => ({ error }));
// The test process is gone: so is this environment.
process.on('disconnect', () => process.exit(0));
process.on('message', async ({ id, event, timeoutMs }) => {
  const loaded = await loading;
  if (loaded.error) {
    process.send({ id, error: { errorType: 'Runtime.ImportModuleError', errorMessage: String(loaded.error?.message ?? loaded.error) }, lines: [] });
    return;
  }
  const context = lambdaContext(functionName, { timeoutMs, requestId: 'pool-' + id, account, region });
  const { result, error, lines } = await captureOutput(() => loaded.handler(event, context));
  const failed = error !== undefined;
  process.send({ id, ...(failed ? { error: { errorType: String(error?.name ?? 'Error'), errorMessage: String(error?.message ?? error) } } : { result: result ?? null }), lines });
});
`;

interface Environment {
  readonly child: ChildProcess;
  readonly tmp: string;
  busy: boolean;
  ended: boolean;
  /** The invocation it is running. */
  current: number | undefined;
}

interface Answer {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { errorType: string; errorMessage: string };
  readonly lines: string[];
}

export const startFunctionPool = (functionName: string, options: FunctionPoolOptions): FunctionPool => {
  const bundle = resolve('dist', functionName, 'index.mjs');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  const maxEnvironments = options.maxEnvironments ?? 4;
  const timeoutMs = options.timeoutMs ?? 50_000;
  const environments: Environment[] = [];
  const waiting: ((environment: Environment) => void)[] = [];
  const pending = new Map<number, (answer: Answer) => void>();
  let nextId = 0;
  let running = 0;
  let peak = 0;
  let coldStarts = 0;

  const start = (): Environment => {
    const tmp = mkdtempSync(join(tmpdir(), `lambda-${functionName}-`));
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNTIME, functionName, bundle, TEST_ACCOUNT, TEST_REGION], {
      env: {
        PATH: process.env['PATH'] ?? '',
        TMPDIR: tmp,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // What the cold start writes is not any invocation's; it is drained so the pipe never blocks.
    child.stdout?.resume();
    child.stderr?.resume();
    const environment: Environment = { child, tmp, busy: false, ended: false, current: undefined };
    child.on('message', (answer: Answer) => pending.get(answer.id)?.(answer));
    child.once('exit', (code, signal) => {
      environment.ended = true;
      // An environment that dies mid-invocation fails that invocation, as Lambda reports it.
      if (environment.current !== undefined) {
        pending.get(environment.current)?.({ id: environment.current, error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: pool-${environment.current} Error: Runtime exited (${signal ?? `code ${code}`})` }, lines: [] });
      }
      environments.splice(environments.indexOf(environment), 1);
      rmSync(tmp, { recursive: true, force: true });
    });
    environments.push(environment);
    coldStarts += 1;
    return environment;
  };

  const acquire = (): Promise<Environment> => {
    const idle = environments.find((environment) => !environment.busy && !environment.ended);
    const environment = idle ?? (environments.length < maxEnvironments ? start() : undefined);
    if (environment) {
      environment.busy = true;
      return Promise.resolve(environment);
    }
    return new Promise((handed) => waiting.push(handed));
  };

  const release = (environment: Environment): void => {
    const next = waiting.shift();
    if (!next) {
      environment.busy = false;
      return;
    }
    if (!environment.ended) return next(environment);
    // Its environment was ended (a timeout): the next invocation gets a fresh one.
    const fresh = start();
    fresh.busy = true;
    next(fresh);
  };

  const invoke = async (event: unknown): Promise<FunctionInvocation> => {
    const environment = await acquire();
    running += 1;
    peak = Math.max(peak, running);
    const id = (nextId += 1);
    try {
      const answer = await new Promise<Answer>((answered) => {
        const timer = setTimeout(() => {
          environment.child.kill('SIGKILL');
          answered({ id, error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }, lines: [] });
        }, timeoutMs);
        pending.set(id, (received) => {
          clearTimeout(timer);
          answered(received);
        });
        environment.current = id;
        environment.child.send({ id, event, timeoutMs });
      });
      const logs = answer.lines.flatMap((line) => {
        const log = parseLogLine(line);
        return log ? [log] : [];
      });
      return { ...(answer.error ? { error: answer.error } : { result: answer.result }), logs };
    } finally {
      environment.current = undefined;
      pending.delete(id);
      running -= 1;
      release(environment);
    }
  };

  return {
    functionName,
    functionArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${functionName}`,
    invoke,
    get coldStarts() {
      return coldStarts;
    },
    get peakConcurrency() {
      return peak;
    },
    stop: async () => {
      await Promise.all(
        [...environments].map(
          (environment) =>
            new Promise<void>((ended) => {
              if (environment.ended) return ended();
              environment.child.once('exit', () => ended());
              environment.child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
};
