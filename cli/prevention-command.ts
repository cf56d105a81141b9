import { parseArgs } from 'node:util';
import { keyReferenceForm } from '../shared/core/key-reference.js';
import { organizationRcp, RCP_MAX_CHARACTERS, rcpText } from '../shared/prevention/resource-control-policy.js';
import { UsageError } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import { parseCommandLine, singlePositional } from './cli-options.js';
import type { Command } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';

const OPTIONS = {
  'required-key': { type: 'string' },
  'accept-dsse-kms': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SUBCOMMANDS = ['rcp'] as const;

const HELP = `Usage: enforcer prevention rcp [options]

Prints a Resource Control Policy that stops non-compliant uploads in every member account it is
attached above, whoever the caller, as JSON on stdout. Save it and create it with
  aws organizations create-policy --type RESOURCE_CONTROL_POLICY --name s3-encryption \\
      --description "S3 encryption guardrails" --content file://rcp.json
then attach it to the root or to OUs (aws organizations attach-policy). It denies:
  - every S3 request over plain HTTP;
  - uploads that ask for an encryption other than SSE-KMS (AES256; DSSE-KMS unless accepted);
  - uploads that ask for SSE-KMS without a key id (the AWS-managed aws/s3 key);
  - with --required-key, uploads that name any other key id;
  - uploads with a customer-provided key (SSE-C).
Uploads that send no encryption headers are let through: each bucket's default encryption applies
to them. AWS service principals (log delivery, for one) are spared the encryption rules, not TLS.
RCPs never apply to the management account's resources, nor to service-linked roles.
Reads nothing and calls no AWS API.

Options:
  --required-key KEY      the KMS key ARN uploads that name a key must name
                          (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID). The key id is compared as
                          the client sends it, so clients must send this full ARN: an alias or a
                          bare key id is refused. Without it, any customer key is accepted.
  --accept-dsse-kms       let DSSE-KMS uploads through as well as SSE-KMS
  -h, --help              this help

Exit codes: 0 the policy was printed (at most ${RCP_MAX_CHARACTERS} characters, the RCP limit),
2 usage error.`;

/** `--required-key`: a key ARN only; an alias or a key id would never match what clients send. */
const requiredKeyOf = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const form = keyReferenceForm(value);
  if (form === 'key-arn') return value;
  const why =
    form === undefined
      ? 'it is not a KMS key reference'
      : `it is ${form === 'key-id' ? 'a key id' : 'an alias'}, and the policy compares the key id exactly as clients send it: give the key's ARN`;
  throw new UsageError(`--required-key must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID), not "${value}": ${why}`, 'prevention');
};

export const preventionCommand: Command = {
  name: 'prevention',
  summary: 'guardrails that stop non-compliant uploads: prints the organization RCP',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
    const { values, positionals } = parseCommandLine('prevention', () => parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT.compliant;
    }
    const subcommand = singlePositional('prevention', positionals, `subcommand (${SUBCOMMANDS.join(', ')})`);
    if (!(SUBCOMMANDS as readonly string[]).includes(subcommand)) {
      throw new UsageError(`unknown subcommand "${subcommand}" (subcommands: ${SUBCOMMANDS.join(', ')})`, 'prevention');
    }
    const document = organizationRcp({ requiredKeyArn: requiredKeyOf(values['required-key']), acceptDsseKms: values['accept-dsse-kms'] === true });
    io.stdout.write(`${rcpText(document)}\n`);
    return EXIT.compliant;
  },
};
