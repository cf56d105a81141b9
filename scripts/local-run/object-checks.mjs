// What S3 says about each object before and after the run, and what must hold between the two.
import { createHash } from 'node:crypto';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { encryptionText } from './report.mjs';
import { POLICY } from './sample-estate.mjs';

/** @import { S3Client } from '@aws-sdk/client-s3' */
/** @import { KeyArns, SampleObject } from './sample-estate.mjs' */

/**
 * An object's encryption, headers, metadata and tags, and a digest of its bytes.
 * @typedef {object} ObjectState
 * @property {string | undefined} algorithm
 * @property {string | undefined} keyArn
 * @property {boolean} bucketKey
 * @property {string | undefined} versionId
 * @property {string} sha256
 * @property {string | undefined} contentType
 * @property {string | undefined} cacheControl
 * @property {string} metadata
 * @property {string} tags
 */

/** Everything a remediation must leave as it was. @type {readonly (keyof ObjectState)[]} */
const INTACT_FIELDS = ['sha256', 'contentType', 'cacheControl', 'metadata', 'tags'];

/**
 * @param {S3Client} s3
 * @param {{ bucket: string, key: string }} object
 * @returns {Promise<ObjectState>}
 */
export const snapshot = async (s3, { bucket, key }) => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
  const bytes = await object.Body.transformToByteArray();
  return {
    algorithm: head.ServerSideEncryption,
    keyArn: head.SSEKMSKeyId,
    bucketKey: head.BucketKeyEnabled === true,
    versionId: head.VersionId,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    contentType: head.ContentType,
    cacheControl: head.CacheControl,
    metadata: JSON.stringify(Object.entries(head.Metadata ?? {}).sort()),
    tags: JSON.stringify((tags.TagSet ?? []).map((tag) => `${tag.Key}=${tag.Value}`).sort()),
  };
};

/** @param {SampleObject} object */
const isExempt = (object) => POLICY.exemptions.some((rule) => rule.bucket === object.bucket && object.key.startsWith(rule.prefix));

/**
 * What must be true after the run; an empty list means it is. DSSE-KMS is never downgraded.
 * @param {SampleObject} object
 * @param {ObjectState} before
 * @param {ObjectState} after
 * @param {KeyArns} keys
 * @returns {string[]}
 */
export const problemsOf = (object, before, after, keys) => {
  const problems = [];
  if (isExempt(object)) {
    if (encryptionText(before, keys) !== encryptionText(after, keys)) problems.push('exempt, but its encryption changed');
  } else {
    const dsse = before.algorithm === 'aws:kms:dsse';
    if (after.algorithm !== (dsse ? 'aws:kms:dsse' : 'aws:kms') || after.keyArn !== keys.required) problems.push('not under the required key');
  }
  for (const field of INTACT_FIELDS) if (before[field] !== after[field]) problems.push(`${field} changed`);
  return problems;
};
