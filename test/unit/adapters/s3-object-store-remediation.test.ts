import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
  UpdateObjectEncryptionCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { grantHeaders, partRanges, S3ObjectStore, tagQuery } from '../../../shared/adapters/s3-object-store.js';
import type { ObjectSnapshot } from '../../../shared/core/classify-object.js';
import type { EncryptionTarget } from '../../../shared/core/decide-object-action.js';
import { s3Error } from '../../fixtures/aws-errors.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const MIB = 1024 ** 2;
const s3 = mockClient(S3Client);
const NOW = new Date('2026-11-22T00:00:00Z');
const store = () => new S3ObjectStore(new S3Client({ region: 'us-east-1' }), () => NOW);
const target: EncryptionTarget = { algorithm: 'aws:kms', keyArn: KEY, bucketKeyEnabled: true };

beforeEach(() => s3.reset());

describe('UpdateObjectEncryption', () => {
  it('re-wraps the exact version under the target key', async () => {
    s3.on(UpdateObjectEncryptionCommand).resolves({});
    await expect(store().updateEncryptionInPlace('b-bucket', 'dir/a b.txt', 'v7', target)).resolves.toEqual({ kind: 'updated' });
    expect(s3.commandCalls(UpdateObjectEncryptionCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'dir/a b.txt',
      VersionId: 'v7',
      ObjectEncryption: { SSEKMS: { KMSKeyArn: KEY, BucketKeyEnabled: true } },
    });
  });

  it('sends no version id for an unversioned object', async () => {
    s3.on(UpdateObjectEncryptionCommand).resolves({});
    await store().updateEncryptionInPlace('b-bucket', 'k', 'null', target);
    expect(s3.commandCalls(UpdateObjectEncryptionCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'k',
      ObjectEncryption: { SSEKMS: { KMSKeyArn: KEY, BucketKeyEnabled: true } },
    });
  });

  it.each([
    ['NotImplemented', s3Error('NotImplemented', 501), { kind: 'unsupported', code: 'NotImplemented', endpointWide: true }],
    ['a bare 501', s3Error('UnknownError', 501), { kind: 'unsupported', code: 'UnknownError', endpointWide: true }],
    ['InvalidRequest for this object', s3Error('InvalidRequest', 400), { kind: 'unsupported', code: 'InvalidRequest', endpointWide: false }],
    ['NoSuchKey', s3Error('NoSuchKey', 404), { kind: 'gone' }],
  ])('%s: a value the caller can fall back on', async (_name, error, result) => {
    s3.on(UpdateObjectEncryptionCommand).rejects(error);
    await expect(store().updateEncryptionInPlace('b-bucket', 'k', undefined, target)).resolves.toEqual(result);
  });

  it.each([
    ['AccessDenied', s3Error('AccessDenied', 403)],
    ['a disabled KMS key', s3Error('KMS.DisabledException', 400)],
    ['KMS key not found', s3Error('KMS.NotFoundException', 400)],
  ])('%s: never a fallback, a failure to report', async (_name, error) => {
    s3.on(UpdateObjectEncryptionCommand).rejects(error);
    await expect(store().updateEncryptionInPlace('b-bucket', 'k', undefined, target)).rejects.toMatchObject({ operation: 'UpdateObjectEncryption', code: error.name, transient: false });
  });
});

describe('ACLs', () => {
  it('looks up Object Ownership once per bucket', async () => {
    s3.on(GetBucketOwnershipControlsCommand, { Bucket: 'enforced-bucket' }).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
    s3.on(GetBucketOwnershipControlsCommand, { Bucket: 'writer-bucket' }).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
    s3.on(GetBucketOwnershipControlsCommand, { Bucket: 'legacy-bucket' }).rejects(s3Error('OwnershipControlsNotFoundError', 404));
    const objects = store();
    await expect(objects.aclMode('enforced-bucket')).resolves.toBe('acls-disabled');
    await expect(objects.aclMode('enforced-bucket')).resolves.toBe('acls-disabled');
    await expect(objects.aclMode('writer-bucket')).resolves.toBe('acls-enabled');
    await expect(objects.aclMode('legacy-bucket')).resolves.toBe('acls-enabled');
    expect(s3).toHaveReceivedCommandTimes(GetBucketOwnershipControlsCommand, 3);
  });

  it('does not remember a failed lookup', async () => {
    s3.on(GetBucketOwnershipControlsCommand).rejectsOnce(s3Error('AccessDenied', 403)).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
    const objects = store();
    await expect(objects.aclMode('b-bucket')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(objects.aclMode('b-bucket')).resolves.toBe('acls-enabled');
  });

  it('reads the grants of the exact version and writes them as grant headers', async () => {
    s3.on(GetObjectAclCommand).resolves({
      Owner: { ID: 'owner-id' },
      Grants: [
        { Grantee: { Type: 'CanonicalUser', ID: 'owner-id' }, Permission: 'FULL_CONTROL' },
        { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
        { Grantee: { Type: 'CanonicalUser', ID: 'partner-id' }, Permission: 'READ' },
        { Grantee: { Type: 'AmazonCustomerByEmail', EmailAddress: 'ops@example.com' }, Permission: 'READ_ACP' },
      ],
    });
    const grants = await store().readAcl('b-bucket', 'k', 'v1');
    expect(s3.commandCalls(GetObjectAclCommand)[0]?.args[0].input).toEqual({ Bucket: 'b-bucket', Key: 'k', VersionId: 'v1' });
    expect(grantHeaders(grants)).toEqual({
      GrantFullControl: 'id="owner-id"',
      GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers", id="partner-id"',
      GrantReadACP: 'emailAddress="ops@example.com"',
    });
  });

  it('carries the ACL, the Object Lock and the checksum-keeping copy in one CopyObject', async () => {
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY, BucketKeyEnabled: true, VersionId: 'v2' });
    const source: ObjectSnapshot = {
      versionId: 'v1',
      eTag: '"e"',
      sizeBytes: 10,
      lock: { mode: 'GOVERNANCE', retainUntil: new Date('2027-01-01T00:00:00Z'), legalHold: 'ON' },
    };
    await store().copyInPlace({
      bucket: 'b-bucket',
      key: 'k',
      source,
      target,
      grants: [{ permission: 'READ', grantee: { type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AllUsers' } }],
    });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'k',
      CopySource: 'b-bucket/k?versionId=v1',
      CopySourceIfMatch: '"e"',
      IfMatch: '"e"',
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      StorageClass: 'STANDARD',
      WebsiteRedirectLocation: undefined,
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: new Date('2027-01-01T00:00:00Z'),
      ObjectLockLegalHoldStatus: 'ON',
      GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY,
      BucketKeyEnabled: true,
    });
  });

  it('does not set a retention that has already expired', async () => {
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY });
    await store().copyInPlace({ bucket: 'b-bucket', key: 'k', source: { eTag: '"e"', sizeBytes: 1, lock: { mode: 'GOVERNANCE', retainUntil: new Date('2020-01-01') } }, target });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).not.toHaveProperty('ObjectLockMode');
  });
});

describe('multipart copy', () => {
  const source: ObjectSnapshot = {
    versionId: 'v1',
    eTag: '"big-etag-3"',
    sizeBytes: 12 * MIB,
    storageClass: 'STANDARD_IA',
    websiteRedirectLocation: '/moved',
    headers: {
      contentType: 'video/mp4',
      cacheControl: 'max-age=3600',
      contentDisposition: 'attachment; filename="clip.mp4"',
      contentEncoding: 'identity',
      contentLanguage: 'fr',
      expires: new Date('2027-01-01T00:00:00Z'),
      metadata: { camera: 'a7' },
    },
    lock: { legalHold: 'ON' },
  };
  const request = (overrides = {}) => ({
    bucket: 'b-bucket',
    key: 'clips/a b.mp4',
    source,
    target,
    grants: [{ permission: 'READ', grantee: { type: 'CanonicalUser' as const, id: 'partner-id' } }],
    tags: { project: 'x y', 'cost&centre': '42' },
    partSizeBytes: 5 * MIB,
    partConcurrency: 2,
    ...overrides,
  });

  it('carries every header explicitly, copies parts from the exact version and completes only over what was inspected', async () => {
    s3.on(HeadObjectCommand).resolves({ ChecksumCRC32C: 'abc=' });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => ({ CopyPartResult: { ETag: `"p${input.PartNumber}"`, ChecksumCRC32C: `c${input.PartNumber}` } }));
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v2', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY, BucketKeyEnabled: true });

    await expect(store().multipartCopyInPlace(request())).resolves.toEqual({
      kind: 'copied',
      versionId: 'v2',
      encryption: { kind: 'sse-kms', keyArn: KEY, bucketKeyEnabled: true },
    });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'b-bucket', Key: 'clips/a b.mp4', ChecksumMode: 'ENABLED', VersionId: 'v1' });
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'clips/a b.mp4',
      ContentType: 'video/mp4',
      CacheControl: 'max-age=3600',
      ContentDisposition: 'attachment; filename="clip.mp4"',
      ContentEncoding: 'identity',
      ContentLanguage: 'fr',
      Expires: new Date('2027-01-01T00:00:00Z'),
      WebsiteRedirectLocation: '/moved',
      Metadata: { camera: 'a7' },
      Tagging: 'project=x%20y&cost%26centre=42',
      StorageClass: 'STANDARD_IA',
      ChecksumAlgorithm: 'CRC32C',
      ObjectLockLegalHoldStatus: 'ON',
      GrantRead: 'id="partner-id"',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY,
      BucketKeyEnabled: true,
    });
    expect(s3.commandCalls(UploadPartCopyCommand).map((call) => call.args[0].input)).toEqual(
      [
        [1, 'bytes=0-5242879'],
        [2, 'bytes=5242880-10485759'],
        [3, 'bytes=10485760-12582911'],
      ].map(([PartNumber, CopySourceRange]) => ({
        Bucket: 'b-bucket',
        Key: 'clips/a b.mp4',
        UploadId: 'up-1',
        PartNumber,
        CopySource: 'b-bucket/clips/a%20b.mp4?versionId=v1',
        CopySourceIfMatch: '"big-etag-3"',
        CopySourceRange,
      })),
    );
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b-bucket',
      Key: 'clips/a b.mp4',
      UploadId: 'up-1',
      IfMatch: '"big-etag-3"',
      MultipartUpload: {
        Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"p${n}"`, ChecksumCRC32C: `c${n}` })),
      },
    });
    expect(s3).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
  });

  it('aborts the upload when a part fails, so no parts are left billed', async () => {
    s3.on(HeadObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(UploadPartCopyCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store().multipartCopyInPlace(request())).rejects.toMatchObject({ operation: 'UploadPartCopy', code: 'AccessDenied' });
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'b-bucket', Key: 'clips/a b.mp4', UploadId: 'up-2' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('a newer upload (412 on a part or on completion) aborts and is superseded', async () => {
    s3.on(HeadObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-3' });
    s3.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"p"' } });
    s3.on(CompleteMultipartUploadCommand).rejects(s3Error('PreconditionFailed', 412));
    await expect(store().multipartCopyInPlace(request())).resolves.toEqual({ kind: 'superseded' });
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'up-3' });
  });

  it('says so when even the abort fails', async () => {
    s3.on(HeadObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-4' });
    s3.on(UploadPartCopyCommand).rejects(s3Error('InternalError', 500));
    s3.on(AbortMultipartUploadCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store().multipartCopyInPlace(request())).rejects.toThrow(/parts of upload up-4 remain until a lifecycle rule aborts incomplete uploads/);
  });

  it('an upload that vanished mid-copy is a failure to retry, never an acknowledged "gone"', async () => {
    s3.on(HeadObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-5' });
    s3.on(UploadPartCopyCommand).rejects(s3Error('NoSuchUpload', 404));
    s3.on(AbortMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
    await expect(store().multipartCopyInPlace(request())).rejects.toMatchObject({ operation: 'UploadPartCopy', code: 'NoSuchUpload', transient: true });
  });

  it('an abort answered NoSuchUpload left nothing behind: the copy failure is what is reported', async () => {
    s3.on(HeadObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-6' });
    s3.on(UploadPartCopyCommand).rejects(s3Error('InternalError', 500));
    s3.on(AbortMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
    await expect(store().multipartCopyInPlace(request())).rejects.toMatchObject({ operation: 'UploadPartCopy', code: 'InternalError', transient: true });
  });

  it('chooses parts within S3 limits: at least 5 MiB, at most 10,000 parts', () => {
    expect(partRanges(12 * MIB, 1024)).toHaveLength(3);
    const huge = partRanges(5 * 1024 ** 4, 5 * MIB);
    expect(huge.length).toBeLessThanOrEqual(10_000);
    expect(huge.at(-1)?.end).toBe(5 * 1024 ** 4 - 1);
    expect(huge.every(({ start, end }, i) => i === huge.length - 1 || end - start + 1 >= 5 * MIB)).toBe(true);
  });

  it('encodes tags as a query string', () => {
    expect(tagQuery({ 'a b': 'c=d', x: '' })).toBe('a%20b=c%3Dd&x=');
    expect(tagQuery({})).toBeUndefined();
  });
});

describe('tags and versions', () => {
  it('reads the tags of the exact version', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'finance' }] });
    await expect(store().readTags('b-bucket', 'k', 'v1')).resolves.toEqual({ team: 'finance' });
    expect(s3.commandCalls(GetObjectTaggingCommand)[0]?.args[0].input).toEqual({ Bucket: 'b-bucket', Key: 'k', VersionId: 'v1' });
  });

  it('deletes exactly one version, and refuses without one', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await store().deleteVersion('b-bucket', 'k', 'v1');
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'b-bucket', Key: 'k', VersionId: 'v1' });
    await expect(store().deleteVersion('b-bucket', 'k', 'null')).rejects.toThrow(/without a version id/);
    expect(s3).toHaveReceivedCommandTimes(DeleteObjectCommand, 1);
  });
});
