import { DescribeKeyCommand, EnableKeyRotationCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
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
import { auditAccount, accountOfFunctionArn, scheduledTime, type AuditDependencies } from '../../../functions/audit-encryption/audit-account.js';
import type { AuditRecorder } from '../../../functions/audit-encryption/audit-recorder.js';
import { KmsKeyInspector } from '../../../shared/adapters/kms-key-inspector.js';
import { S3BucketEncryptionWriter } from '../../../shared/adapters/s3-bucket-encryption-writer.js';
import { S3BucketInspector } from '../../../shared/adapters/s3-bucket-inspector.js';
import { S3ReportStore } from '../../../shared/adapters/s3-report-store.js';
import { SNS_MESSAGE_BUDGET_BYTES, SnsNotificationPublisher, snsMessageBytes } from '../../../shared/adapters/sns-notification-publisher.js';
import type { NotificationDocument } from '../../../shared/audit/audit-notifications.js';
import type { AuditReport } from '../../../shared/audit/audit-report.js';
import { ACCOUNT, REQUIRED, awsError, context } from './fixtures.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:encryption-findings';
const DATED = 'encryption-audit/2026-03-01/encryption-audit-2026-03-01T030000Z';
const east = new S3Client({ region: 'us-east-1' });
const west = new S3Client({ region: 'eu-west-1' });
const s3East = mockClient(east);
const s3West = mockClient(west);
const kmsClient = new KMSClient({ region: 'us-east-1' });
const kms = mockClient(kmsClient);
const snsClient = new SNSClient({ region: 'us-east-1' });
const sns = mockClient(snsClient);

const GOOD_POLICY = JSON.stringify({
  Statement: [
    { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::good-bucket', 'arn:aws:s3:::good-bucket/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::good-bucket/*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED } } },
  ],
});

const recorded: string[] = [];
const recorder: AuditRecorder = {
  factsGathered: (counts) => recorded.push(`facts ${JSON.stringify(counts)}`),
  fixAttempted: (result) => recorded.push(`fix ${result.plan.kind} ${result.outcome}`),
  previousReportUnavailable: (reason) => recorded.push(`no previous: ${reason}`),
  reportNotWritten: (what) => recorded.push(`not written: ${what}`),
  runCompleted: (outcome) => recorded.push(`done ${outcome.runId}`),
};

const dependencies = (overrides: { policy?: Parameters<typeof context>[0]; reports?: boolean } = {}): AuditDependencies => {
  const keys = new KmsKeyInspector(() => kmsClient);
  const s3In = (region: string): S3Client => (region === 'eu-west-1' ? west : east);
  return {
    sources: { buckets: new S3BucketInspector(s3In, 'us-east-1'), keys, concurrency: 4 },
    writers: { bucketEncryption: new S3BucketEncryptionWriter(s3In, ACCOUNT), keyRotation: keys },
    reports: overrides.reports === false ? undefined : { store: new S3ReportStore(east, 'reports', ACCOUNT), bucket: 'reports', prefix: 'encryption-audit/' },
    publisher: new SnsNotificationPublisher(snsClient, TOPIC),
    measure: snsMessageBytes,
    budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
    recorder,
    context: context({ policy: { requiredKey: 'alias/data', exemptions: [{ bucket: 'scratch-bucket', prefix: '' }] }, ...overrides.policy }),
  };
};

const putBody = (key: string): string => {
  const call = s3East.commandCalls(PutObjectCommand).find((item) => item.args[0].input.Key === key);
  if (!call) throw new Error(`no PutObject of ${key}`);
  return call.args[0].input.Body as string;
};

const published = (): NotificationDocument[] =>
  sns.commandCalls(PublishCommand).map((call) => JSON.parse(JSON.parse(call.args[0].input.Message as string).sqs) as NotificationDocument);

beforeEach(() => {
  for (const mock of [s3East, s3West, kms, sns]) mock.reset();
  recorded.length = 0;
  s3East.on(ListBucketsCommand).resolves({
    Buckets: [
      { Name: 'good-bucket', BucketRegion: 'us-east-1' },
      { Name: 'eu-bucket' },
      { Name: 'locked-bucket', BucketRegion: 'us-east-1' },
      { Name: 'scratch-bucket', BucketRegion: 'us-east-1' },
    ],
  });
  s3East.on(GetBucketLocationCommand, { Bucket: 'eu-bucket' }).resolves({ LocationConstraint: 'EU' });
  s3East.on(GetBucketEncryptionCommand, { Bucket: 'good-bucket' }).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
    },
  });
  s3East.on(GetBucketPolicyCommand, { Bucket: 'good-bucket' }).resolves({ Policy: GOOD_POLICY });
  s3East.on(GetBucketNotificationConfigurationCommand, { Bucket: 'good-bucket' }).resolves({ EventBridgeConfiguration: {} });
  for (const command of [GetBucketEncryptionCommand, GetBucketPolicyCommand, GetBucketNotificationConfigurationCommand] as const) {
    s3East.on(command as typeof GetBucketPolicyCommand, { Bucket: 'locked-bucket' }).rejects(awsError('AccessDenied', 403, 'Access Denied'));
  }
  s3West.on(GetBucketEncryptionCommand, { Bucket: 'eu-bucket' }).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
  s3West.on(GetBucketPolicyCommand, { Bucket: 'eu-bucket' }).rejects(awsError('NoSuchBucketPolicy', 404));
  s3West.on(GetBucketNotificationConfigurationCommand, { Bucket: 'eu-bucket' }).resolves({});
  s3East.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
  s3East.on(PutObjectCommand).resolves({});
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: { KeyId: '11111111-1111-1111-1111-111111111111', Arn: REQUIRED, AWSAccountId: ACCOUNT, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS' },
  });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] }) });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('auditAccount', () => {
  it('audits each bucket in its own region, turns one bucket’s errors into error findings, writes the report and pages', async () => {
    const outcome = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    expect(outcome).toEqual({
      runId: '2026-03-01T030000Z',
      runDate: '2026-03-01',
      buckets: 3,
      keys: 1,
      findings: { failed: 6, error: 5, fixed: 0, passed: 9, informational: 0 },
      changes: { new: 11, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
      page: true,
      notifications: 1,
      report: `s3://reports/${DATED}.json`,
    });

    // The eu-west-1 bucket is read through the eu-west-1 client only; the exempt bucket is not read at all.
    expect(s3West.commandCalls(GetBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: 'eu-bucket' }]);
    expect(s3East.commandCalls(GetBucketEncryptionCommand).map((call) => call.args[0].input.Bucket).sort()).toEqual(['good-bucket', 'locked-bucket']);
    expect(s3East.calls().some((call) => (call.args[0].input as { Bucket?: string }).Bucket === 'scratch-bucket')).toBe(false);
    expect(kms.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: 'alias/data' }, { KeyId: REQUIRED }]);

    const report = JSON.parse(putBody(`${DATED}.json`)) as AuditReport;
    const statusOf = (check: string, resource: string) => report.findings.find((item) => item.check === check && item.resource === resource)?.status;
    expect(['s3-default-encryption-kms', 's3-sse-c-blocked', 's3-tls-only-policy', 's3-policy-denies-wrong-key', 's3-realtime-coverage'].map((check) => statusOf(check, 'arn:aws:s3:::locked-bucket'))).toEqual([
      'error',
      'error',
      'error',
      'error',
      'error',
    ]);
    expect(statusOf('s3-default-encryption-kms', 'arn:aws:s3:::good-bucket')).toBe('passed');
    expect(statusOf('s3-tls-only-policy', 'arn:aws:s3:::good-bucket')).toBe('passed');
    expect(statusOf('s3-policy-denies-wrong-key', 'arn:aws:s3:::good-bucket')).toBe('passed');
    expect(statusOf('s3-default-encryption-kms', 'arn:aws:s3:::eu-bucket')).toBe('failed');
    expect(report.scope.exemptBuckets).toEqual(['scratch-bucket']);

    // Reports: the dated JSON and Markdown, SSE-KMS under the required key, then the summary, then the state.
    const puts = s3East.commandCalls(PutObjectCommand);
    expect(puts.map((call) => ({ ...call.args[0].input, Body: typeof call.args[0].input.Body }))).toEqual(
      [`${DATED}.json`, `${DATED}.md`, 'encryption-audit/latest.json'].map((Key) => ({
        Bucket: 'reports',
        Key,
        Body: 'string',
        ContentType: Key.endsWith('.md') ? 'text/markdown; charset=utf-8' : 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
      })),
    );
    const publish = sns.commandCalls(PublishCommand)[0];
    expect(puts[1]?.calledBefore(publish as never)).toBe(true);
    expect(puts[2]?.calledAfter(publish as never)).toBe(true);
    expect(putBody('encryption-audit/latest.json')).toBe(putBody(`${DATED}.json`));

    const input = publish?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      Subject: 'S3 encryption audit 2026-03-01 [high]: 11 new, 0 changed, 0 resolved',
      MessageStructure: 'json',
      Message: expect.any(String),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'encryption-audit' },
        page: { DataType: 'String', StringValue: 'true' },
        severity: { DataType: 'String', StringValue: 'high' },
        checks: {
          DataType: 'String.Array',
          StringValue: JSON.stringify(['kms-key-state', 's3-default-encryption-kms', 's3-policy-denies-wrong-key', 's3-realtime-coverage', 's3-sse-c-blocked', 's3-tls-only-policy']),
        },
        changes: { DataType: 'String.Array', StringValue: '["new"]' },
      },
    });
    const message = JSON.parse(input?.Message as string) as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'email-json', 'firehose', 'http', 'https', 'lambda', 'sqs']);
    expect(message['default']).toContain(`Report: s3://reports/${DATED}.json`);
    const [document] = published();
    expect(document?.findings).toHaveLength(11);
    expect(document?.findings.every((item) => item.change === 'new')).toBe(true);
    expect(recorded).toEqual(['facts {"buckets":3,"unreachable":0,"exempt":1,"keys":1}', 'done 2026-03-01T030000Z']);
  });

  it('against the previous report, pages only for what changed and lists what was resolved', async () => {
    await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    const previous = putBody('encryption-audit/latest.json');
    for (const mock of [s3East, sns]) mock.resetHistory();
    s3East.on(GetObjectCommand, { Bucket: 'reports', Key: 'encryption-audit/latest.json' }).resolves({ Body: { transformToString: async () => previous } as never });
    // Overnight: the locked bucket opened up and turned out to be unencrypted; eu-bucket got EventBridge.
    for (const command of [GetBucketPolicyCommand] as const) s3East.on(command, { Bucket: 'locked-bucket' }).rejects(awsError('NoSuchBucketPolicy', 404));
    s3East.on(GetBucketEncryptionCommand, { Bucket: 'locked-bucket' }).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3East.on(GetBucketNotificationConfigurationCommand, { Bucket: 'locked-bucket' }).resolves({ EventBridgeConfiguration: {} });
    s3West.on(GetBucketNotificationConfigurationCommand, { Bucket: 'eu-bucket' }).resolves({ EventBridgeConfiguration: {} });

    const outcome = await auditAccount(dependencies(), new Date('2026-03-02T03:00:00Z'));
    expect(outcome.changes).toEqual({ new: 0, changed: 4, resolved: 2, fixed: 0, unchanged: 5 });
    const [document] = published();
    const rows = (document?.findings ?? []).map((item) => [item.change, item.check, item.resource, item.status]);
    // Paged changes come first, then what got better.
    expect(rows.map(([change]) => change)).toEqual(['changed', 'changed', 'changed', 'changed', 'resolved', 'resolved']);
    expect(rows.map((row) => row.join(' ')).sort()).toEqual([
      'changed s3-default-encryption-kms arn:aws:s3:::locked-bucket failed',
      'changed s3-policy-denies-wrong-key arn:aws:s3:::locked-bucket failed',
      'changed s3-sse-c-blocked arn:aws:s3:::locked-bucket failed',
      'changed s3-tls-only-policy arn:aws:s3:::locked-bucket failed',
      'resolved s3-realtime-coverage arn:aws:s3:::eu-bucket passed',
      'resolved s3-realtime-coverage arn:aws:s3:::locked-bucket passed',
    ]);
    expect(document?.summary).toMatchObject({ page: true, severity: 'high', changes: { new: 0, changed: 4, resolved: 2 } });
  });

  it('a summary that cannot be published fails the run and leaves the state alone, so the retry pages again', async () => {
    sns.on(PublishCommand).rejects(awsError('InternalError', 500));
    await expect(auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'))).rejects.toMatchObject({ operation: 'Publish', transient: true });
    expect(s3East.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([`${DATED}.json`, `${DATED}.md`]);
  });

  it('a report that cannot be written is said in the summary, which links nothing', async () => {
    s3East.on(PutObjectCommand).rejects(awsError('AccessDenied', 403, 'Access Denied'));
    const outcome = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    expect(outcome.reportError).toBe('PutObject: AccessDenied: PutObject failed: AccessDenied (HTTP 403): Access Denied');
    expect(outcome.report).toBeUndefined();
    const [document] = published();
    expect(document?.summary.report).toBeUndefined();
    expect(document?.summary.reportError).toBe(outcome.reportError);
    expect(recorded).toContain('not written: report');
  });

  it('applies the fixes POLICY turns on, with the whole request, and reports them as fixed', async () => {
    s3East.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'plain-bucket', BucketRegion: 'us-east-1' }] });
    s3East.on(GetBucketEncryptionCommand, { Bucket: 'plain-bucket' }).resolves({
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] },
    });
    s3East.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    s3East.on(GetBucketNotificationConfigurationCommand).resolves({});
    s3East.on(PutBucketEncryptionCommand).resolves({});
    kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false });
    kms.on(EnableKeyRotationCommand).resolves({});
    const deps = dependencies({ policy: { settings: { fixes: { 's3-default-encryption-kms': true, 'kms-key-rotation': true } } } });
    const outcome = await auditAccount(deps, new Date('2026-03-01T03:00:00Z'));
    expect(outcome.findings.fixed).toBe(2);
    expect(s3East.commandCalls(PutBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'plain-bucket',
        ExpectedBucketOwner: ACCOUNT,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
        },
      },
    ]);
    expect(kms.commandCalls(EnableKeyRotationCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: REQUIRED, RotationPeriodInDays: 365 }]);
    expect(recorded.filter((line) => line.startsWith('fix'))).toEqual(['fix put-bucket-encryption applied', 'fix enable-key-rotation applied']);
    const [document] = published();
    expect(document?.findings.filter((item) => item.change === 'fixed').map((item) => [item.check, item.fix?.before, item.fix?.after])).toEqual([
      ['s3-default-encryption-kms', 'rule 1: SSE-S3 (AES256)', `SSE-KMS with ${REQUIRED}, bucket key on, blocking SSE-C`],
      ['kms-key-rotation', 'automatic rotation is off', 'automatic rotation on, every 365 days'],
    ]);
  });

  it('without REPORTS_BUCKET, writes nothing and compares with nothing', async () => {
    const outcome = await auditAccount(dependencies({ reports: false }), new Date('2026-03-01T03:00:00Z'));
    expect(outcome.report).toBeUndefined();
    expect(s3East.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3East.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(recorded).toContain('no previous: REPORTS_BUCKET is not set: every failing finding counts as new on every run');
  });
});

describe('run identity', () => {
  it('files a scheduled run under the time it was due, and anything else under now', () => {
    const now = () => new Date('2026-03-05T00:00:00Z');
    expect(scheduledTime({ 'detail-type': 'Scheduled Event', time: '2026-03-01T03:00:00Z' }, now).toISOString()).toBe('2026-03-01T03:00:00.000Z');
    expect(scheduledTime({ time: 'yesterday-ish' }, now).toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(scheduledTime(undefined, now).toISOString()).toBe('2026-03-05T00:00:00.000Z');
  });

  it('takes the account from the function ARN', () => {
    expect(accountOfFunctionArn('arn:aws:lambda:us-east-1:123456789012:function:audit')).toBe('123456789012');
    expect(accountOfFunctionArn('not-an-arn')).toBeUndefined();
  });
});
