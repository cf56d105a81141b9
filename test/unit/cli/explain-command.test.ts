import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { CopyObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/run-cli.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { givenObjects, kms, resetMocks, s3 } from './support/aws-mocks.js';
import { fakeIo, OTHER, REQUIRED } from './support/fake-io.js';

const KEY = 'reports/Q3 résumé + notes.txt';

beforeEach(resetMocks);

const explain = async (argv: string[], env?: Record<string, string>) => {
  const io = fakeIo({ AWS_REGION: 'us-east-1', REQUIRED_KMS_KEY: 'alias/required', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', ...env });
  const code = await runCli(['explain', ...argv], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
};

describe('enforcer explain', () => {
  it('asks for the key and the object exactly as given, and prints the decision and why', async () => {
    givenObjects('data-bucket', [[[KEY, 'sse-s3']]]);
    const { code, stdout, stderr } = await explain([`s3://data-bucket/${KEY}`]);
    expect(kms.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: 'alias/required' }]);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: 'data-bucket', Key: KEY }]);
    expect(stdout).toBe(
      [
        `s3://data-bucket/${KEY}`,
        '  version       none (unversioned, or versioning suspended)',
        '  found         sse-s3, 42 B, STANDARD, 1 tag(s)',
        '  class         sse-s3',
        `  requirement   SSE-KMS under ${REQUIRED}, bucket key on; DSSE-KMS under it also accepted (REQUIRED_KMS_KEY alias/required)`,
        `  decision      remediate by copy-in-place to aws:kms under ${REQUIRED}, bucket key on`,
        '  why           - SSE-S3 (AES256): S3 holds the key; no key policy or key audit trail applies',
        '                - UpdateObjectEncryption is not used: the S3 endpoint http://127.0.0.1:5000 is not Amazon S3',
        '                - 42 B fits one CopyObject (COPY_LIMIT_BYTES 5.0 GiB): copied onto itself from this version, guarded by its ETag',
        '                - the copy keeps bytes, metadata, tags and ACL; it gets a new LastModified (and a new version in a versioned bucket)',
        '  mode          enforce (POLICY.strategy auto)',
        '',
      ].join('\n'),
    );
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.findings);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('on Amazon S3, an SSE-S3 object is updated in place', async () => {
    givenObjects('data-bucket', [[['k', 'sse-s3']]]);
    const { code, stdout } = await explain(['s3://data-bucket/k'], { AWS_ENDPOINT_URL: '' });
    expect(stdout).toContain(`  decision      remediate by update-in-place to aws:kms under ${REQUIRED}, bucket key on\n`);
    expect(stdout).toContain('                - UpdateObjectEncryption re-wraps the data key in place: no data moves; metadata, ETag, LastModified, tags and ACL stay\n');
    expect(code).toBe(EXIT.findings);
  });

  it('an unencrypted object must be copied: UpdateObjectEncryption cannot take it', async () => {
    givenObjects('data-bucket', [[['k', 'unencrypted']]]);
    const { stdout } = await explain(['s3://data-bucket/k'], { AWS_ENDPOINT_URL: '' });
    expect(stdout).toContain('  decision      remediate by copy-in-place');
    expect(stdout).toContain('                - UpdateObjectEncryption only re-encrypts SSE-S3 or SSE-KMS objects, and this one is unencrypted\n');
  });

  it('a DSSE-KMS object under another key stays DSSE-KMS', async () => {
    givenObjects('data-bucket', [[['k', 'dsse-other']]]);
    const { stdout } = await explain(['s3://data-bucket/k']);
    expect(stdout).toContain(`  found         dsse-kms(${OTHER}), 42 B, STANDARD, 1 tag(s)\n`);
    expect(stdout).toContain('  class         dsse-kms-other-key\n');
    expect(stdout).toContain(`  decision      remediate by copy-in-place to aws:kms:dsse under ${REQUIRED}\n`);
    expect(stdout).toContain('- it stays DSSE-KMS under the new key: remediation never lowers protection\n');
  });

  it('a compliant object exits 0 and says no write happens', async () => {
    givenObjects('data-bucket', [[['k', 'compliant']]]);
    const { code, stdout } = await explain(['s3://data-bucket/k']);
    expect(stdout).toContain('  decision      compliant: no write\n');
    expect(stdout).toContain(`  why           - sse-kms(${REQUIRED}, bucket key) is under the required key: the enforcer makes one HeadObject and no write\n`);
    expect(code).toBe(EXIT.compliant);
  });

  it('in report mode the decision is an alert, and the exit code still says it is not compliant', async () => {
    givenObjects('data-bucket', [[['k', 'other-key']]]);
    const { code, stdout } = await explain(['s3://data-bucket/k', '--mode', 'report']);
    expect(stdout).toContain('  decision      alert (report-only): not remediated, reported\n');
    expect(stdout).toContain(`                - not compliant; enforce mode would re-encrypt it under ${REQUIRED}\n`);
    expect(stdout).toContain('  mode          report (POLICY.strategy auto)\n');
    expect(code).toBe(EXIT.findings);
  });

  it('an exempt object costs no HeadObject', async () => {
    const { code, stdout } = await explain(['s3://data-bucket/tmp/x'], { POLICY: '{"exemptions":[{"bucket":"data-bucket","prefix":"tmp/"}]}' });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(stdout).toContain('  found         not inspected (exempt objects cost no API call)\n');
    expect(stdout).toContain('  requirement   nothing: exempt by POLICY.exemptions (bucket data-bucket, prefix "tmp/")\n');
    expect(code).toBe(EXIT.compliant);
  });

  it('names an override key as such', async () => {
    kms.on(DescribeKeyCommand, { KeyId: 'alias/finance' }).resolves({ KeyMetadata: { KeyId: '22222222-2222-2222-2222-222222222222', Arn: OTHER, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
    givenObjects('finance-bucket', [[['k', 'other-key']]]);
    const { code, stdout } = await explain(['s3://finance-bucket/k'], { POLICY: '{"overrides":[{"bucket":"finance-bucket","requiredKey":"alias/finance"}]}' });
    expect(stdout).toContain(`  requirement   SSE-KMS under ${OTHER}, bucket key on; DSSE-KMS under it also accepted (a POLICY.overrides rule for this bucket or prefix)\n`);
    expect(code).toBe(EXIT.compliant);
  });

  it('an object that does not exist exits 3', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    const { code, stdout, stderr } = await explain(['s3://data-bucket/missing']);
    expect(stdout).toContain('  found         no such object\n');
    expect(stderr).toBe('enforcer explain: s3://data-bucket/missing does not exist (HeadObject found no current version)\n');
    expect(code).toBe(EXIT.failure);
  });

  it('--json is the same explanation as a document, with the action', async () => {
    givenObjects('data-bucket', [[['k', 'other-key']]]);
    const { code, stdout } = await explain(['s3://data-bucket/k', '--json']);
    expect(JSON.parse(stdout)).toEqual({
      object: 's3://data-bucket/k',
      found: { encryption: `sse-kms(${OTHER})`, sizeBytes: 42, storageClass: 'STANDARD', tagCount: 1 },
      class: 'sse-kms-other-key',
      requirement: `SSE-KMS under ${REQUIRED}, bucket key on; DSSE-KMS under it also accepted (REQUIRED_KMS_KEY alias/required)`,
      decision: `remediate by copy-in-place to aws:kms under ${REQUIRED}, bucket key on`,
      why: [
        `sse-kms(${OTHER}) is not under the required key`,
        'UpdateObjectEncryption is not used: the S3 endpoint http://127.0.0.1:5000 is not Amazon S3',
        '42 B fits one CopyObject (COPY_LIMIT_BYTES 5.0 GiB): copied onto itself from this version, guarded by its ETag',
        'the copy keeps bytes, metadata, tags and ACL; it gets a new LastModified (and a new version in a versioned bucket)',
      ],
      mode: 'enforce',
      strategy: 'auto',
      action: { kind: 'remediate', method: 'copy-in-place', target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true } },
    });
    expect(code).toBe(EXIT.findings);
  });
});
