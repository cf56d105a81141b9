import { DescribeKeyCommand, EnableKeyRotationCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms';
import {
  CopyObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/run-cli.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { ACCOUNT, fakeIo, REQUIRED, TOPIC } from './support/fake-io.js';

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);

const KEY_POLICY = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] });

beforeEach(() => {
  for (const mock of [s3, kms, sns]) mock.reset();
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: { KeyId: '11111111-1111-1111-1111-111111111111', Arn: REQUIRED, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS' },
  });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: KEY_POLICY });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

/** One bucket whose default is SSE-S3: a high finding. */
const givenSseS3Bucket = (): void => {
  s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'data-bucket', BucketRegion: 'us-east-1' }] });
  s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
  s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));
  s3.on(GetBucketNotificationConfigurationCommand).resolves({ EventBridgeConfiguration: {} });
};

const audit = async (argv: string[], env: Record<string, string> = {}) => {
  const io = fakeIo({ AWS_REGION: 'us-east-1', REQUIRED_KMS_KEY: REQUIRED, ...env });
  const code = await runCli(['audit', ...argv], io);
  return { code, io };
};

describe('enforcer audit', () => {
  it('runs the nightly audit and prints the failing findings; nothing is published or written', async () => {
    givenSseS3Bucket();
    const { code, io } = await audit(['--account-id', ACCOUNT]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(io.stdout.text).toMatch(/^Encryption audit of account 123456789012 in us-east-1: 1 bucket\(s\), 1 key\(s\)\n\d+ failing \(1 high, \d+ medium\)/);
    expect(io.stdout.text).toContain('SEVERITY  STATUS  CHECK');
    expect(io.stdout.text).toContain('high      failed  s3-default-encryption-kms   arn:aws:s3:::data-bucket  rule 1: SSE-S3 (AES256)\n');
    expect(io.stdout.text).toContain('\nNot published: pass --publish to send the on-call summary to FINDINGS_TOPIC_ARN.\nReport not written: pass --reports-bucket BUCKET to keep one.\n');
    expect(io.stderr.text).toBe('');
    expect(code).toBe(EXIT.findings);
  });

  it('without --publish, FINDINGS_TOPIC_ARN is not read: a malformed one does not stop the audit', async () => {
    givenSseS3Bucket();
    const { code, io } = await audit(['--account-id', ACCOUNT], { FINDINGS_TOPIC_ARN: 'not-a-topic' });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(io.stderr.text).toBe('');
    expect(code).toBe(EXIT.findings);
  });

  it('--publish sends the on-call summary to the findings topic', async () => {
    givenSseS3Bucket();
    const { code, io } = await audit(['--account-id', ACCOUNT, '--publish', '--topic-arn', TOPIC]);
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json', MessageAttributes: { kind: { DataType: 'String', StringValue: 'encryption-audit' } } });
    const document = JSON.parse(JSON.parse(published[0]?.Message ?? '{}').sqs) as { summary: { accountId: string; page: boolean } };
    expect(document.summary).toMatchObject({ accountId: ACCOUNT, page: true });
    expect(io.stdout.text).toContain(`Published 1 message(s) to ${TOPIC}.\n`);
    expect(code).toBe(EXIT.findings);
  });

  it('--publish without a topic is a configuration error', async () => {
    const { code, io } = await audit(['--account-id', ACCOUNT, '--publish']);
    expect(io.stderr.text).toBe('enforcer audit: Invalid configuration:\n  - FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings\n');
    expect(s3.calls()).toHaveLength(0);
    expect(code).toBe(EXIT.usage);
  });

  it('--json prints the outcome and every finding', async () => {
    givenSseS3Bucket();
    const { io } = await audit(['--account-id', ACCOUNT, '--json']);
    const document = JSON.parse(io.stdout.text) as { accountId: string; published: number; outcome: { buckets: number }; findings: { check: string; status: string; resource: string }[] };
    expect(document).toMatchObject({ accountId: ACCOUNT, region: 'us-east-1', published: 0, outcome: { buckets: 1, keys: 1 } });
    expect(document.findings).toContainEqual(expect.objectContaining({ check: 's3-default-encryption-kms', status: 'failed', resource: 'arn:aws:s3:::data-bucket' }));
    expect(document.findings.some((finding) => finding.status === 'passed')).toBe(true);
  });

  it('exits 0 when nothing fails', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    const { code, io } = await audit(['--account-id', ACCOUNT]);
    expect(io.stdout.text).toMatch(/^Encryption audit of account 123456789012 in us-east-1: 0 bucket\(s\), 1 key\(s\)\n0 failing · /);
    expect(code).toBe(EXIT.compliant);
  });

  it('finds the account in the ARNs of the caller’s KMS aliases when not told', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    kms.on(ListAliasesCommand).resolves({ Aliases: [{ AliasName: 'alias/aws/s3', AliasArn: 'arn:aws:kms:us-east-1:210987654321:alias/aws/s3' }] });
    const { io } = await audit(['--json'], { AWS_ACCOUNT_ID: '' });
    expect(kms.commandCalls(ListAliasesCommand).map((call) => call.args[0].input)).toEqual([{ Limit: 1 }]);
    expect(JSON.parse(io.stdout.text)).toMatchObject({ accountId: '210987654321' });
  });

  it('applies the fixes POLICY allows only with --apply-fixes', async () => {
    const policy = JSON.stringify({ audit: { fixes: { 's3-default-encryption-kms': true } } });
    givenSseS3Bucket();
    s3.on(PutBucketEncryptionCommand).resolves({});
    await audit(['--account-id', ACCOUNT, '--policy', policy]);
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);

    const { io } = await audit(['--account-id', ACCOUNT, '--policy', policy, '--apply-fixes']);
    expect(s3.commandCalls(PutBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'data-bucket',
        ExpectedBucketOwner: ACCOUNT,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true }],
        },
      },
    ]);
    expect(io.stderr.text).toContain('enforcer audit: PutBucketEncryption data-bucket: applied');
    expect(kms.commandCalls(EnableKeyRotationCommand)).toHaveLength(0);
  });

  it('--reports-bucket reads the previous report and writes the new one under the required key', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    s3.on(GetObjectCommand).rejects(s3Error('NoSuchKey', 404));
    s3.on(PutObjectCommand).resolves({});
    s3.on(CopyObjectCommand).resolves({});
    const { io } = await audit(['--account-id', ACCOUNT, '--reports-bucket', 'reports-bucket']);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'reports-bucket', Key: 'encryption-audit/123456789012/latest.json', ExpectedBucketOwner: ACCOUNT },
      // No state for this account: the state from before reports were filed per account is read instead.
      { Bucket: 'reports-bucket', Key: 'encryption-audit/latest.json', ExpectedBucketOwner: ACCOUNT },
    ]);
    expect(s3.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Key, call.args[0].input.SSEKMSKeyId]).sort()).toEqual([
      ['encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z.json', REQUIRED],
      ['encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z.md', REQUIRED],
    ]);
    // The state for the next run: a server-side copy of the dated JSON report.
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'reports-bucket',
        Key: 'encryption-audit/123456789012/latest.json',
        CopySource: 'reports-bucket/encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z.json',
        MetadataDirective: 'COPY',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
        ExpectedSourceBucketOwner: ACCOUNT,
      },
    ]);
    expect(io.stdout.text).toContain('Report: s3://reports-bucket/encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z.json\n');
  });

  it('an account that cannot be listed stops the audit with exit 3', async () => {
    s3.on(ListBucketsCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    const { code, io } = await audit(['--account-id', ACCOUNT]);
    expect(io.stderr.text).toBe('enforcer audit: ListBuckets failed: AccessDenied (HTTP 403): Access Denied\n');
    expect(code).toBe(EXIT.failure);
  });
});
