import { createHash } from 'node:crypto';
import {
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  type Grant,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';

/**
 * Everything a user relies on about one object, read back through the S3 API. The bytes are read
 * with ChecksumMode ENABLED, so the SDK validates them against the object's checksum whatever the
 * client's default: an object a user's download would reject fails the read.
 */
export interface ObjectSnapshot {
  readonly versionId: string | undefined;
  readonly eTag: string | undefined;
  readonly sha256: string;
  readonly encryption: {
    readonly serverSideEncryption: string | undefined;
    readonly kmsKeyId: string | undefined;
    readonly bucketKeyEnabled: boolean | undefined;
  };
  /** The headers S3 stores with the object and returns on every GET. */
  readonly headers: {
    readonly contentType: string | undefined;
    readonly cacheControl: string | undefined;
    readonly contentDisposition: string | undefined;
    readonly contentLanguage: string | undefined;
    readonly contentEncoding: string | undefined;
    readonly websiteRedirectLocation: string | undefined;
    readonly storageClass: string;
    readonly metadata: Readonly<Record<string, string>>;
  };
  readonly tags: readonly Tag[];
}

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const sortedTags = (tags: readonly Tag[]): Tag[] => [...tags].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''));

export const snapshotObject = async (s3: S3Client, bucket: string, key: string): Promise<ObjectSnapshot> => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...(head.VersionId ? { VersionId: head.VersionId } : {}) }));
  if (!object.Body) throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
  const bytes = await object.Body.transformToByteArray();
  const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return {
    versionId: head.VersionId,
    eTag: head.ETag,
    sha256: sha256Of(bytes),
    encryption: {
      serverSideEncryption: head.ServerSideEncryption,
      kmsKeyId: head.SSEKMSKeyId,
      bucketKeyEnabled: head.BucketKeyEnabled,
    },
    headers: {
      contentType: head.ContentType,
      cacheControl: head.CacheControl,
      contentDisposition: head.ContentDisposition,
      contentLanguage: head.ContentLanguage,
      contentEncoding: head.ContentEncoding,
      websiteRedirectLocation: head.WebsiteRedirectLocation,
      storageClass: head.StorageClass ?? 'STANDARD',
      metadata: { ...(head.Metadata ?? {}) },
    },
    tags: sortedTags(TagSet),
  };
};

/** Every version (and delete marker) S3 keeps for exactly this key. */
export const versionsOf = async (s3: S3Client, bucket: string, key: string): Promise<string[]> => {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])]
    .filter((version) => version.Key === key)
    .map((version) => version.VersionId ?? 'null');
};

/** The object's ACL grants, in a stable order, for comparing before and after. */
export const grantsOf = async (s3: S3Client, bucket: string, key: string): Promise<string[]> => {
  const { Grants = [] } = await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
  return Grants.map((grant: Grant) => `${grant.Grantee?.Type}:${grant.Grantee?.URI ?? grant.Grantee?.ID}:${grant.Permission}`).sort();
};

/**
 * One version (the current one when `versionId` is undefined) with everything `snapshotObject`
 * reads, plus what only some tests need: Expires, and the Object Lock HeadObject reports.
 */
export interface VersionSnapshot extends ObjectSnapshot {
  readonly expires: string | undefined;
  readonly lock: { readonly mode: string | undefined; readonly retainUntil: string | undefined; readonly legalHold: string | undefined };
}

export const snapshotVersion = async (s3: S3Client, bucket: string, key: string, versionId?: string): Promise<VersionSnapshot> => {
  const version = versionId ? { VersionId: versionId } : {};
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...version }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...(head.VersionId ? { VersionId: head.VersionId } : version) }));
  if (!object.Body) throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
  const bytes = await object.Body.transformToByteArray();
  const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, ...version }));
  return {
    versionId: head.VersionId,
    eTag: head.ETag,
    sha256: sha256Of(bytes),
    encryption: {
      serverSideEncryption: head.ServerSideEncryption,
      kmsKeyId: head.SSEKMSKeyId,
      bucketKeyEnabled: head.BucketKeyEnabled,
    },
    headers: {
      contentType: head.ContentType,
      cacheControl: head.CacheControl,
      contentDisposition: head.ContentDisposition,
      contentLanguage: head.ContentLanguage,
      contentEncoding: head.ContentEncoding,
      websiteRedirectLocation: head.WebsiteRedirectLocation,
      storageClass: head.StorageClass ?? 'STANDARD',
      metadata: { ...(head.Metadata ?? {}) },
    },
    tags: sortedTags(TagSet),
    expires: head.Expires?.toISOString(),
    lock: { mode: head.ObjectLockMode, retainUntil: head.ObjectLockRetainUntilDate?.toISOString(), legalHold: head.ObjectLockLegalHoldStatus },
  };
};

/** Multipart uploads started and neither completed nor aborted: parts S3 would go on billing. */
export const openUploadsIn = async (s3: S3Client, bucket: string): Promise<{ key: string; uploadId: string }[]> => {
  const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return Uploads.map((upload) => ({ key: upload.Key ?? '', uploadId: upload.UploadId ?? '' }));
};
