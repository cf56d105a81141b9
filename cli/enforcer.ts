// The `enforcer` command's entry point (bundled to dist/cli/enforcer.mjs): binds the CLI to this process.
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onInterrupt(handler) {
    const listener = (signal: NodeJS.Signals): void => {
      stop();
      handler(signal);
    };
    const stop = (): void => {
      for (const signal of SIGNALS) process.off(signal, listener);
    };
    for (const signal of SIGNALS) process.on(signal, listener);
    return stop;
  },
  now: () => new Date(),
};

// The SDK warns on every run that Node 20 support ends in 2027; an operator cannot act on it here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

process.exitCode = await runCli(process.argv.slice(2), io);
