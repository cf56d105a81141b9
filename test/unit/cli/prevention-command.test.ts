import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { preventionCommand } from '../../../cli/prevention-command.js';
import { COMMANDS, GLOBAL_HELP, runCli } from '../../../cli/run-cli.js';
import { organizationRcp, RCP_MAX_CHARACTERS } from '../../../shared/prevention/resource-control-policy.js';
import { kms, resetMocks, s3 } from './support/aws-mocks.js';
import { fakeIo, REQUIRED } from './support/fake-io.js';

beforeEach(resetMocks);

const prevention = async (argv: string[]) => {
  const io = fakeIo({});
  const code = await runCli(['prevention', ...argv], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
};

describe('enforcer prevention rcp', () => {
  it('prints the RCP as JSON, two-space indented, ready for create-policy, and calls no AWS API', async () => {
    const { code, stdout, stderr } = await prevention(['rcp', '--required-key', REQUIRED]);
    expect(code).toBe(EXIT.compliant);
    expect(stderr).toBe('');
    expect(stdout).toBe(`${JSON.stringify(organizationRcp({ requiredKeyArn: REQUIRED, acceptDsseKms: false }), null, 2)}\n`);
    expect(stdout.trimEnd().length).toBeLessThanOrEqual(RCP_MAX_CHARACTERS);
    expect(s3.calls()).toHaveLength(0);
    expect(kms.calls()).toHaveLength(0);
  });

  it('without --required-key leaves the key-id Deny out; --accept-dsse-kms lets DSSE-KMS through', async () => {
    const { code, stdout } = await prevention(['rcp', '--accept-dsse-kms']);
    expect(code).toBe(EXIT.compliant);
    expect(JSON.parse(stdout)).toEqual(organizationRcp({ acceptDsseKms: true }));
  });

  it('reads no configuration: REQUIRED_KMS_KEY in the environment does not become the required key', async () => {
    const io = fakeIo({ REQUIRED_KMS_KEY: REQUIRED, AWS_REGION: 'us-east-1' });
    await expect(runCli(['prevention', 'rcp'], io)).resolves.toBe(EXIT.compliant);
    expect(JSON.parse(io.stdout.text)).toEqual(organizationRcp({ acceptDsseKms: false }));
  });

  it.each([
    [
      ['rcp', '--required-key', 'alias/required'],
      'enforcer prevention: --required-key must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID), not "alias/required": it is an alias, and the policy compares the key id exactly as clients send it: give the key\'s ARN',
    ],
    [
      ['rcp', '--required-key', '11111111-1111-1111-1111-111111111111'],
      'enforcer prevention: --required-key must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID), not "11111111-1111-1111-1111-111111111111": it is a key id, and the policy compares the key id exactly as clients send it: give the key\'s ARN',
    ],
    [
      ['rcp', '--required-key', 'arn:aws:kms:us-east-1:123456789012:alias/required'],
      'enforcer prevention: --required-key must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID), not "arn:aws:kms:us-east-1:123456789012:alias/required": it is an alias, and the policy compares the key id exactly as clients send it: give the key\'s ARN',
    ],
    [
      ['rcp', '--required-key', 'my-key'],
      'enforcer prevention: --required-key must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID), not "my-key": it is not a KMS key reference',
    ],
    [[], 'enforcer prevention: missing subcommand (rcp)'],
    [['scp'], 'enforcer prevention: unknown subcommand "scp" (subcommands: rcp)'],
    [['rcp', 'extra'], 'enforcer prevention: expected one subcommand (rcp), got 2: rcp extra'],
    [['rcp', '--region', 'us-east-1'], 'enforcer prevention: unknown option --region'],
    [['rcp', '--required-key'], "enforcer prevention: Option '--required-key <value>' argument missing"],
  ])('%j is a usage error (exit 2) and prints nothing on stdout', async (argv, message) => {
    const { code, stdout, stderr } = await prevention(argv);
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${message}\nRun 'enforcer prevention --help' for usage.\n`);
  });

  it('--help prints the usage, what the policy denies and lets through, and the exit codes', async () => {
    const { code, stdout } = await prevention(['--help']);
    expect(code).toBe(EXIT.compliant);
    expect(stdout).toBe(`${preventionCommand.help}\n`);
    expect(stdout.startsWith('Usage: enforcer prevention rcp [options]\n')).toBe(true);
    expect(stdout).toContain('aws organizations create-policy --type RESOURCE_CONTROL_POLICY');
    expect(stdout).toContain('Uploads that send no encryption headers are let through');
    expect(stdout).toContain('an alias or a\n                          bare key id is refused');
    expect(stdout).toContain('RCPs never apply to the management account');
    expect(stdout).toContain('Exit codes: 0 the policy was printed');
  });

  it('is registered: listed in enforcer --help, and `enforcer help prevention` prints its help', async () => {
    expect(COMMANDS).toContain(preventionCommand);
    expect(GLOBAL_HELP).toContain(`  prevention ${preventionCommand.summary}\n`);
    expect(GLOBAL_HELP).toContain('  enforcer prevention rcp [--required-key KEY-ARN] [--accept-dsse-kms]\n');
    const io = fakeIo({});
    await expect(runCli(['help', 'prevention'], io)).resolves.toBe(EXIT.compliant);
    expect(io.stdout.text).toBe(`${preventionCommand.help}\n`);
  });
});
