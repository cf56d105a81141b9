import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetBucketEncryptionCommand, GetBucketNotificationConfigurationCommand, GetBucketPolicyCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, REQUIRED, awsError } from './fixtures.js';

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);

const context = {
  functionName: 'audit-encryption',
  awsRequestId: 'req-1',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:audit-encryption`,
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 600_000,
} as unknown as Context;

const loadHandler = async (env: Record<string, string>) => {
  vi.resetModules();
  for (const [name, value] of Object.entries({
    AWS_REGION: 'us-east-1',
    REQUIRED_KMS_KEY: REQUIRED,
    FINDINGS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:findings`,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  })) {
    vi.stubEnv(name, value);
  }
  return (await import('../../../functions/audit-encryption/handler.js')).handler;
};

beforeEach(() => {
  for (const mock of [s3, kms, sns]) mock.reset();
});
afterEach(() => vi.unstubAllEnvs());

describe('audit handler', () => {
  it('fails closed at cold start, naming what to fix', async () => {
    await expect(loadHandler({ FINDINGS_TOPIC_ARN: '', POLICY: '{"audit":{"fixes":{"everything":true}}}' })).rejects.toThrow(
      'Invalid configuration:\n  - FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings\n  - POLICY.audit.fixes has an unknown check "everything" (fixable: s3-default-encryption-kms, kms-key-rotation, s3-sse-c-blocked, s3-policy-denies-wrong-key, s3-tls-only-policy)',
    );
    expect(s3.calls()).toHaveLength(0);
  });

  it('runs one audit for a scheduled event and answers with the outcome', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'data-bucket', BucketRegion: 'us-east-1' }] });
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true }] } });
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    s3.on(GetBucketNotificationConfigurationCommand).resolves({ EventBridgeConfiguration: {} });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: REQUIRED, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS' } });
    kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
    kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] }) });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const handler = await loadHandler({});
    await expect(handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-03-01T03:00:00Z' }, context)).resolves.toMatchObject({
      runId: '2026-03-01T030000Z',
      buckets: 1,
      keys: 1,
      page: true,
      notifications: 1,
      changes: { new: 3 },
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:findings`, MessageStructure: 'json' });
  });

  it('stops when the account cannot be listed: there is nothing to audit', async () => {
    s3.on(ListBucketsCommand).rejects(awsError('AccessDenied', 403));
    const handler = await loadHandler({});
    await expect(handler({}, context)).rejects.toMatchObject({ operation: 'ListBuckets', code: 'AccessDenied' });
    expect(sns.calls()).toHaveLength(0);
  });
});
