import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CopyObjectCommand, GetBucketOwnershipControlsCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kmsError } from '../../fixtures/aws-errors.js';
import { captureOutput, loadHandler as loadLoggingHandler, lambdaContext } from '../../fixtures/enforce-handler-harness.js';
import { eventBridgeObjectCreated, s3Notification, s3Record, sqsEvent, sqsMessage } from '../../fixtures/events.js';

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

  it('answers an S3 Batch Operations job per task, schema 1.0 and 2.0', async () => {
    // A key no object has: S3's HeadObject answers a bare 404 (the task's key as sent, `a+b%2Bc.txt`).
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Key: 'done.txt' }).resolves({ ETag: '"e"', ContentLength: 1, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    s3.on(HeadObjectCommand, { Key: 'a b+c.txt' }).resolves({ ETag: '"e"', ContentLength: 1 });
    s3.on(HeadObjectCommand, { Key: 'secret.bin' }).rejects(Object.assign(new Error('Bad Request'), { name: 'BadRequest', $metadata: { httpStatusCode: 400 } }));
    s3.on(HeadObjectCommand, { Key: 'busy.txt' }).rejects(Object.assign(new Error('Slow Down'), { name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } }));
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true });
    const handler = await loadHandler({});
    const v1 = await handler(
      {
        invocationSchemaVersion: '1.0',
        invocationId: 'inv-1',
        job: { id: 'job-1' },
        tasks: [
          { taskId: 't-done', s3Key: 'done.txt', s3VersionId: null, s3BucketArn: 'arn:aws:s3:::photos-bucket' },
          { taskId: 't-plain', s3Key: 'a+b%2Bc.txt', s3VersionId: null, s3BucketArn: 'arn:aws:s3:::photos-bucket' },
          { taskId: 't-ssec', s3Key: 'secret.bin', s3BucketArn: 'arn:aws:s3:::photos-bucket' },
          { taskId: 't-busy', s3Key: 'busy.txt', s3BucketArn: 'arn:aws:s3:::photos-bucket' },
          { taskId: 't-bad', s3Key: 'x' },
        ],
      },
      context,
    );
    expect(v1).toEqual({
      invocationSchemaVersion: '1.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: 'inv-1',
      results: [
        { taskId: 't-done', resultCode: 'Succeeded', resultString: `compliant: sse-kms(${KEY_ARN})` },
        { taskId: 't-plain', resultCode: 'Succeeded', resultString: `remediated by copy-in-place: unencrypted -> sse-kms(${KEY_ARN}, bucket key)` },
        { taskId: 't-ssec', resultCode: 'PermanentFailure', resultString: 'customer-provided-key: encrypted with a customer-provided key (SSE-C); only the uploader can read or re-encrypt it' },
        { taskId: 't-busy', resultCode: 'TemporaryFailure', resultString: 'SlowDown: HeadObject failed: SlowDown (HTTP 503): Slow Down' },
        { taskId: 't-bad', resultCode: 'PermanentFailure', resultString: 'rejected: task has neither s3Bucket nor an s3BucketArn' },
      ],
    });
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['a b+c.txt']);
    // The task's key may be URL-encoded or not: both spellings were looked up, once each.
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key).filter((key) => key?.startsWith('a')).sort()).toEqual(['a b+c.txt', 'a+b%2Bc.txt']);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);

    const v2 = await handler(
      { invocationSchemaVersion: '2.0', invocationId: 'inv-2', job: { id: 'job-2', userArguments: {} }, tasks: [{ taskId: 't-2', s3Key: 'done.txt', s3VersionId: null, s3Bucket: 'photos-bucket' }] },
      context,
    );
    expect(v2).toEqual({
      invocationSchemaVersion: '2.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: 'inv-2',
      results: [{ taskId: 't-2', resultCode: 'Succeeded', resultString: `compliant: sse-kms(${KEY_ARN})` }],
    });
  });

  it('warns of an object its event names that is not there, with every spelling tried, and counts it in ObjectsGone', async () => {
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    const handler = await loadLoggingHandler({ POWERTOOLS_METRICS_DISABLED: 'false' });
    const run = await captureOutput(() => handler(sqsEvent(sqsMessage('m-eb', eventBridgeObjectCreated({ key: 'plus/a+b.txt', size: 42 }))), lambdaContext));

    expect(run.value).toEqual({ batchItemFailures: [] });
    const objectLines = run.lines.filter((line) => line['key'] !== undefined);
    expect(objectLines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'object named by the event not found',
        bucket: 'photos-bucket',
        key: 'plus/a b.txt',
        outcome: 'skipped',
        reason: 'gone',
        keysTried: ['plus/a b.txt', 'plus/a+b.txt'],
        eventSize: 42,
        eventETag: 'b1946ac92492d2347c6235b4d2611184',
      }),
    ]);
    const metrics = run.lines.find((line) => line['_aws'] !== undefined);
    // What the ObjectsGoneAlarm of the deployment watches: this namespace, metric and dimension.
    expect(metrics).toMatchObject({
      ObjectsGone: 1,
      ObjectsSkipped: 1,
      service: 'enforce-object-encryption',
      _aws: { CloudWatchMetrics: [{ Namespace: 'S3EncryptionEnforcer', Dimensions: [['service']] }] },
    });
  });

  it('direct invocations throw on failure so Lambda retries and the on-failure destination take over', async () => {
    const handler = await loadHandler({});
    await expect(handler({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] }, context)).rejects.toThrow(
      '1 record(s) not enforced: Records[0]: S3 record has no s3.bucket.name',
    );
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
