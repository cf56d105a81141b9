import {
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsKeyInspector } from '../../../shared/adapters/kms-key-inspector.js';
import { S3BucketEncryptionWriter } from '../../../shared/adapters/s3-bucket-encryption-writer.js';
import { S3BucketInspector } from '../../../shared/adapters/s3-bucket-inspector.js';
import { S3ReportStore } from '../../../shared/adapters/s3-report-store.js';
import { SnsNotificationPublisher } from '../../../shared/adapters/sns-notification-publisher.js';
import { ACCOUNT, MRK, MRK_EU, REQUIRED, awsError } from './fixtures.js';

/** One client per region, as the composition root makes them, each mocked on its own. */
const east = new S3Client({ region: 'us-east-1' });
const west = new S3Client({ region: 'eu-west-1' });
const s3East = mockClient(east);
const s3West = mockClient(west);
const s3In = (region: string): S3Client => (region === 'eu-west-1' ? west : east);
const kmsEast = new KMSClient({ region: 'us-east-1' });
const kmsWest = new KMSClient({ region: 'eu-west-1' });
const kmsEastMock = mockClient(kmsEast);
const kmsWestMock = mockClient(kmsWest);
const kmsIn = (region: string): KMSClient => (region === 'eu-west-1' ? kmsWest : kmsEast);
const sns = mockClient(SNSClient);

beforeEach(() => {
  for (const mock of [s3East, s3West, kmsEastMock, kmsWestMock, sns]) mock.reset();
});

describe('S3BucketInspector', () => {
  const inspector = new S3BucketInspector(s3In, 'us-east-1');

  it('lists every page of buckets, with the region when ListBuckets gives it', async () => {
    s3East
      .on(ListBucketsCommand, { MaxBuckets: 1000 })
      .resolvesOnce({ Buckets: [{ Name: 'a', BucketRegion: 'us-east-1' }, { Name: 'b' }], ContinuationToken: 't1' })
      .on(ListBucketsCommand, { MaxBuckets: 1000, ContinuationToken: 't1' })
      .resolves({ Buckets: [{ Name: 'c', BucketRegion: 'eu-west-1' }] });
    await expect(inspector.listBuckets()).resolves.toEqual([{ name: 'a', region: 'us-east-1' }, { name: 'b' }, { name: 'c', region: 'eu-west-1' }]);
    expect(s3East.commandCalls(ListBucketsCommand).map((call) => call.args[0].input)).toEqual([{ MaxBuckets: 1000 }, { MaxBuckets: 1000, ContinuationToken: 't1' }]);
  });

  it.each([
    [undefined, 'us-east-1'],
    ['', 'us-east-1'],
    ['EU', 'eu-west-1'],
    ['eu-west-1', 'eu-west-1'],
  ])('GetBucketLocation %s is %s', async (constraint, region) => {
    s3East.on(GetBucketLocationCommand).resolves({ LocationConstraint: constraint as never });
    await expect(inspector.regionOf('b')).resolves.toBe(region);
    expect(s3East.commandCalls(GetBucketLocationCommand)[0]?.args[0].input).toEqual({ Bucket: 'b' });
  });

  it('reads every rule of the default encryption, in the bucket region', async () => {
    s3West.on(GetBucketEncryptionCommand).resolves({
      ServerSideEncryptionConfiguration: {
        Rules: [
          { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } },
          { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
    });
    await expect(inspector.defaultEncryption('eu-bucket', 'eu-west-1')).resolves.toEqual({
      kind: 'configured',
      rules: [
        { algorithm: 'aws:kms', kmsKeyReference: REQUIRED, bucketKeyEnabled: true, blockedEncryptionTypes: ['SSE-C'] },
        { algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: [] },
      ],
    });
    expect(s3West.commandCalls(GetBucketEncryptionCommand)[0]?.args[0].input).toEqual({ Bucket: 'eu-bucket' });
    expect(s3East.calls()).toHaveLength(0);
  });

  it('no configuration and no policy are values; access denied is thrown', async () => {
    s3East.on(GetBucketEncryptionCommand).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3East.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    await expect(inspector.defaultEncryption('b', 'us-east-1')).resolves.toEqual({ kind: 'none' });
    await expect(inspector.policy('b', 'us-east-1')).resolves.toBeUndefined();
    s3East.on(GetBucketPolicyCommand).rejects(awsError('AccessDenied', 403));
    await expect(inspector.policy('b', 'us-east-1')).rejects.toMatchObject({ operation: 'GetBucketPolicy', code: 'AccessDenied', transient: false });
  });

  it('turns notification configuration into targets with events and filters', async () => {
    s3East.on(GetBucketNotificationConfigurationCommand).resolves({
      EventBridgeConfiguration: {},
      QueueConfigurations: [{ QueueArn: 'arn:q', Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }] } } }],
      LambdaFunctionConfigurations: [{ LambdaFunctionArn: 'arn:f', Events: ['s3:ObjectCreated:Put'] }],
      TopicConfigurations: [{ TopicArn: 'arn:t', Events: ['s3:ObjectRemoved:*'] }],
    });
    await expect(inspector.notifications('b', 'us-east-1')).resolves.toEqual({
      eventBridge: true,
      targets: [
        { kind: 'queue', arn: 'arn:q', events: ['s3:ObjectCreated:*'], filters: [{ name: 'prefix', value: 'in/' }] },
        { kind: 'function', arn: 'arn:f', events: ['s3:ObjectCreated:Put'], filters: [] },
        { kind: 'topic', arn: 'arn:t', events: ['s3:ObjectRemoved:*'], filters: [] },
      ],
    });
  });

  it('takes the most recent objects across pages', async () => {
    s3East
      .on(ListObjectsV2Command, { Bucket: 'b' })
      .resolvesOnce({ IsTruncated: true, NextContinuationToken: 'n', Contents: [{ Key: 'old', LastModified: new Date('2026-01-01') }, { Key: 'new', LastModified: new Date('2026-03-01') }] })
      .on(ListObjectsV2Command, { Bucket: 'b', ContinuationToken: 'n' })
      .resolves({ IsTruncated: false, Contents: [{ Key: 'mid', LastModified: new Date('2026-02-01') }] });
    await expect(inspector.recentObjects('b', 'us-east-1', 2)).resolves.toEqual([
      { key: 'new', lastModified: new Date('2026-03-01') },
      { key: 'mid', lastModified: new Date('2026-02-01') },
    ]);
    expect(s3East.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([{ Bucket: 'b' }, { Bucket: 'b', ContinuationToken: 'n' }]);
  });

  it('HeadObject: encryption headers, a bare 400 for SSE-C, 404 for gone', async () => {
    s3East.on(HeadObjectCommand, { Key: 'a' }).resolves({ ETag: '"e"', ContentLength: 3, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    s3East.on(HeadObjectCommand, { Key: 'c' }).rejects(awsError('BadRequest', 400));
    s3East.on(HeadObjectCommand, { Key: 'g' }).rejects(awsError('NotFound', 404));
    await expect(inspector.inspectObject('b', 'us-east-1', 'a')).resolves.toMatchObject({
      kind: 'found',
      object: { versionId: undefined, eTag: '"e"', sizeBytes: 3, storageClass: undefined, serverSideEncryption: 'aws:kms', kmsKeyId: REQUIRED, bucketKeyEnabled: true, customerAlgorithm: undefined },
    });
    await expect(inspector.inspectObject('b', 'us-east-1', 'c')).resolves.toEqual({ kind: 'customer-key-required' });
    await expect(inspector.inspectObject('b', 'us-east-1', 'g')).resolves.toEqual({ kind: 'not-found' });
    expect(s3East).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'b', Key: 'a' });
  });
});

describe('KmsKeyInspector', () => {
  const inspector = new KmsKeyInspector(kmsIn);

  it('describes a key in the region asked, with what rotation depends on', async () => {
    kmsWestMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: 'mrk-0123456789abcdef0123456789abcdef',
        Arn: MRK_EU,
        AWSAccountId: ACCOUNT,
        KeyState: 'PendingDeletion',
        DeletionDate: new Date('2026-03-08T10:00:00Z'),
        KeyManager: 'CUSTOMER',
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        Origin: 'AWS_KMS',
        MultiRegion: true,
        MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', PrimaryKey: { Arn: MRK, Region: 'us-east-1' } },
      },
    });
    await expect(inspector.describe('alias/data', 'eu-west-1')).resolves.toEqual({
      arn: MRK_EU,
      keyId: 'mrk-0123456789abcdef0123456789abcdef',
      region: 'eu-west-1',
      accountId: ACCOUNT,
      state: 'PendingDeletion',
      manager: 'CUSTOMER',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      origin: 'AWS_KMS',
      multiRegionType: 'REPLICA',
      primaryArn: MRK,
      deletionDate: '2026-03-08',
    });
    expect(kmsWestMock.commandCalls(DescribeKeyCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/data' });
    expect(kmsEastMock.calls()).toHaveLength(0);
  });

  it('an unknown key is a value; access denied is thrown', async () => {
    kmsEastMock.on(DescribeKeyCommand).rejects(awsError('NotFoundException'));
    await expect(inspector.describe('alias/gone', 'us-east-1')).resolves.toBeUndefined();
    kmsEastMock.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException'));
    await expect(inspector.describe('alias/locked', 'us-east-1')).rejects.toMatchObject({ operation: 'DescribeKey', code: 'AccessDeniedException' });
  });

  it('reads rotation and the default key policy, and enables rotation with a period', async () => {
    kmsEastMock.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
    kmsEastMock.on(GetKeyPolicyCommand).resolves({ Policy: '{"Statement":[]}' });
    kmsEastMock.on(EnableKeyRotationCommand).resolves({});
    await expect(inspector.rotation(REQUIRED, 'us-east-1')).resolves.toEqual({ enabled: true, periodDays: 180 });
    await expect(inspector.policy(REQUIRED, 'us-east-1')).resolves.toBe('{"Statement":[]}');
    await inspector.enableRotation(REQUIRED, 'us-east-1', 365);
    expect(kmsEastMock.commandCalls(GetKeyRotationStatusCommand)[0]?.args[0].input).toEqual({ KeyId: REQUIRED });
    expect(kmsEastMock.commandCalls(GetKeyPolicyCommand)[0]?.args[0].input).toEqual({ KeyId: REQUIRED, PolicyName: 'default' });
    expect(kmsEastMock.commandCalls(EnableKeyRotationCommand)[0]?.args[0].input).toEqual({ KeyId: REQUIRED, RotationPeriodInDays: 365 });
  });

  it('a rotation status without a period leaves the period out', async () => {
    kmsEastMock.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false });
    await expect(inspector.rotation(REQUIRED, 'us-east-1')).resolves.toEqual({ enabled: false });
  });
});

describe('S3BucketEncryptionWriter', () => {
  it('puts one rule with the required key, the bucket key and the kept SSE-C block, guarded by the owner', async () => {
    s3West.on(PutBucketEncryptionCommand).resolves({});
    await new S3BucketEncryptionWriter(s3In, ACCOUNT).putDefaultEncryption('eu-bucket', 'eu-west-1', {
      algorithm: 'aws:kms',
      keyArn: MRK_EU,
      bucketKeyEnabled: true,
      blockedEncryptionTypes: ['SSE-C'],
    });
    expect(s3West.commandCalls(PutBucketEncryptionCommand)[0]?.args[0].input).toEqual({
      Bucket: 'eu-bucket',
      ExpectedBucketOwner: ACCOUNT,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: MRK_EU },
            BucketKeyEnabled: true,
            BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] },
          },
        ],
      },
    });
  });

  it('names the operation when S3 refuses', async () => {
    s3East.on(PutBucketEncryptionCommand).rejects(awsError('AccessDenied', 403));
    await expect(
      new S3BucketEncryptionWriter(s3In).putDefaultEncryption('b', 'us-east-1', { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true, blockedEncryptionTypes: [] }),
    ).rejects.toMatchObject({ operation: 'PutBucketEncryption', code: 'AccessDenied' });
  });
});

describe('S3ReportStore', () => {
  const store = new S3ReportStore(east, 'reports', ACCOUNT);

  it('writes SSE-KMS under the given key with a bucket key', async () => {
    s3East.on(PutObjectCommand).resolves({});
    await store.write({ key: 'encryption-audit/latest.json', body: '{}', contentType: 'application/json', kmsKeyArn: REQUIRED });
    expect(s3East.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'reports',
      Key: 'encryption-audit/latest.json',
      Body: '{}',
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: REQUIRED,
      BucketKeyEnabled: true,
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('reads a report back, and no report is a value', async () => {
    s3East.on(GetObjectCommand, { Key: 'here' }).resolves({ Body: { transformToString: async () => '{"a":1}' } as never });
    s3East.on(GetObjectCommand, { Key: 'missing' }).rejects(awsError('NoSuchKey', 404));
    await expect(store.read('here')).resolves.toBe('{"a":1}');
    await expect(store.read('missing')).resolves.toBeUndefined();
    expect(s3East).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'reports', Key: 'here', ExpectedBucketOwner: ACCOUNT });
  });
});

describe('SnsNotificationPublisher with list attributes', () => {
  it('sends a list as String.Array, which subscription filter policies match element by element', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await new SnsNotificationPublisher(new SNSClient({}), 'arn:aws:sns:us-east-1:123456789012:findings').publish({
      subject: 's',
      text: 't',
      document: {},
      attributes: { page: 'true', checks: ['kms-key-state', 's3-tls-only-policy'] },
    });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).toEqual({
      page: { DataType: 'String', StringValue: 'true' },
      checks: { DataType: 'String.Array', StringValue: '["kms-key-state","s3-tls-only-policy"]' },
    });
  });
});
