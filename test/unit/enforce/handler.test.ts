import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CopyObjectCommand, GetBucketOwnershipControlsCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kmsError } from '../../fixtures/aws-errors.js';
import { s3Notification, s3Record, sqsEvent, sqsMessage } from '../../fixtures/events.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);

const context = {
  functionName: 'enforce-object-encryption',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:enforce-object-encryption',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const loadHandler = async (env: Record<string, string>) => {
  vi.resetModules();
  for (const [name, value] of Object.entries({
    AWS_REGION: 'us-east-1',
    REQUIRED_KMS_KEY: 'alias/enforcer',
    FINDINGS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:findings',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  })) {
    vi.stubEnv(name, value);
  }
  return (await import('../../../functions/enforce-object-encryption/handler.js')).handler;
};

beforeEach(() => {
  s3.reset();
  kms.reset();
  sns.reset();
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
});
afterEach(() => vi.unstubAllEnvs());

describe('enforce handler', () => {
  it('fails closed at cold start, naming what to fix, before reading any event', async () => {
    await expect(loadHandler({ REQUIRED_KMS_KEY: '', ENFORCEMENT_MODE: 'sometimes' })).rejects.toThrow(
      'Invalid configuration:\n  - REQUIRED_KMS_KEY is not set: give the KMS key (ARN, key id, alias/name or alias ARN) objects must be encrypted with\n  - ENFORCEMENT_MODE must be "enforce" or "report", not "sometimes"',
    );
    expect(s3.calls()).toHaveLength(0);
  });

  it('resolves the configured alias once per cold start and answers SQS with batchItemFailures', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 1 });
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true });
    const handler = await loadHandler({});
    const event = sqsEvent(sqsMessage('m-1', s3Notification(s3Record({ key: 'a.txt' }))), sqsMessage('m-2', 'not json'));
    await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(kms).toHaveReceivedCommandTimes(DescribeKeyCommand, 1);
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: 'alias/enforcer' });
    expect(s3).toHaveReceivedCommandWith(CopyObjectCommand, { SSEKMSKeyId: KEY_ARN });
  });

  it('a required key that does not exist stops processing with a clear error', async () => {
    kms.on(DescribeKeyCommand).rejects(kmsError('NotFoundException'));
    const handler = await loadHandler({ REQUIRED_KMS_KEY: 'alias/missing' });
    await expect(handler(s3Notification(s3Record({ key: 'a.txt' })), context)).rejects.toThrow(
      'KMS key "alias/missing" does not exist in this account and region, or this function may not describe it',
    );
    expect(s3.calls()).toHaveLength(0);
  });

  it('an AWS-managed key is refused', async () => {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'AWS' } });
    const handler = await loadHandler({ REQUIRED_KMS_KEY: KEY_ARN });
    await expect(handler(s3Notification(s3Record({ key: 'a.txt' })), context)).rejects.toThrow(/is AWS-managed/);
  });

  it('a throttled key lookup is retried on the next invocation, not remembered', async () => {
    kms.on(DescribeKeyCommand).rejectsOnce(kmsError('ThrottlingException')).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 1, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    const handler = await loadHandler({});
    await expect(handler(s3Notification(s3Record({ key: 'a.txt' })), context)).rejects.toThrow(/ThrottlingException/);
    await expect(handler(s3Notification(s3Record({ key: 'a.txt' })), context)).resolves.toEqual({ processed: 1 });
  });

  it('direct invocations throw on failure so Lambda retries and the on-failure destination take over', async () => {
    const handler = await loadHandler({});
    await expect(handler({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] }, context)).rejects.toThrow(
      '1 record(s) not enforced: Records[0]: S3 record has no s3.bucket.name',
    );
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
