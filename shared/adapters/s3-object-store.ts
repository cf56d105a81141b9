import { CopyObjectCommand, HeadObjectCommand, type S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';
import type { ObjectInspection } from '../core/classify-object.js';
import { encryptionFromHeaders } from '../core/encryption-state.js';
import type { CopyInPlaceRequest, CopyInPlaceResult, ObjectStore } from '../ports/object-store.js';
import { errorCode, httpStatusOf, toAwsCallError } from './aws-error.js';

/** `bucket/key?versionId=…`, URL-encoded as CopySource requires (slashes kept). */
export const copySourceOf = (bucket: string, key: string, versionId: string | undefined): string => {
  const path = `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  return versionId && versionId !== 'null' ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
};

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion']);

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async inspect(bucket: string, key: string): Promise<ObjectInspection> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        kind: 'found',
        object: {
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
        },
      };
    } catch (error) {
      const status = httpStatusOf(error);
      // A HEAD answer has no body: the status is all there is. 405 means the current version is a delete marker.
      if (status === 404 || status === 405 || NOT_FOUND.has(errorCode(error))) return { kind: 'not-found' };
      // S3 refuses to describe an SSE-C object without its customer key, with a bare 400.
      if (status === 400) return { kind: 'customer-key-required' };
      throw toAwsCallError('HeadObject', error);
    }
  }

  async copyInPlace({ bucket, key, source, target }: CopyInPlaceRequest): Promise<CopyInPlaceResult> {
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
          StorageClass: (source.storageClass ?? 'STANDARD') as CopyObjectCommand['input']['StorageClass'],
          WebsiteRedirectLocation: source.websiteRedirectLocation,
          ServerSideEncryption: target.algorithm as ServerSideEncryption,
          SSEKMSKeyId: target.keyArn,
          ...(target.algorithm === 'aws:kms' ? { BucketKeyEnabled: target.bucketKeyEnabled } : {}),
        }),
      );
      return {
        kind: 'copied',
        versionId: copied.VersionId,
        encryption: encryptionFromHeaders({
          serverSideEncryption: copied.ServerSideEncryption,
          kmsKeyId: copied.SSEKMSKeyId,
          bucketKeyEnabled: copied.BucketKeyEnabled,
        }),
      };
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || errorCode(error) === 'PreconditionFailed') return { kind: 'superseded' };
      if (status === 404 || NOT_FOUND.has(errorCode(error))) return { kind: 'gone' };
      throw toAwsCallError('CopyObject', error);
    }
  }
}
