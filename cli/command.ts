import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';

/** One `enforcer` subcommand: its help, and a run that answers with an exit code. */
export interface Command {
  readonly name: string;
  /** One line, for `enforcer --help`. */
  readonly summary: string;
  readonly help: string;
  /** Throws UsageError, ConfigurationError or AwsCallError; the runner turns them into exit codes. */
  run(argv: readonly string[], io: CliIo): Promise<ExitCode>;
}
