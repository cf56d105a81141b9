import {
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
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
  type PutObjectCommandInput,
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
    const pages = inspector.bucketPages()[Symbol.asyncIterator]();
    await expect(pages.next()).resolves.toEqual({ done: false, value: [{ name: 'a', region: 'us-east-1' }, { name: 'b' }] });
    // A page is asked for only when the one before it is taken.
    expect(s3East.commandCalls(ListBucketsCommand)).toHaveLength(1);
    await expect(pages.next()).resolves.toEqual({ done: false, value: [{ name: 'c', region: 'eu-west-1' }] });
    await expect(pages.next()).resolves.toEqual({ done: true, value: undefined });
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

  /** What S3 would read from the request: the Body stream, whole, while the request is in flight. */
  const collect = async (body: unknown): Promise<Buffer> => {
    if (!(body instanceof Readable)) throw new Error(`Body is not a stream: ${typeof body}`);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return Buffer.concat(chunks);
  };

  const pieces = async function* (): AsyncIterable<Uint8Array | string> {
    yield '{"kind":"r",\n';
    yield Buffer.from('"resource":"bücket → ✓"', 'utf8');
    yield '}\n';
  };
  const TEXT = '{"kind":"r",\n"resource":"bücket → ✓"}\n';

  it('writes a streamed body with its length, SSE-KMS under the given key with a bucket key, in the account’s own bucket', async () => {
    let received: Buffer | undefined;
    s3East.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      received = await collect(input.Body);
      return {};
    });
    const length = Buffer.byteLength(TEXT, 'utf8');
    expect(length).toBeGreaterThan(TEXT.length);
    await store.write({ key: 'encryption-audit/2026-03-01/r.json', body: pieces, contentLength: length, contentType: 'application/json', kmsKeyArn: REQUIRED });
    const inputs = s3East.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      {
        Bucket: 'reports',
        Key: 'encryption-audit/2026-03-01/r.json',
        Body: expect.any(Readable),
        ContentLength: length,
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
      },
    ]);
    expect(received?.toString('utf8')).toBe(TEXT);
    expect(received?.length).toBe(length);
  });

  it('retries a transient failure with the body read again from its start, and gives up after the last attempt', async () => {
    const pauses: number[] = [];
    const patient = new S3ReportStore(east, 'reports', ACCOUNT, 3, 100, async (ms) => {
      pauses.push(ms);
    });
    const bodies: string[] = [];
    let calls = 0;
    s3East.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      bodies.push((await collect(input.Body)).toString('utf8'));
      calls += 1;
      if (calls === 1) throw awsError('SlowDown', 503, 'Please reduce your request rate.');
      return {};
    });
    const length = Buffer.byteLength(TEXT, 'utf8');
    await patient.write({ key: 'k', body: pieces, contentLength: length, contentType: 'application/json', kmsKeyArn: REQUIRED });
    expect(bodies).toEqual([TEXT, TEXT]);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toBeGreaterThanOrEqual(50);
    expect(pauses[0]).toBeLessThanOrEqual(100);

    s3East.reset();
    s3East.on(PutObjectCommand).rejects(awsError('InternalError', 500, 'We encountered an internal error.'));
    await expect(patient.write({ key: 'k', body: pieces, contentLength: length, contentType: 'application/json', kmsKeyArn: REQUIRED })).rejects.toMatchObject({
      operation: 'PutObject',
      code: 'InternalError',
      transient: true,
    });
    expect(s3East.commandCalls(PutObjectCommand)).toHaveLength(3);
    expect(pauses).toHaveLength(3);
  });

  it('a body that is not a Node.js stream is an error naming GetObject, not an empty report', async () => {
    s3East.on(GetObjectCommand).resolves({ Body: { transformToString: async () => '{}' } as never });
    await expect(store.readLines('encryption-audit/latest.json')).rejects.toMatchObject({ operation: 'GetObject', message: expect.stringContaining('not a Node.js stream') });
  });

  it('a refused write names PutObject, and is not retried', async () => {
    s3East.on(PutObjectCommand).rejects(awsError('AccessDenied', 403, 'Access Denied'));
    await expect(store.write({ key: 'k', body: pieces, contentLength: 1, contentType: 'text/markdown; charset=utf-8', kmsKeyArn: REQUIRED })).rejects.toMatchObject({
      operation: 'PutObject',
      code: 'AccessDenied',
      httpStatus: 403,
      transient: false,
    });
    expect(s3East.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('reads an object back a line at a time, across chunks and characters split between them', async () => {
    const bytes = Buffer.from('{"a":1,\n"findings":[\n{"r":"ü→"},\n]}\n', 'utf8');
    const split = bytes.indexOf(Buffer.from('→', 'utf8')) + 1; // in the middle of a three-byte character
    s3East.on(GetObjectCommand, { Key: 'here' }).callsFake(() => ({ Body: Readable.from([bytes.subarray(0, 3), bytes.subarray(3, split), bytes.subarray(split)]) }));
    const lines = await store.readLines('here');
    const read: string[] = [];
    for await (const line of lines ?? []) read.push(line);
    expect(read).toEqual(['{"a":1,', '"findings":[', '{"r":"ü→"},', ']}']);
    expect(s3East.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: 'reports', Key: 'here', ExpectedBucketOwner: ACCOUNT }]);
  });

  it('no object is a value: NoSuchKey, or a bare 404', async () => {
    s3East.on(GetObjectCommand, { Key: 'missing' }).rejects(awsError('NoSuchKey', 404));
    s3East.on(GetObjectCommand, { Key: 'headless' }).rejects(awsError('NotFound', 404));
    await expect(store.readLines('missing')).resolves.toBeUndefined();
    await expect(store.readLines('headless')).resolves.toBeUndefined();
  });

  it('any other failure to read names GetObject, whether before the body or in the middle of it', async () => {
    s3East.on(GetObjectCommand, { Key: 'locked' }).rejects(awsError('AccessDenied', 403, 'Access Denied'));
    await expect(store.readLines('locked')).rejects.toMatchObject({ operation: 'GetObject', code: 'AccessDenied', httpStatus: 403 });

    const broken = new Readable({ read() {} });
    broken.push('first line\nsecond');
    s3East.on(GetObjectCommand, { Key: 'cut' }).resolves({ Body: broken as never });
    const lines = await store.readLines('cut');
    const read: string[] = [];
    const reading = (async () => {
      for await (const line of lines ?? []) {
        read.push(line);
        broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      }
    })();
    await expect(reading).rejects.toMatchObject({ operation: 'GetObject', code: 'ECONNRESET', transient: true });
    expect(read).toEqual(['first line']);
  });

  it('copies within the bucket on the server, re-encrypted under the given key, both sides owned by the account', async () => {
    s3East.on(CopyObjectCommand).resolves({});
    await store.copy('audit reports/2026-03-01/r+1.json', 'audit reports/latest.json', REQUIRED);
    expect(s3East.commandCalls(CopyObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'reports',
        Key: 'audit reports/latest.json',
        CopySource: 'reports/audit%20reports/2026-03-01/r%2B1.json',
        MetadataDirective: 'COPY',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
        ExpectedSourceBucketOwner: ACCOUNT,
      },
    ]);
  });

  it('a refused copy names CopyObject', async () => {
    s3East.on(CopyObjectCommand).rejects(awsError('InternalError', 500, 'We encountered an internal error.'));
    await expect(store.copy('a.json', 'latest.json', REQUIRED)).rejects.toMatchObject({ operation: 'CopyObject', code: 'InternalError', transient: true });
  });

  it('without an expected owner, asks S3 for no owner check', async () => {
    s3East.on(CopyObjectCommand).resolves({});
    s3East.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
    const unowned = new S3ReportStore(east, 'reports');
    await unowned.copy('a.json', 'latest.json', REQUIRED);
    await unowned.readLines('latest.json');
    expect(s3East.commandCalls(CopyObjectCommand)[0]?.args[0].input).not.toHaveProperty('ExpectedSourceBucketOwner');
    expect(s3East.commandCalls(CopyObjectCommand)[0]?.args[0].input).not.toHaveProperty('ExpectedBucketOwner');
    expect(s3East.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'reports', Key: 'latest.json' });
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
