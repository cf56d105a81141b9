// The objects of simulated S3 buckets, as the enforce function sees them through S3ObjectStore:
// HeadObject, the writes (UpdateObjectEncryption, CopyObject, multipart copy) and the reads around
// a copy (ownership controls, ACL, tags). Writes change the stored encryption, so a second pass
// over the same objects finds them compliant.
import { answer, el, s3Error, xml } from './simulated-aws.mjs';

/** @import { Answer, CommandInput } from './simulated-aws.mjs' */

/** @typedef {'BucketOwnerEnforced' | 'ObjectWriter'} Ownership */
/** An encryption class as HeadObject shows it before enforcement. @typedef {{ label: string, sse?: string, kmsKeyId?: string, sizeBytes: number }} ObjectClass */
/** @typedef {{ sse?: string, kmsKeyId?: string, sizeBytes: number, eTag: string, generation: number, tags: Record<string, string> }} StoredObject */

export const GIB = 1024 ** 3;
const LAST_MODIFIED = 'Wed, 01 Jan 2025 00:00:00 GMT';

/**
 * The encryption classes the figures are reported for: what HeadObject shows before enforcement.
 * @param {string} requiredKeyArn
 * @param {string} otherKeyArn
 * @satisfies {(requiredKeyArn: string, otherKeyArn: string) => Record<string, ObjectClass>}
 */
export const objectClasses = (requiredKeyArn, otherKeyArn) => ({
  compliant: { label: 'compliant (SSE-KMS, required key)', sse: 'aws:kms', kmsKeyId: requiredKeyArn, sizeBytes: 1024 },
  'sse-s3': { label: 'SSE-S3', sse: 'AES256', sizeBytes: 1024 },
  unencrypted: { label: 'unencrypted', sizeBytes: 1024 },
  'other-kms': { label: 'SSE-KMS, another key', sse: 'aws:kms', kmsKeyId: otherKeyArn, sizeBytes: 1024 },
  'large-sse-s3': { label: 'over 5 GiB (6 GiB), SSE-S3', sse: 'AES256', sizeBytes: 6 * GIB },
  'large-unencrypted': { label: 'over 5 GiB (6 GiB), unencrypted', sizeBytes: 6 * GIB },
});

export class SimulatedObjects {
  constructor() {
    /** @type {Map<string, { ownership: Ownership, objects: Map<string, StoredObject> }>} */
    this.buckets = new Map();
    /** @type {Map<string, { algorithm: string, keyArn: string }>} */
    this.uploads = new Map();
    this.uploadSequence = 0;
  }

  /**
   * @param {string} name
   * @param {Ownership} ownership 'BucketOwnerEnforced' (ACLs off) or 'ObjectWriter' (ACLs on).
   */
  addBucket(name, ownership) {
    this.buckets.set(name, { ownership, objects: new Map() });
  }

  /**
   * @param {string} bucket
   * @param {string} key
   * @param {ObjectClass} objectClass
   */
  putObject(bucket, key, { sse, kmsKeyId, sizeBytes }) {
    const stored = this.buckets.get(bucket);
    if (!stored) throw new Error(`simulated S3: no bucket ${bucket}`);
    stored.objects.set(key, { sse, kmsKeyId, sizeBytes, eTag: `"${key.length.toString(16).padStart(32, '0')}"`, generation: 1, tags: { team: 'bench' } });
  }

  /**
   * @param {string} bucket
   * @param {string} key
   */
  objectOf(bucket, key) {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /**
   * Bring an object under a key, as S3 would after a write.
   * @param {StoredObject} object
   * @param {string} algorithm
   * @param {string} keyArn
   */
  encrypt(object, algorithm, keyArn) {
    object.sse = algorithm;
    object.kmsKeyId = keyArn;
    object.generation += 1;
  }

  /**
   * @param {string} command
   * @param {CommandInput} input
   * @returns {Answer}
   */
  respond(command, input) {
    switch (command) {
      case 'HeadObjectCommand': {
        const object = this.objectOf(input.Bucket, input.Key);
        if (!object) return answer(404);
        return answer(200, {
          'content-length': String(object.sizeBytes),
          'content-type': 'application/octet-stream',
          etag: object.eTag,
          'last-modified': LAST_MODIFIED,
          'x-amz-tagging-count': '1',
          'x-amz-meta-owner': 'bench',
          ...(object.sse ? { 'x-amz-server-side-encryption': object.sse } : {}),
          ...(object.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': object.kmsKeyId, 'x-amz-server-side-encryption-bucket-key-enabled': 'true' } : {}),
        });
      }
      case 'UpdateObjectEncryptionCommand': {
        const object = this.objectOf(input.Bucket, input.Key);
        if (!object) return s3Error(404, 'NoSuchKey');
        this.encrypt(object, 'aws:kms', input.ObjectEncryption.SSEKMS.KMSKeyArn);
        return answer(200);
      }
      case 'CopyObjectCommand': {
        const object = this.objectOf(input.Bucket, input.Key);
        if (!object) return s3Error(404, 'NoSuchKey');
        if (input.CopySourceIfMatch !== object.eTag || input.IfMatch !== object.eTag) return s3Error(412, 'PreconditionFailed');
        this.encrypt(object, input.ServerSideEncryption, input.SSEKMSKeyId);
        return answer(
          200,
          {
            'content-type': 'application/xml',
            'x-amz-server-side-encryption': input.ServerSideEncryption,
            'x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId,
            'x-amz-server-side-encryption-bucket-key-enabled': String(input.BucketKeyEnabled === true),
          },
          xml('CopyObjectResult', el('ETag', object.eTag) + el('LastModified', '2025-01-01T00:00:00.000Z')),
        );
      }
      case 'GetBucketOwnershipControlsCommand': {
        const bucket = this.buckets.get(input.Bucket);
        if (!bucket) return s3Error(404, 'NoSuchBucket');
        return answer(200, { 'content-type': 'application/xml' }, xml('OwnershipControls', `<Rule>${el('ObjectOwnership', bucket.ownership)}</Rule>`));
      }
      case 'GetObjectAclCommand':
        return answer(
          200,
          { 'content-type': 'application/xml' },
          xml(
            'AccessControlPolicy',
            `<Owner>${el('ID', 'bench-owner')}</Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${el('ID', 'bench-owner')}</Grantee>${el('Permission', 'FULL_CONTROL')}</Grant></AccessControlList>`,
          ),
        );
      case 'GetObjectTaggingCommand': {
        const object = this.objectOf(input.Bucket, input.Key);
        const tags = Object.entries(object?.tags ?? {}).map(([key, value]) => `<Tag>${el('Key', key)}${el('Value', value)}</Tag>`).join('');
        return answer(200, { 'content-type': 'application/xml' }, xml('Tagging', `<TagSet>${tags}</TagSet>`));
      }
      case 'CreateMultipartUploadCommand': {
        const uploadId = `upload-${(this.uploadSequence += 1)}`;
        this.uploads.set(uploadId, { algorithm: input.ServerSideEncryption, keyArn: input.SSEKMSKeyId });
        return answer(
          200,
          { 'content-type': 'application/xml', 'x-amz-server-side-encryption': input.ServerSideEncryption, 'x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId },
          xml('InitiateMultipartUploadResult', el('Bucket', input.Bucket) + el('Key', input.Key) + el('UploadId', uploadId)),
        );
      }
      case 'UploadPartCopyCommand': {
        const object = this.objectOf(input.Bucket, input.Key);
        if (!object || input.CopySourceIfMatch !== object.eTag) return s3Error(412, 'PreconditionFailed');
        return answer(200, { 'content-type': 'application/xml' }, xml('CopyPartResult', el('ETag', `"part-${input.PartNumber}"`) + el('LastModified', '2025-01-01T00:00:00.000Z')));
      }
      case 'CompleteMultipartUploadCommand': {
        const object = this.objectOf(input.Bucket, input.Key);
        const upload = this.uploads.get(input.UploadId);
        if (!object || !upload) return s3Error(404, 'NoSuchUpload');
        if (input.IfMatch !== object.eTag) return s3Error(412, 'PreconditionFailed');
        this.uploads.delete(input.UploadId);
        this.encrypt(object, upload.algorithm, upload.keyArn);
        return answer(
          200,
          {
            'content-type': 'application/xml',
            'x-amz-server-side-encryption': upload.algorithm,
            'x-amz-server-side-encryption-aws-kms-key-id': upload.keyArn,
            'x-amz-server-side-encryption-bucket-key-enabled': 'true',
          },
          xml('CompleteMultipartUploadResult', el('Bucket', input.Bucket) + el('Key', input.Key) + el('ETag', `"multipart-${input.MultipartUpload.Parts.length}"`)),
        );
      }
      case 'AbortMultipartUploadCommand':
        this.uploads.delete(input.UploadId);
        return answer(204);
      default:
        return s3Error(501, 'NotImplemented', `the benchmark's simulated S3 does not answer ${command}`);
    }
  }
}
