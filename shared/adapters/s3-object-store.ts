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
  UpdateObjectEncryptionCommand,
  UploadPartCopyCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
  type Grant,
  type HeadObjectCommandOutput,
  type ObjectLockLegalHoldStatus,
  type ObjectLockMode,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import type { ObjectInspection, ObjectLock, ObjectSnapshot } from '../core/classify-object.js';
import { isRealVersion } from '../core/classify-object.js';
import type { EncryptionTarget } from '../core/decide-object-action.js';
import { encryptionFromHeaders } from '../core/encryption-state.js';
import { mapBounded } from '../core/run-bounded.js';
import type {
  AclGrant,
  AclMode,
  CopyInPlaceRequest,
  CopyInPlaceResult,
  MultipartCopyRequest,
  ObjectStore,
  UpdateInPlaceResult,
} from '../ports/object-store.js';
import { AwsCallError } from '../errors.js';
import { errorCode, httpStatusOf, toAwsCallError } from './aws-error.js';

/** `bucket/key?versionId=…`, URL-encoded as CopySource requires (slashes kept). */
export const copySourceOf = (bucket: string, key: string, versionId: string | undefined): string => {
  const path = `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  return isRealVersion(versionId) ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
};

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion']);
/** Answers meaning this endpoint does not implement UpdateObjectEncryption at all. */
const UPDATE_NOT_IMPLEMENTED = new Set(['NotImplemented', 'XNotImplemented', 'UnsupportedOperation']);
/** Answers meaning this object cannot be updated in place; a copy can still re-encrypt it. */
const UPDATE_NOT_APPLICABLE = new Set(['InvalidRequest', 'MethodNotAllowed', 'InvalidObjectState']);

const CHECKSUM_FIELDS: ReadonlyArray<[keyof HeadObjectCommandOutput, ChecksumAlgorithm]> = [
  ['ChecksumCRC64NVME', 'CRC64NVME'],
  ['ChecksumCRC32C', 'CRC32C'],
  ['ChecksumCRC32', 'CRC32'],
  ['ChecksumSHA256', 'SHA256'],
  ['ChecksumSHA1', 'SHA1'],
];

const lockOf = (head: HeadObjectCommandOutput): ObjectLock | undefined =>
  head.ObjectLockMode || head.ObjectLockLegalHoldStatus
    ? { mode: head.ObjectLockMode, retainUntil: head.ObjectLockRetainUntilDate, legalHold: head.ObjectLockLegalHoldStatus }
    : undefined;

export const snapshotOf = (head: HeadObjectCommandOutput): ObjectSnapshot => ({
  versionId: head.VersionId,
  eTag: head.ETag ?? '',
  sizeBytes: head.ContentLength ?? 0,
  storageClass: head.StorageClass,
  archiveStatus: head.ArchiveStatus,
  restore: head.Restore,
  websiteRedirectLocation: head.WebsiteRedirectLocation,
  serverSideEncryption: head.ServerSideEncryption,
  kmsKeyId: head.SSEKMSKeyId,
  bucketKeyEnabled: head.BucketKeyEnabled,
  customerAlgorithm: head.SSECustomerAlgorithm,
  headers: {
    contentType: head.ContentType,
    cacheControl: head.CacheControl,
    contentDisposition: head.ContentDisposition,
    contentEncoding: head.ContentEncoding,
    contentLanguage: head.ContentLanguage,
    expires: head.Expires,
    websiteRedirectLocation: head.WebsiteRedirectLocation,
    metadata: head.Metadata,
  },
  lock: lockOf(head),
  tagCount: head.TagCount,
});

/** The x-amz-grant-* header value for a set of grantees: `id="…", uri="…"`. */
const granteeList = (grants: readonly AclGrant[], permission: string): string | undefined => {
  const listed = grants
    .filter((grant) => grant.permission === permission)
    .map(({ grantee }) =>
      grantee.type === 'CanonicalUser' ? `id="${grantee.id}"` : grantee.type === 'Group' ? `uri="${grantee.uri}"` : `emailAddress="${grantee.email}"`,
    );
  return listed.length > 0 ? listed.join(', ') : undefined;
};

/** An object ACL as the grant headers CopyObject and CreateMultipartUpload take. */
export const grantHeaders = (grants: readonly AclGrant[] | undefined) => {
  if (!grants || grants.length === 0) return {};
  const headers = {
    GrantFullControl: granteeList(grants, 'FULL_CONTROL'),
    GrantRead: granteeList(grants, 'READ'),
    GrantReadACP: granteeList(grants, 'READ_ACP'),
    GrantWriteACP: granteeList(grants, 'WRITE_ACP'),
  };
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined));
};

const aclGrantOf = (grant: Grant): AclGrant[] => {
  const grantee = grant.Grantee;
  if (!grantee || !grant.Permission) return [];
  if (grantee.Type === 'CanonicalUser' && grantee.ID) return [{ permission: grant.Permission, grantee: { type: 'CanonicalUser', id: grantee.ID } }];
  if (grantee.Type === 'Group' && grantee.URI) return [{ permission: grant.Permission, grantee: { type: 'Group', uri: grantee.URI } }];
  if (grantee.Type === 'AmazonCustomerByEmail' && grantee.EmailAddress) {
    return [{ permission: grant.Permission, grantee: { type: 'AmazonCustomerByEmail', email: grantee.EmailAddress } }];
  }
  return [];
};

/** Object Lock settings to write on the new version: never weaker than the source's. */
const lockHeaders = (lock: ObjectLock | undefined, now: Date) => ({
  ...(lock?.mode && lock.retainUntil && lock.retainUntil > now
    ? { ObjectLockMode: lock.mode as ObjectLockMode, ObjectLockRetainUntilDate: lock.retainUntil }
    : {}),
  ...(lock?.legalHold === 'ON' ? { ObjectLockLegalHoldStatus: 'ON' as ObjectLockLegalHoldStatus } : {}),
});

const encryptionHeaders = (target: EncryptionTarget) => ({
  ServerSideEncryption: target.algorithm as ServerSideEncryption,
  SSEKMSKeyId: target.keyArn,
  ...(target.algorithm === 'aws:kms' ? { BucketKeyEnabled: target.bucketKeyEnabled } : {}),
});

export const tagQuery = (tags: Readonly<Record<string, string>>): string | undefined => {
  const pairs = Object.entries(tags);
  return pairs.length > 0 ? pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') : undefined;
};

/** Byte ranges of at most `partSize`, at most 10,000 of them, each at least 5 MiB but the last. */
export const partRanges = (size: number, requestedPartSize: number): { start: number; end: number }[] => {
  const minimum = 5 * 1024 ** 2;
  const partSize = Math.min(5 * 1024 ** 3, Math.max(minimum, requestedPartSize, Math.ceil(size / 10_000)));
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += partSize) ranges.push({ start, end: Math.min(size, start + partSize) - 1 });
  return ranges;
};

/**
 * HeadObject of the current version, read as the decision needs it. Shared by the enforcer and the
 * audit's object sample, so both judge an object the same way.
 */
export const inspectCurrentVersion = async (s3: S3Client, bucket: string, key: string): Promise<ObjectInspection> => {
  try {
    return { kind: 'found', object: snapshotOf(await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))) };
  } catch (error) {
    const status = httpStatusOf(error);
    // A HEAD answer has no body: the status is all there is. 405 means the current version is a delete marker.
    if (status === 404 || status === 405 || NOT_FOUND.has(errorCode(error))) return { kind: 'not-found' };
    // S3 refuses to describe an SSE-C object without its customer key, with a bare 400.
    if (status === 400) return { kind: 'customer-key-required' };
    throw toAwsCallError('HeadObject', error);
  }
};

export class S3ObjectStore implements ObjectStore {
  private readonly aclModes = new Map<string, Promise<AclMode>>();

  constructor(
    private readonly s3: S3Client,
    private readonly now: () => Date = () => new Date(),
  ) {}

  inspect(bucket: string, key: string): Promise<ObjectInspection> {
    return inspectCurrentVersion(this.s3, bucket, key);
  }

  async copyInPlace({ bucket, key, source, target, grants }: CopyInPlaceRequest): Promise<CopyInPlaceResult> {
    try {
      const copied = await this.s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: copySourceOf(bucket, key, source.versionId),
          // Both guards: the source is still what was inspected, and the key still holds it.
          CopySourceIfMatch: source.eTag,
          IfMatch: source.eTag,
          MetadataDirective: 'COPY',
          TaggingDirective: 'COPY',
          StorageClass: (source.storageClass ?? 'STANDARD') as StorageClass,
          WebsiteRedirectLocation: source.websiteRedirectLocation,
          ...lockHeaders(source.lock, this.now()),
          ...grantHeaders(grants),
          ...encryptionHeaders(target),
        }),
      );
      return {
        kind: 'copied',
        versionId: copied.VersionId,
        encryption: encryptionFromHeaders({ serverSideEncryption: copied.ServerSideEncryption, kmsKeyId: copied.SSEKMSKeyId, bucketKeyEnabled: copied.BucketKeyEnabled }),
      };
    } catch (error) {
      return this.copyRefusal('CopyObject', error);
    }
  }

  async multipartCopyInPlace({ bucket, key, source, target, grants, tags, partSizeBytes, partConcurrency }: MultipartCopyRequest): Promise<CopyInPlaceResult> {
    const checksumAlgorithm = await this.checksumAlgorithmOf(bucket, key, source.versionId);
    const headers = source.headers ?? {};
    let uploadId: string | undefined;
    try {
      // Nothing is copied from the source by a multipart upload: every header is given here.
      const created = await this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ContentType: headers.contentType,
          CacheControl: headers.cacheControl,
          ContentDisposition: headers.contentDisposition,
          ContentEncoding: headers.contentEncoding,
          ContentLanguage: headers.contentLanguage,
          Expires: headers.expires,
          WebsiteRedirectLocation: source.websiteRedirectLocation,
          Metadata: headers.metadata,
          Tagging: tagQuery(tags),
          StorageClass: (source.storageClass ?? 'STANDARD') as StorageClass,
          ChecksumAlgorithm: checksumAlgorithm,
          ...lockHeaders(source.lock, this.now()),
          ...grantHeaders(grants),
          ...encryptionHeaders(target),
        }),
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      const id = uploadId;
      const ranges = partRanges(source.sizeBytes, partSizeBytes);
      const completed = await mapBounded(
        ranges.map((range, index) => ({ ...range, partNumber: index + 1 })),
        partConcurrency,
        async ({ start, end, partNumber }): Promise<CompletedPart> => {
          const { CopyPartResult: part } = await this.s3.send(
            new UploadPartCopyCommand({
              Bucket: bucket,
              Key: key,
              UploadId: id,
              PartNumber: partNumber,
              CopySource: copySourceOf(bucket, key, source.versionId),
              CopySourceIfMatch: source.eTag,
              CopySourceRange: `bytes=${start}-${end}`,
            }),
          );
          return {
            PartNumber: partNumber,
            ETag: part?.ETag,
            ...(part?.ChecksumCRC32 ? { ChecksumCRC32: part.ChecksumCRC32 } : {}),
            ...(part?.ChecksumCRC32C ? { ChecksumCRC32C: part.ChecksumCRC32C } : {}),
            ...(part?.ChecksumCRC64NVME ? { ChecksumCRC64NVME: part.ChecksumCRC64NVME } : {}),
            ...(part?.ChecksumSHA1 ? { ChecksumSHA1: part.ChecksumSHA1 } : {}),
            ...(part?.ChecksumSHA256 ? { ChecksumSHA256: part.ChecksumSHA256 } : {}),
          };
        },
      );
      const done = await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id, MultipartUpload: { Parts: completed }, IfMatch: source.eTag }),
      );
      return {
        kind: 'copied',
        versionId: done.VersionId,
        encryption: encryptionFromHeaders({ serverSideEncryption: done.ServerSideEncryption, kmsKeyId: done.SSEKMSKeyId, bucketKeyEnabled: done.BucketKeyEnabled }),
      };
    } catch (error) {
      if (uploadId) await this.abort(bucket, key, uploadId, error);
      return this.copyRefusal('UploadPartCopy', error);
    }
  }

  async updateEncryptionInPlace(bucket: string, key: string, versionId: string | undefined, target: EncryptionTarget): Promise<UpdateInPlaceResult> {
    try {
      await this.s3.send(
        new UpdateObjectEncryptionCommand({
          Bucket: bucket,
          Key: key,
          ...(isRealVersion(versionId) ? { VersionId: versionId } : {}),
          ObjectEncryption: { SSEKMS: { KMSKeyArn: target.keyArn, BucketKeyEnabled: target.bucketKeyEnabled } },
        }),
      );
      return { kind: 'updated' };
    } catch (error) {
      const code = errorCode(error);
      const status = httpStatusOf(error);
      if (UPDATE_NOT_IMPLEMENTED.has(code) || status === 501) return { kind: 'unsupported', code, endpointWide: true };
      if (UPDATE_NOT_APPLICABLE.has(code)) return { kind: 'unsupported', code, endpointWide: false };
      if (status === 404 || NOT_FOUND.has(code)) return { kind: 'gone' };
      throw toAwsCallError('UpdateObjectEncryption', error);
    }
  }

  aclMode(bucket: string): Promise<AclMode> {
    let known = this.aclModes.get(bucket);
    if (!known) {
      known = this.readAclMode(bucket).catch((error: unknown) => {
        this.aclModes.delete(bucket);
        throw error;
      });
      this.aclModes.set(bucket, known);
    }
    return known;
  }

  async readAcl(bucket: string, key: string, versionId: string | undefined): Promise<readonly AclGrant[]> {
    try {
      const acl = await this.s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: key, ...(isRealVersion(versionId) ? { VersionId: versionId } : {}) }));
      return (acl.Grants ?? []).flatMap(aclGrantOf);
    } catch (error) {
      throw toAwsCallError('GetObjectAcl', error);
    }
  }

  async readTags(bucket: string, key: string, versionId: string | undefined): Promise<Record<string, string>> {
    try {
      const tagging = await this.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, ...(isRealVersion(versionId) ? { VersionId: versionId } : {}) }));
      return Object.fromEntries((tagging.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    } catch (error) {
      throw toAwsCallError('GetObjectTagging', error);
    }
  }

  async deleteVersion(bucket: string, key: string, versionId: string): Promise<void> {
    if (!isRealVersion(versionId)) throw new Error(`refusing to delete s3://${bucket}/${key} without a version id`);
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    } catch (error) {
      throw toAwsCallError('DeleteObject', error);
    }
  }

  private async readAclMode(bucket: string): Promise<AclMode> {
    try {
      const controls = await this.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
      const ownership = controls.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
      return ownership === 'BucketOwnerEnforced' ? 'acls-disabled' : 'acls-enabled';
    } catch (error) {
      // A bucket with no ownership controls predates them: ACLs are on (ObjectWriter).
      if (errorCode(error) === 'OwnershipControlsNotFoundError') return 'acls-enabled';
      throw toAwsCallError('GetBucketOwnershipControls', error);
    }
  }

  /** The additional checksum to keep on a multipart copy. Unknown (no permission to read it) is not fatal. */
  private async checksumAlgorithmOf(bucket: string, key: string, versionId: string | undefined): Promise<ChecksumAlgorithm | undefined> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...(isRealVersion(versionId) ? { VersionId: versionId } : {}) }),
      );
      return CHECKSUM_FIELDS.find(([field]) => head[field] !== undefined)?.[1];
    } catch {
      return undefined;
    }
  }

  private async abort(bucket: string, key: string, uploadId: string, cause: unknown): Promise<void> {
    try {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch (abortError) {
      // Already gone: nothing is left behind, and the copy's own failure is what to report.
      if (errorCode(abortError) === 'NoSuchUpload') return;
      const failure = toAwsCallError('AbortMultipartUpload', abortError);
      throw new AwsCallError(
        'AbortMultipartUpload',
        failure.code,
        failure.httpStatus,
        failure.transient,
        `${(abortError as Error)?.message ?? failure.code}; the copy had failed with ${errorCode(cause)}, and the parts of upload ${uploadId} remain until a lifecycle rule aborts incomplete uploads`,
        { cause },
      );
    }
  }

  private copyRefusal(operation: string, error: unknown): CopyInPlaceResult {
    // The upload vanished, not the object: a failure to retry, never an acknowledged "gone".
    if (errorCode(error) === 'NoSuchUpload') throw toAwsCallError(operation, error);
    const status = httpStatusOf(error);
    if (status === 412 || errorCode(error) === 'PreconditionFailed') return { kind: 'superseded' };
    if (status === 404 || NOT_FOUND.has(errorCode(error))) return { kind: 'gone' };
    throw toAwsCallError(operation, error);
  }
}
