import { ListObjectsV2Command, PutObjectCommand, CopyObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_HELP, runCli } from '../../../cli/run-cli.js';
import { EXIT } from '../../../cli/exit-codes.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { kms, resetMocks, s3 } from './support/aws-mocks.js';
import { baseEnv, fakeIo } from './support/fake-io.js';

beforeEach(resetMocks);

describe('enforcer --help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the command list on stdout and exits 0', async (flag) => {
    const io = fakeIo();
    await expect(runCli([flag], io)).resolves.toBe(EXIT.compliant);
    expect(io.stdout.text).toBe(`${GLOBAL_HELP}\n`);
    for (const name of ['audit', 'scan', 'remediate', 'explain']) expect(io.stdout.text).toContain(`  ${name} `);
    expect(io.stdout.text).toContain('Exit codes: 0 compliant, 1 findings, 2 usage or configuration error, 3 an AWS call failed,');
  });

  it('without a command prints the same help on stderr and exits 2', async () => {
    const io = fakeIo();
    await expect(runCli([], io)).resolves.toBe(EXIT.usage);
    expect(io.stderr.text).toBe(`${GLOBAL_HELP}\n`);
    expect(io.stdout.text).toBe('');
  });
});

describe.each(COMMANDS.map((command) => [command.name, command] as const))('enforcer %s --help', (name, command) => {
  it('prints its usage, options and exit codes, touching nothing', async () => {
    const io = fakeIo({});
    await expect(runCli([name, '--help'], io)).resolves.toBe(EXIT.compliant);
    expect(io.stdout.text).toBe(`${command.help}\n`);
    expect(io.stdout.text.startsWith(`Usage: enforcer ${name}`)).toBe(true);
    expect(io.stdout.text).toContain('--required-key KEY');
    expect(io.stdout.text).toContain('Exit codes: 0 ');
    expect(s3.calls()).toHaveLength(0);
    expect(kms.calls()).toHaveLength(0);
  });

  it('is also `enforcer help <command>` and `-h`', async () => {
    const viaHelp = fakeIo({});
    const viaShort = fakeIo({});
    await expect(runCli(['help', name], viaHelp)).resolves.toBe(EXIT.compliant);
    await expect(runCli([name, '-h'], viaShort)).resolves.toBe(EXIT.compliant);
    expect(viaHelp.stdout.text).toBe(`${command.help}\n`);
    expect(viaShort.stdout.text).toBe(`${command.help}\n`);
  });
});

describe('usage errors exit 2 with a message and where to look', () => {
  it.each([
    [['frobnicate'], 'enforcer: unknown command "frobnicate" (commands: audit, scan, remediate, explain, prevention)\nRun \'enforcer --help\' for usage.\n'],
    [['scan'], "enforcer scan: missing s3://BUCKET[/PREFIX]\nRun 'enforcer scan --help' for usage.\n"],
    [['scan', 's3://a-bucket', 's3://b-bucket'], "enforcer scan: expected one s3://BUCKET[/PREFIX], got 2: s3://a-bucket s3://b-bucket\nRun 'enforcer scan --help' for usage.\n"],
    [['scan', 'a-bucket/prefix'], 'enforcer scan: "a-bucket/prefix" is not an S3 URI: write s3://BUCKET or s3://BUCKET/PREFIX\nRun \'enforcer scan --help\' for usage.\n'],
    [['scan', 's3://Not_A_Bucket'], 'enforcer scan: "Not_A_Bucket" is not a bucket name\nRun \'enforcer scan --help\' for usage.\n'],
    [['scan', 's3://a-bucket', '--frob'], "enforcer scan: unknown option --frob\nRun 'enforcer scan --help' for usage.\n"],
    [['scan', 's3://a-bucket', '--concurrency', '0'], 'enforcer scan: --concurrency must be a whole number from 1 to 64, not "0"\nRun \'enforcer scan --help\' for usage.\n'],
    [['remediate', 's3://a-bucket', '--concurrency', 'lots'], 'enforcer remediate: --concurrency must be a whole number from 1 to 64, not "lots"\nRun \'enforcer remediate --help\' for usage.\n'],
    [['explain', 's3://a-bucket'], "enforcer explain: name an object: s3://BUCKET/KEY\nRun 'enforcer explain --help' for usage.\n"],
    [['audit', 'extra'], "enforcer audit: unexpected argument extra\nRun 'enforcer audit --help' for usage.\n"],
    [['audit', '--account-id', '12345'], 'enforcer audit: --account-id must be 12 digits, not "12345"\nRun \'enforcer audit --help\' for usage.\n'],
    [['remediate', 's3://a-bucket/logs/', '--resume-from', 'data/x'], 'enforcer remediate: --resume-from "data/x" is not under the prefix "logs/"\nRun \'enforcer remediate --help\' for usage.\n'],
  ])('%j', async (argv, message) => {
    const io = fakeIo();
    await expect(runCli(argv, io)).resolves.toBe(EXIT.usage);
    expect(io.stderr.text).toBe(message);
    expect(io.stdout.text).toBe('');
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('a configuration the functions would refuse is refused the same way, listing every problem', async () => {
    const io = fakeIo({ POLICY: '{"strategy":"sometimes"}', ENFORCEMENT_MODE: 'loud' });
    await expect(runCli(['scan', 's3://a-bucket'], io)).resolves.toBe(EXIT.usage);
    expect(io.stderr.text).toBe(
      [
        'enforcer scan: Invalid configuration:',
        '  - REQUIRED_KMS_KEY is not set: give the KMS key (ARN, key id, alias/name or alias ARN) objects must be encrypted with',
        '  - AWS_REGION is not set: set it to the region of the watched buckets (Lambda sets it for you)',
        '  - ENFORCEMENT_MODE must be "enforce" or "report", not "loud"',
        '  - POLICY.strategy must be one of "auto", "update", "copy"',
        '',
      ].join('\n'),
    );
    expect(kms.calls()).toHaveLength(0);
  });

  it('flags override the variables before validation: --required-key, --region and --mode', async () => {
    const io = fakeIo({ REQUIRED_KMS_KEY: 'not a key', ENFORCEMENT_MODE: 'loud' });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    await expect(runCli(['scan', 's3://a-bucket', '--required-key', 'alias/required', '--region', 'us-east-1', '--mode', 'report'], io)).resolves.toBe(EXIT.compliant);
    expect(io.stderr.text).toBe('');
  });

  it('a required key that does not exist is a configuration error (exit 2), as at a cold start', async () => {
    kms.reset();
    kms.rejects(Object.assign(new Error('Alias not found'), { name: 'NotFoundException', $metadata: { httpStatusCode: 400 } }));
    const io = fakeIo();
    await expect(runCli(['explain', 's3://a-bucket/k'], io)).resolves.toBe(EXIT.usage);
    expect(io.stderr.text).toBe(
      'enforcer explain: Invalid configuration:\n  - KMS key "alias/required" does not exist in this account and region, or this function may not describe it\n',
    );
  });
});

describe('AWS failures that stop a command exit 3', () => {
  it('a listing that is refused', async () => {
    s3.on(ListObjectsV2Command).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    const io = fakeIo(baseEnv());
    await expect(runCli(['scan', 's3://a-bucket'], io)).resolves.toBe(EXIT.failure);
    expect(io.stderr.text).toBe('enforcer scan: ListObjectsV2 failed: AccessDenied (HTTP 403): Access Denied\n');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });
});
