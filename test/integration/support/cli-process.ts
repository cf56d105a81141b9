import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The built CLI, run as a user runs it: a fresh Node process, from its file. */
export const CLI_BUNDLE = resolve('dist', 'cli', 'enforcer.mjs');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A run must not outlive the test that started it. */
const RUN_LIMIT_MS = 50_000;

export const assertCliBuilt = (): void => {
  if (!existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run \`npm run build\` first (npm run test:integration does)`);
};

export interface StartedCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves once stdout has `count` lines. */
  linesOut(count: number): Promise<string[]>;
  readonly done: Promise<CliRun>;
}

export const startCli = (args: readonly string[], env: Record<string, string>, cwd: string): StartedCli => {
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: cwd, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const waiting: { count: number; resolve: (lines: string[]) => void }[] = [];
  const lines = (): string[] => stdout.split('\n').slice(0, -1);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...waiting]) {
      if (lines().length >= waiter.count) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(lines());
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  const done = new Promise<CliRun>((resolveRun) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      for (const waiter of waiting.splice(0)) waiter.resolve(lines());
      resolveRun({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    done,
    linesOut: (count) => (lines().length >= count ? Promise.resolve(lines()) : new Promise((resolveLines) => waiting.push({ count, resolve: resolveLines }))),
  };
};

export const runCli = (args: readonly string[], env: Record<string, string>, cwd: string): Promise<CliRun> => startCli(args, env, cwd).done;
