import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type ObjectCannedACL,
  type PutObjectCommandInput,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { runAwsCli } from './aws-cli.js';
import type { KeyArns } from './sample-objects.js';

/**
 * Randomly generated objects for the data-integrity run: sizes from 0 bytes to multipart-sized,
 * every header a user can set, user metadata, tags, canned ACLs and awkward keys. The structure
 * comes from a seeded generator (the seed is printed, so a failure can be replayed); the bytes are
 * random and checked by sha256.
 */

type Random = () => number;
const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, 0, items.length - 1)] as T;
const chance = (random: Random, p: number): boolean => random() < p;

export const INTEGRITY_CLASSES = ['none', 'sse-s3', 'sse-kms-other', 'dsse-other', 'sse-kms-required', 'dsse-required'] as const;
export type IntegrityClass = (typeof INTEGRITY_CLASSES)[number];
const CLASS_WEIGHTS: readonly [IntegrityClass, number][] = [
  ['none', 40],
  ['sse-s3', 22],
  ['sse-kms-other', 15],
  ['dsse-other', 5],
  ['sse-kms-required', 12],
  ['dsse-required', 6],
];
export const isCompliantClass = (encryptionClass: IntegrityClass): boolean => encryptionClass === 'sse-kms-required' || encryptionClass === 'dsse-required';

export type IntegrityBucketKind = 'acls-disabled' | 'acls-enabled' | 'versioned';

export interface IntegrityObject {
  readonly bucket: string;
  readonly bucketKind: IntegrityBucketKind;
  readonly key: string;
  readonly encryptionClass: IntegrityClass;
  readonly size: number;
  readonly headers: {
    readonly ContentType?: string;
    readonly CacheControl?: string;
    readonly ContentDisposition?: string;
    readonly ContentLanguage?: string;
    readonly ContentEncoding?: string;
    readonly Expires?: Date;
    readonly WebsiteRedirectLocation?: string;
    readonly StorageClass?: StorageClass;
  };
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly (readonly [string, string])[];
  readonly acl?: ObjectCannedACL;
  /** Inside the body when it is long enough; must never show up in a log. */
  readonly marker: string | undefined;
}

const KEY_PIECES = [
  'reports', 'Q3 résumé', 'a+b', 'spaces  twice', '100%', 'x&y=z', 'why?', 'hash#tag', 'tilde~', "it's", '(1)', 'star*', 'comma,semi;',
  '日本語', 'données', 'ÆØÅ', '🔑', 'emoji 🎉 party', 'Ω≈ç√', 'tab\there', 'a.b.c', '_under', '-dash', '$dollar', '@at', '[brackets]', '{braces}', 'quote"d',
];

/** A key no other object has, with the characters S3 notifications encode, up to ~1,000 bytes. */
const keyFor = (random: Random, index: number): string => {
  const depth = int(random, 0, 4);
  const segments = Array.from({ length: depth }, () => pick(random, KEY_PIECES));
  const name = `${String(index).padStart(4, '0')} ${pick(random, KEY_PIECES)}${pick(random, ['.txt', '.json', '.bin', '', '.tar.gz', ' (copy).csv'])}`;
  let key = [...segments, name].join('/');
  if (chance(random, 0.02)) key = `${'long-segment-é日/'.repeat(40)}${key}`;
  return key;
};

const token = (random: Random, alphabet: string, min: number, max: number): string =>
  Array.from({ length: int(random, min, max) }, () => alphabet[int(random, 0, alphabet.length - 1)]).join('');

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PRINTABLE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._-:/=+,';
const TAG_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 +-=._:/@';

const sizeFor = (random: Random, multipart: boolean): number => {
  if (multipart) return int(random, 6 * 1024 ** 2 + 1, 14 * 1024 ** 2);
  const bucket = random();
  if (bucket < 0.08) return 0;
  if (bucket < 0.15) return int(random, 1, 16);
  if (bucket < 0.85) return int(random, 17, 16 * 1024);
  return int(random, 16 * 1024, 256 * 1024);
};

export const generateObjects = (
  random: Random,
  count: number,
  multipartCount: number,
  buckets: Readonly<Record<IntegrityBucketKind, string>>,
): IntegrityObject[] => {
  const weights = CLASS_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  const classFor = (): IntegrityClass => {
    let roll = random() * weights;
    for (const [encryptionClass, weight] of CLASS_WEIGHTS) {
      roll -= weight;
      if (roll < 0) return encryptionClass;
    }
    return 'none';
  };
  const kinds: readonly IntegrityBucketKind[] = ['acls-disabled', 'acls-enabled', 'versioned'];
  return Array.from({ length: count }, (_unused, index): IntegrityObject => {
    const multipart = index < multipartCount;
    const bucketKind = kinds[index % kinds.length] as IntegrityBucketKind;
    // Multipart-sized objects are the expensive ones: make every one of them need the copy.
    const encryptionClass = multipart ? pick(random, ['none', 'sse-s3', 'sse-kms-other', 'dsse-other'] as const) : classFor();
    const size = sizeFor(random, multipart);
    const tagCount = chance(random, 0.3) ? 0 : int(random, 1, 10);
    const tagKeys = new Set<string>();
    while (tagKeys.size < tagCount) tagKeys.add(token(random, TAG_CHARS, 1, 24).trim() || `t${tagKeys.size}`);
    const metadataCount = chance(random, 0.25) ? 0 : int(random, 1, 5);
    const metadata: Record<string, string> = {};
    for (let entry = 0; entry < metadataCount; entry += 1) metadata[`${token(random, LOWER, 1, 12)}-${entry}`] = token(random, PRINTABLE, 0, 40).trim();
    const headers: IntegrityObject['headers'] = {
      ...(chance(random, 0.9) ? { ContentType: pick(random, ['text/plain; charset=utf-8', 'application/json', 'image/png', 'application/octet-stream', 'text/csv', 'application/x-tar', 'video/mp4']) } : {}),
      ...(chance(random, 0.6) ? { CacheControl: pick(random, ['no-cache', 'public, max-age=300', 'private, max-age=0, must-revalidate', `max-age=${int(random, 1, 999999)}`]) } : {}),
      ...(chance(random, 0.5) ? { ContentDisposition: pick(random, ['inline', `attachment; filename="file-${index}.bin"`, `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9-${index}.pdf`]) } : {}),
      ...(chance(random, 0.4) ? { ContentLanguage: pick(random, ['en', 'de-CH', 'fr', 'ja-JP', 'en-GB, fr-CA']) } : {}),
      ...(chance(random, 0.15) ? { ContentEncoding: pick(random, ['identity', 'gzip', 'br']) } : {}),
      ...(chance(random, 0.15) ? { Expires: new Date(Date.UTC(2030, int(random, 0, 11), int(random, 1, 28), int(random, 0, 23))) } : {}),
      ...(chance(random, 0.05) ? { WebsiteRedirectLocation: `/moved/${index}.html` } : {}),
      ...(chance(random, 0.15) ? { StorageClass: pick(random, ['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'STANDARD'] as const) } : {}),
    };
    const acl = bucketKind === 'acls-enabled' ? pick(random, ['private', 'public-read', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control'] as const) : undefined;
    const marker = size >= 64 ? `BODY-${randomUUID()}` : undefined;
    return {
      bucket: buckets[bucketKind],
      bucketKind,
      key: keyFor(random, index),
      encryptionClass,
      size,
      headers,
      metadata,
      tags: [...tagKeys].map((key) => [key, token(random, TAG_CHARS, 0, 48).trim()] as const),
      ...(acl ? { acl } : {}),
      marker,
    };
  });
};

/** Random bytes of exactly `size`, with the marker in the middle when there is one. */
export const bodyOf = (object: IntegrityObject): Buffer => {
  if (!object.marker) return randomBytes(object.size);
  const marker = Buffer.from(`\n${object.marker}\n`);
  const before = Math.floor((object.size - marker.length) / 2);
  return Buffer.concat([randomBytes(before), marker, randomBytes(object.size - marker.length - before)]);
};

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const encryptionOf = (encryptionClass: IntegrityClass, keys: KeyArns): Partial<PutObjectCommandInput> => {
  switch (encryptionClass) {
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    case 'sse-kms-other':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.other };
    case 'dsse-other':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.other };
    case 'sse-kms-required':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.required, BucketKeyEnabled: true };
    case 'dsse-required':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.required };
  }
};

export interface Uploaded {
  readonly object: IntegrityObject;
  readonly sha256: string;
  readonly eTag: string;
  readonly versionId: string | undefined;
}

export const uploadObject = async (s3: S3Client, object: IntegrityObject, keys: KeyArns): Promise<Uploaded> => {
  const body = bodyOf(object);
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      Body: body,
      ...object.headers,
      Metadata: { ...object.metadata },
      ...(object.tags.length > 0 ? { Tagging: object.tags.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&') } : {}),
      ...(object.acl ? { ACL: object.acl } : {}),
      ...encryptionOf(object.encryptionClass, keys),
    }),
  );
  if (!put.ETag) throw new Error(`PutObject ${object.key} returned no ETag`);
  return { object, sha256: sha256Of(body), eTag: put.ETag, versionId: put.VersionId };
};

/** How an object was uploaded in parts: by the AWS CLI, or by the SDK's multipart upload where the CLI is missing. */
export type PartsUploader = 'aws-cli' | 'sdk-multipart';

/** The AWS CLI's multipart threshold and part size: an object above it goes up in parts. */
export const CLI_PART_BYTES = 8 * 1024 ** 2;

const cliEncryptionOf = (encryptionClass: IntegrityClass, keys: KeyArns): string[] => {
  switch (encryptionClass) {
    case 'none':
      return [];
    case 'sse-s3':
      return ['--sse', 'AES256'];
    case 'sse-kms-other':
      return ['--sse', 'aws:kms', '--sse-kms-key-id', keys.other];
    case 'sse-kms-required':
      return ['--sse', 'aws:kms', '--sse-kms-key-id', keys.required];
    case 'dsse-other':
    case 'dsse-required':
      throw new Error(`the AWS CLI cannot upload ${encryptionClass}`);
  }
};

const uploadWithCli = async (endpoint: string, object: IntegrityObject, body: Buffer, keys: KeyArns): Promise<void> => {
  if (object.tags.length > 0) throw new Error('`aws s3 cp` cannot tag an upload');
  const folder = await mkdtemp(join(tmpdir(), 'integrity-cli-'));
  try {
    const file = join(folder, 'body');
    await writeFile(file, body);
    const { headers } = object;
    const run = await runAwsCli(endpoint, [
      's3', 'cp', file, `s3://${object.bucket}/${object.key}`, '--no-progress',
      // The default of current CLIs, named so that an older CLI uploads the same checksum.
      '--checksum-algorithm', 'CRC32',
      ...(headers.ContentType ? ['--content-type', headers.ContentType] : []),
      ...(headers.CacheControl ? ['--cache-control', headers.CacheControl] : []),
      ...(headers.ContentDisposition ? ['--content-disposition', headers.ContentDisposition] : []),
      ...(headers.ContentLanguage ? ['--content-language', headers.ContentLanguage] : []),
      ...(headers.ContentEncoding ? ['--content-encoding', headers.ContentEncoding] : []),
      ...(headers.Expires ? ['--expires', headers.Expires.toISOString()] : []),
      ...(headers.WebsiteRedirectLocation ? ['--website-redirect', headers.WebsiteRedirectLocation] : []),
      ...(headers.StorageClass ? ['--storage-class', headers.StorageClass] : []),
      ...(Object.keys(object.metadata).length > 0 ? ['--metadata', JSON.stringify(object.metadata)] : []),
      ...(object.acl ? ['--acl', object.acl] : []),
      ...cliEncryptionOf(object.encryptionClass, keys),
    ]);
    if (run.code !== 0) throw new Error(`aws s3 cp of ${object.key} exited with ${run.code}: ${run.stderr.trim()}`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
};

const uploadWithSdkMultipart = async (s3: S3Client, object: IntegrityObject, body: Buffer, keys: KeyArns): Promise<void> => {
  const Bucket = object.bucket;
  const Key = object.key;
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key,
      ...object.headers,
      Metadata: { ...object.metadata },
      ...(object.tags.length > 0 ? { Tagging: object.tags.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&') } : {}),
      ...(object.acl ? { ACL: object.acl } : {}),
      ChecksumAlgorithm: 'CRC32',
      ...encryptionOf(object.encryptionClass, keys),
    }),
  );
  if (!UploadId) throw new Error(`CreateMultipartUpload ${object.key} returned no UploadId`);
  const parts: CompletedPart[] = [];
  for (let start = 0; start < body.length; start += CLI_PART_BYTES) {
    const PartNumber = parts.length + 1;
    const part = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body.subarray(start, start + CLI_PART_BYTES), ChecksumAlgorithm: 'CRC32' }));
    parts.push({ PartNumber, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
};

/**
 * Uploads an object larger than `CLI_PART_BYTES` in parts with a CRC32 checksum, so S3 gives it a
 * composite checksum (a checksum of the part checksums, `-N`): as the AWS CLI does, or the SDK's
 * multipart upload where the CLI is missing.
 */
export const uploadInParts = async (s3: S3Client, endpoint: string, object: IntegrityObject, keys: KeyArns, uploader: PartsUploader): Promise<Uploaded> => {
  if (object.size <= CLI_PART_BYTES) throw new Error(`${object.key} (${object.size} B) would go up in one piece`);
  const body = bodyOf(object);
  if (uploader === 'aws-cli') await uploadWithCli(endpoint, object, body, keys);
  else await uploadWithSdkMultipart(s3, object, body, keys);
  const head = await s3.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key }));
  if (!head.ETag) throw new Error(`HeadObject ${object.key} returned no ETag`);
  return { object, sha256: sha256Of(body), eTag: head.ETag, versionId: head.VersionId };
};

const CHECKSUM_FIELDS = [
  ['ChecksumCRC64NVME', 'CRC64NVME'],
  ['ChecksumCRC32C', 'CRC32C'],
  ['ChecksumCRC32', 'CRC32'],
  ['ChecksumSHA256', 'SHA256'],
  ['ChecksumSHA1', 'SHA1'],
] as const satisfies readonly (readonly [keyof HeadObjectCommandOutput, string])[];

/** The additional checksum S3 reports with ChecksumMode ENABLED; a value with a `-N` part count is composite. */
const checksumOf = (head: Omit<HeadObjectCommandOutput, '$metadata'>): ObjectState['checksum'] => {
  const [field, algorithm] = CHECKSUM_FIELDS.find(([name]) => head[name] !== undefined) ?? [];
  if (!field || !algorithm) return undefined;
  return { algorithm, type: head.ChecksumType ?? (/-\d+$/.test(String(head[field])) ? 'COMPOSITE' : 'FULL_OBJECT') };
};

/** Everything a user relies on about one object, as S3 reports it. */
export interface ObjectState {
  readonly versionId: string | undefined;
  readonly encryption: { readonly algorithm: string | undefined; readonly keyId: string | undefined; readonly bucketKey: boolean | undefined };
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly grants: readonly string[] | undefined;
  readonly sha256: string | undefined;
  readonly checksum: { readonly algorithm: string; readonly type: string } | undefined;
}

/**
 * Reads an object back. Before: HeadObject, its tags (an object uploaded without tags has none) and
 * its ACL. After: GetObject (the same headers as HeadObject, and the bytes), every tag, the ACL.
 * Both ask for the object's checksum; GetObject has the SDK validate the bytes against it, whatever
 * the client's default, and fails on a mismatch as a user's download would.
 */
export const readState = async (s3: S3Client, object: IntegrityObject, when: 'before' | 'after'): Promise<ObjectState> => {
  let sha256: string | undefined;
  let head: Omit<HeadObjectCommandOutput, '$metadata'>;
  if (when === 'after') {
    const { Body, ...got } = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key, ChecksumMode: 'ENABLED' }));
    sha256 = sha256Of(Body ? await Body.transformToByteArray() : new Uint8Array());
    head = got;
  } else {
    head = await s3.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key, ChecksumMode: 'ENABLED' }));
  }
  const readTags = when === 'after' || object.tags.length > 0;
  const { TagSet = [] } = readTags ? await s3.send(new GetObjectTaggingCommand({ Bucket: object.bucket, Key: object.key })) : { TagSet: [] };
  const grants = object.bucketKind === 'acls-enabled'
    ? ((await s3.send(new GetObjectAclCommand({ Bucket: object.bucket, Key: object.key }))).Grants ?? [])
        .map((grant) => `${grant.Grantee?.Type}:${grant.Grantee?.URI ?? grant.Grantee?.ID ?? grant.Grantee?.EmailAddress}:${grant.Permission}`)
        .sort()
    : undefined;
  return {
    versionId: head.VersionId,
    encryption: { algorithm: head.ServerSideEncryption, keyId: head.SSEKMSKeyId, bucketKey: head.BucketKeyEnabled },
    headers: {
      contentType: head.ContentType,
      cacheControl: head.CacheControl,
      contentDisposition: head.ContentDisposition,
      contentLanguage: head.ContentLanguage,
      contentEncoding: head.ContentEncoding,
      expires: head.ExpiresString ?? (head.Expires ? head.Expires.toUTCString() : undefined),
      websiteRedirectLocation: head.WebsiteRedirectLocation,
      storageClass: head.StorageClass ?? 'STANDARD',
      contentLength: String(head.ContentLength),
    },
    metadata: { ...(head.Metadata ?? {}) },
    tags: TagSet.map((tag) => `${tag.Key}=${tag.Value}`).sort(),
    grants,
    sha256,
    checksum: checksumOf(head),
  };
};

/** How many versions each key of a bucket has (delete markers included): one listing for the whole bucket. */
export const versionCounts = async (s3: S3Client, bucket: string): Promise<Map<string, number>> => {
  const counts = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const version of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      if (version.Key !== undefined) counts.set(version.Key, (counts.get(version.Key) ?? 0) + 1);
    }
    if (!page.IsTruncated) return counts;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
};
