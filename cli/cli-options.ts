import { UsageError } from './cli-errors.js';

/** Flags every command that talks to AWS takes; each overrides one variable (see cli-environment.ts). */
export const CONNECTION_OPTIONS = {
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  profile: { type: 'string' },
  'force-path-style': { type: 'boolean' },
  'required-key': { type: 'string' },
  policy: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_HELP = `
Configuration (flags override the variables the functions read):
  --required-key KEY      REQUIRED_KMS_KEY: key ARN, key id, alias/NAME or alias ARN
  --policy JSON|@FILE     POLICY: the enforcer's JSON policy, inline or from a file
  --region REGION         AWS_REGION (else AWS_DEFAULT_REGION, else the profile's region)
  --profile NAME          AWS_PROFILE: a profile of the standard credential chain
  --endpoint-url URL      AWS_ENDPOINT_URL: one endpoint for every service (a local emulator)
  --force-path-style      S3_FORCE_PATH_STYLE=true: path-style S3 addressing (local emulators)
  -h, --help              this help`;

const CODE_MESSAGES: Readonly<Record<string, (message: string) => string>> = {
  ERR_PARSE_ARGS_UNKNOWN_OPTION: (message) => `unknown option ${/'([^']+)'/.exec(message)?.[1] ?? message}`,
  ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: (message) => `unexpected argument ${/'([^']+)'/.exec(message)?.[1] ?? message}`,
};

/** Runs node:util parseArgs, turning what it throws into a UsageError for `command`. */
export const parseCommandLine = <T>(command: string, parse: () => T): T => {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(CODE_MESSAGES[code]?.(message) ?? message, command);
  }
};

/** The one positional argument a command takes, or a UsageError naming what is missing or extra. */
export const singlePositional = (command: string, positionals: readonly string[], what: string): string => {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`, command);
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`, command);
  return positionals[0] as string;
};

/** `--concurrency N`: a whole number from 1 to 64, like OBJECT_CONCURRENCY and AUDIT_CONCURRENCY. */
export const parseConcurrency = (value: string | undefined, command: string): string | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64, not "${value}"`, command);
  return String(number);
};
