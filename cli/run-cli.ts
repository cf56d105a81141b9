import { ConfigurationError } from '../shared/errors.js';
import { auditCommand } from './audit-command.js';
import { UsageError } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { explainCommand } from './explain-command.js';
import { preventionCommand } from './prevention-command.js';
import { remediateCommand } from './remediate-command.js';
import { scanCommand } from './scan-command.js';

export const COMMANDS: readonly Command[] = [auditCommand, scanCommand, remediateCommand, explainCommand, preventionCommand];

export const GLOBAL_HELP = `Usage: enforcer <command> [options]

Operates the S3 encryption enforcer from a shell, with the functions' own code and configuration.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(10)} ${command.summary}`).join('\n')}

  enforcer audit [--json] [--publish]
  enforcer scan s3://BUCKET[/PREFIX]
  enforcer remediate s3://BUCKET[/PREFIX] [--dry-run] [--concurrency N]
  enforcer explain s3://BUCKET/KEY
  enforcer prevention rcp [--required-key KEY-ARN] [--accept-dsse-kms]

Configuration: the functions' variables (REQUIRED_KMS_KEY, POLICY, ENFORCEMENT_MODE,
FINDINGS_TOPIC_ARN, S3_FORCE_PATH_STYLE, OBJECT_CONCURRENCY, COPY_LIMIT_BYTES, ...) and the SDK's
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL); every command has flags to override them.
Credentials come from the standard AWS credential chain.

Exit codes: 0 compliant, 1 findings, 2 usage or configuration error, 3 an AWS call failed,
130 interrupted.

Run 'enforcer <command> --help' for a command's options.`;

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Every way a command can end, as an exit code and a message on stderr. */
const exitFor = (error: unknown, command: string | undefined, io: CliIo): ExitCode => {
  const who = command ? `enforcer ${command}` : 'enforcer';
  if (error instanceof UsageError) {
    io.stderr.write(`${who}: ${error.message}\nRun '${error.command ? `enforcer ${error.command}` : 'enforcer'} --help' for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof ConfigurationError) {
    io.stderr.write(`${who}: ${error.message}\n`);
    return EXIT.usage;
  }
  io.stderr.write(`${who}: ${errorMessage(error)}\n`);
  return EXIT.failure;
};

export const runCli = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${GLOBAL_HELP}\n`);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(`${GLOBAL_HELP}\n`);
    return EXIT.compliant;
  }
  const wanted = name === 'help' ? rest[0] : name;
  const command = COMMANDS.find((candidate) => candidate.name === wanted);
  if (!command) return exitFor(new UsageError(`unknown command "${wanted}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`), undefined, io);
  if (name === 'help') {
    io.stdout.write(`${command.help}\n`);
    return EXIT.compliant;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return exitFor(error, command.name, io);
  }
};
