import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

/** How an object is encrypted when it is uploaded. SSE-C is left to unit tests: moto describes SSE-C objects. */
export const ENCRYPTION_CLASSES = ['none', 'sse-s3', 'sse-kms-other', 'sse-kms-required', 'dsse-other', 'dsse-required'] as const;
export type EncryptionClass = (typeof ENCRYPTION_CLASSES)[number];

/** What the enforcer must do with an object of each class, when the policy is the default one. */
export const EXPECTED_OUTCOME: Readonly<Record<EncryptionClass, 'remediated' | 'compliant'>> = {
  none: 'remediated',
  'sse-s3': 'remediated',
  'sse-kms-other': 'remediated',
  'sse-kms-required': 'compliant',
  'dsse-other': 'remediated',
  'dsse-required': 'compliant',
};

export interface KeyArns {
  readonly required: string;
  readonly other: string;
}

export interface SampleObject {
  readonly bucket: string;
  readonly key: string;
  readonly encryptionClass: EncryptionClass;
  readonly body: Buffer;
  /** A string inside the body (uncompressed objects only) that must never show up in a log. */
  readonly bodyMarker: string;
  readonly tagging: string;
}

export interface UploadedObject extends SampleObject {
  readonly versionId: string | undefined;
  readonly eTag: string;
}

const encryptionFor = (encryptionClass: EncryptionClass, keys: KeyArns): Partial<PutObjectCommandInput> => {
  switch (encryptionClass) {
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    // S3 answers with the key ARN whatever form the upload named; moto repeats what it was sent, so upload with ARNs.
    case 'sse-kms-other':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.other };
    case 'sse-kms-required':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.required, BucketKeyEnabled: true };
    case 'dsse-other':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.other };
    case 'dsse-required':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.required };
  }
};

/** A key with a space, a `+`, non-ASCII letters and `/`, the characters S3 notifications encode. */
export const awkwardKey = (prefix: string, name: string): string => `${prefix}/Q1 2026+draft/Résumé 日本 ${name}.txt`;

/** A body worth checking byte for byte: random bytes around a marker. */
const bodyWith = (marker: string): Buffer =>
  Buffer.concat([randomBytes(48 * 1024), Buffer.from(`\n${marker}\n`), randomBytes(16 * 1024)]);

export const sampleObject = (bucket: string, key: string, encryptionClass: EncryptionClass): SampleObject => {
  const bodyMarker = `BODY-MARKER-${randomUUID()}`;
  return { bucket, key, encryptionClass, body: bodyWith(bodyMarker), bodyMarker, tagging: `team=data+platform&class=${encryptionClass}&note=a%20b` };
};

/**
 * Uploads with every header a user sets and S3 keeps: user metadata, Content-Type, Cache-Control,
 * Content-Disposition, Content-Language, and a real gzip body for Content-Encoding.
 */
export const uploadSample = async (
  s3: S3Client,
  sample: SampleObject,
  keys: KeyArns,
  extra: Partial<PutObjectCommandInput> = {},
): Promise<UploadedObject> => {
  const compressed = sample.encryptionClass === 'sse-s3';
  const body = compressed ? gzipSync(sample.body) : sample.body;
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: sample.bucket,
      Key: sample.key,
      Body: body,
      ContentType: compressed ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
      CacheControl: 'public, max-age=300',
      ContentDisposition: `attachment; filename="report-${sample.encryptionClass}.txt"`,
      ContentLanguage: 'de-CH',
      ...(compressed ? { ContentEncoding: 'gzip' } : {}),
      Metadata: { owner: 'data-platform', 'source-system': `uploader ${sample.encryptionClass}`, checksum: 'sha256-not-checked' },
      Tagging: sample.tagging,
      ...encryptionFor(sample.encryptionClass, keys),
      ...extra,
    }),
  );
  if (!put.ETag) throw new Error(`PutObject ${sample.key} returned no ETag`);
  return { ...sample, body, versionId: put.VersionId, eTag: put.ETag };
};
