import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { copySourceOf, S3ObjectStore } from '../../../shared/adapters/s3-object-store.js';
import { AwsCallError } from '../../../shared/errors.js';
import { networkError, s3Error } from '../../fixtures/aws-errors.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));

beforeEach(() => s3.reset());

describe('copySourceOf', () => {
  it('URL-encodes the key, keeps slashes, and names the version', () => {
    expect(copySourceOf('b-bucket', 'dir/a b+c/été.txt', 'v1/+=')).toBe('b-bucket/dir/a%20b%2Bc/%C3%A9t%C3%A9.txt?versionId=v1%2F%2B%3D');
    expect(copySourceOf('b-bucket', 'k', undefined)).toBe('b-bucket/k');
    expect(copySourceOf('b-bucket', 'k', 'null')).toBe('b-bucket/k');
  });
});

describe('S3ObjectStore.inspect', () => {
  it('asks HeadObject for the current version and keeps what the decision needs', async () => {
    s3.on(HeadObjectCommand).resolves({
      VersionId: 'v2',
      ETag: '"e1"',
      ContentLength: 123,
      StorageClass: 'STANDARD_IA',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY,
      BucketKeyEnabled: true,
      WebsiteRedirectLocation: '/elsewhere',
      ContentType: 'text/plain',
      CacheControl: 'no-cache',
      Metadata: { owner: 'finance' },
      TagCount: 2,
    });
    await expect(store.inspect('b-bucket', 'dir/a b.txt')).resolves.toEqual({
      kind: 'found',
      object: {
        versionId: 'v2',
        eTag: '"e1"',
        sizeBytes: 123,
        storageClass: 'STANDARD_IA',
        archiveStatus: undefined,
        restore: undefined,
        websiteRedirectLocation: '/elsewhere',
        serverSideEncryption: 'aws:kms',
        kmsKeyId: KEY,
        bucketKeyEnabled: true,
        customerAlgorithm: undefined,
        headers: {
          contentType: 'text/plain',
          cacheControl: 'no-cache',
          contentDisposition: undefined,
          contentEncoding: undefined,
          contentLanguage: undefined,
          expires: undefined,
          websiteRedirectLocation: '/elsewhere',
          metadata: { owner: 'finance' },
        },
        lock: undefined,
        tagCount: 2,
      },
    });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'b-bucket', Key: 'dir/a b.txt' });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'b-bucket', Key: 'dir/a b.txt' });
  });

  it.each([
    ['404 NotFound', s3Error('NotFound', 404)],
    ['405 on a delete marker', s3Error('MethodNotAllowed', 405)],
  ])('%s: not found', async (_name, error) => {
    s3.on(HeadObjectCommand).rejects(error);
    await expect(store.inspect('b-bucket', 'k')).resolves.toEqual({ kind: 'not-found' });
  });

  it('a bare 400 is an SSE-C object HeadObject will not describe without its key', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('BadRequest', 400));
    await expect(store.inspect('b-bucket', 'k')).resolves.toEqual({ kind: 'customer-key-required' });
  });

  it('403 is a failure to report, not a deleted object', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403));
    await expect(store.inspect('b-bucket', 'k')).rejects.toMatchObject({ operation: 'HeadObject', code: 'Forbidden', httpStatus: 403, transient: false });
  });

  it.each([
    ['503 SlowDown', s3Error('SlowDown', 503), 'SlowDown'],
    ['500', s3Error('InternalError', 500), 'InternalError'],
    ['ECONNRESET', networkError('ECONNRESET'), 'ECONNRESET'],
  ])('%s is a transient failure', async (_name, error, code) => {
    s3.on(HeadObjectCommand).rejects(error);
    const thrown = await store.inspect('b-bucket', 'k').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AwsCallError);
    expect(thrown).toMatchObject({ code, transient: true });
  });
});

describe('S3ObjectStore.copyInPlace', () => {
  const source = { versionId: 'v2', eTag: '"e1"', sizeBytes: 10, storageClass: 'STANDARD_IA', websiteRedirectLocation: '/elsewhere' };

  it('copies the inspected version onto itself under the target key, guarded by its ETag', async () => {
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v3', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY, BucketKeyEnabled: true });
    await expect(
      store.copyInPlace({ bucket: 'b-bucket', key: 'dir/a b.txt', source, target: { algorithm: 'aws:kms', keyArn: KEY, bucketKeyEnabled: true } }),
    ).resolves.toEqual({ kind: 'copied', versionId: 'v3', encryption: { kind: 'sse-kms', keyArn: KEY, bucketKeyEnabled: true } });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'dir/a b.txt',
      CopySource: 'b-bucket/dir/a%20b.txt?versionId=v2',
      CopySourceIfMatch: '"e1"',
      IfMatch: '"e1"',
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      StorageClass: 'STANDARD_IA',
      WebsiteRedirectLocation: '/elsewhere',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY,
      BucketKeyEnabled: true,
    });
  });

  it('keeps DSSE-KMS as DSSE-KMS and sends no bucket-key header for it', async () => {
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: KEY });
    await store.copyInPlace({ bucket: 'b-bucket', key: 'k', source: { eTag: '"e"', sizeBytes: 1 }, target: { algorithm: 'aws:kms:dsse', keyArn: KEY, bucketKeyEnabled: false } });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'k',
      CopySource: 'b-bucket/k',
      CopySourceIfMatch: '"e"',
      IfMatch: '"e"',
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      StorageClass: 'STANDARD',
      WebsiteRedirectLocation: undefined,
      ServerSideEncryption: 'aws:kms:dsse',
      SSEKMSKeyId: KEY,
    });
  });

  it('412: superseded by a newer upload, never retried with the old content', async () => {
    s3.on(CopyObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    await expect(store.copyInPlace({ bucket: 'b-bucket', key: 'k', source, target: { algorithm: 'aws:kms', keyArn: KEY, bucketKeyEnabled: true } })).resolves.toEqual({
      kind: 'superseded',
    });
  });

  it('404 NoSuchKey: deleted meanwhile', async () => {
    s3.on(CopyObjectCommand).rejects(s3Error('NoSuchKey', 404));
    await expect(store.copyInPlace({ bucket: 'b-bucket', key: 'k', source, target: { algorithm: 'aws:kms', keyArn: KEY, bucketKeyEnabled: true } })).resolves.toEqual({
      kind: 'gone',
    });
  });

  it.each([
    ['AccessDenied', s3Error('AccessDenied', 403), false],
    ['a disabled KMS key', s3Error('KMS.DisabledException', 400), false],
    ['KMS throttling seen through S3', s3Error('SlowDown', 503), true],
    ['a concurrent conditional write', s3Error('ConditionalRequestConflict', 409), true],
  ])('%s is thrown for the caller to report', async (_name, error, transient) => {
    s3.on(CopyObjectCommand).rejects(error);
    await expect(store.copyInPlace({ bucket: 'b-bucket', key: 'k', source, target: { algorithm: 'aws:kms', keyArn: KEY, bucketKeyEnabled: true } })).rejects.toMatchObject({
      operation: 'CopyObject',
      code: error.name,
      transient,
    });
  });
});
