// The sample estate: KMS keys, buckets with different default encryption and policies, and objects
// of every encryption class moto can hold, with metadata, tags and awkward keys.
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { CreateAliasCommand, CreateKeyCommand, EnableKeyRotationCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { tlsOnlyPolicy } from '../../tooling/sample-policies.mjs';

/** @import { KMSClient } from '@aws-sdk/client-kms' */
/** @import { S3Client, ServerSideEncryption } from '@aws-sdk/client-s3' */

export const MIB = 1024 ** 2;

/** @typedef {{ alias: string, rotation: boolean, description: string }} SampleKey */

/** @satisfies {Record<string, SampleKey>} */
export const KEYS = {
  required: { alias: 'alias/enforcer-required', rotation: true, description: 'the key every object must be under' },
  partner: { alias: 'alias/partner-data', rotation: false, description: "a partner team's key" },
};

export const REPORTS_BUCKET = 'acme-enforcer-reports';
export const POLICY = { exemptions: [{ bucket: 'acme-media', prefix: 'tmp/' }] };

/** Key ARNs by their name in KEYS. @typedef {Record<keyof typeof KEYS, string>} KeyArns */

/**
 * `events`: how the bucket's object-created events reach the enforcer (event-wiring.mjs).
 * `tlsOnly`: set after the run (applyTlsOnlyPolicies), because moto evaluates a Deny without its
 * condition, so a TLS-only policy would refuse every request.
 * @typedef {object} SampleBucket
 * @property {string} name
 * @property {string} what
 * @property {'notification' | 'eventBridge'} events
 * @property {{ SSEAlgorithm: ServerSideEncryption, key?: keyof typeof KEYS }} [defaultEncryption]
 * @property {boolean} [bucketKey]
 * @property {boolean} [tlsOnly]
 * @property {boolean} [versioned]
 */

/** @type {SampleBucket[]} */
export const BUCKETS = [
  { name: 'acme-media', what: 'default SSE-S3; tmp/ exempt by POLICY', events: 'notification', defaultEncryption: { SSEAlgorithm: 'AES256' } },
  { name: 'acme-finance', what: 'default SSE-KMS under the required key, bucket key on; TLS-only bucket policy', events: 'notification', defaultEncryption: { SSEAlgorithm: 'aws:kms', key: 'required' }, bucketKey: true, tlsOnly: true },
  { name: 'acme-partner-exchange', what: 'default SSE-KMS under another key (alias/partner-data)', events: 'notification', defaultEncryption: { SSEAlgorithm: 'aws:kms', key: 'partner' } },
  { name: 'acme-archive', what: 'versioned; no default encryption', events: 'notification', versioned: true },
  { name: 'acme-uploads', what: 'no default encryption', events: 'eventBridge' },
  { name: REPORTS_BUCKET, what: "the audit's reports; default SSE-KMS under the required key", events: 'notification', defaultEncryption: { SSEAlgorithm: 'aws:kms', key: 'required' }, bucketKey: true },
];

/**
 * Keys with `+`, `%`, `:`, spaces and accents, uploaded through both paths: S3 notifications carry
 * them URL-encoded, moto's EventBridge events as stored. `plus/a b c.txt` and `plus/a+b+c.txt` are
 * both present, so a reading that takes `+` for a space finds an object, only the wrong one.
 */
const AWKWARD = [
  { key: 'reports/Q1+Q2 résumé.csv', contentType: 'text/csv', team: 'finance' },
  { key: 'pct/100%25 done.txt', contentType: 'text/plain', team: 'platform' },
  { key: 'plus/a+b+c.txt', contentType: 'text/plain', team: 'platform' },
  { key: 'plus/a b c.txt', contentType: 'text/plain', team: 'platform' },
  { key: 'times/12:30 run.log', contentType: 'text/plain', team: 'platform' },
];

/**
 * @typedef {object} SampleObject
 * @property {string} bucket
 * @property {string} key
 * @property {Upload} upload How it is uploaded: `default` sends no encryption header and gets the bucket's default.
 * @property {string} contentType
 * @property {string} team
 * @property {number} [sizeBytes]
 */
/** @typedef {'default' | 'none' | 'sse-s3' | 'kms-partner' | 'kms-required' | 'dsse-partner' | 'dsse-required'} Upload */

/** @type {SampleObject[]} */
export const OBJECTS = [
  { bucket: 'acme-media', key: 'uploads/cat photo.jpg', upload: 'default', contentType: 'image/jpeg', team: 'marketing' },
  { bucket: 'acme-media', key: 'uploads/Q1 2026+draft/Résumé 日本.txt', upload: 'sse-s3', contentType: 'text/plain; charset=utf-8', team: 'hr' },
  { bucket: 'acme-media', key: 'videos/launch film.mp4', upload: 'default', contentType: 'video/mp4', team: 'marketing', sizeBytes: 6 * MIB },
  { bucket: 'acme-media', key: 'tmp/scratch upload.bin', upload: 'default', contentType: 'application/octet-stream', team: 'marketing' },
  ...AWKWARD.map(/** @returns {SampleObject} */ (object) => ({ bucket: 'acme-media', upload: 'default', ...object })),
  { bucket: 'acme-finance', key: 'ledger/2026/März+Q1.csv', upload: 'default', contentType: 'text/csv', team: 'finance' },
  { bucket: 'acme-finance', key: 'ledger/partner feed.json', upload: 'kms-partner', contentType: 'application/json', team: 'finance' },
  { bucket: 'acme-partner-exchange', key: 'inbound/order 1001.json', upload: 'default', contentType: 'application/json', team: 'partners' },
  { bucket: 'acme-partner-exchange', key: 'inbound/contrat signé+annexe.pdf', upload: 'dsse-partner', contentType: 'application/pdf', team: 'legal' },
  { bucket: 'acme-partner-exchange', key: 'outbound/price list.csv', upload: 'kms-required', contentType: 'text/csv', team: 'partners' },
  { bucket: 'acme-archive', key: '2019/backup 01.tar', upload: 'none', contentType: 'application/x-tar', team: 'platform' },
  { bucket: 'acme-archive', key: '2019/Ünïcödé + spaces.log', upload: 'dsse-required', contentType: 'text/plain', team: 'platform' },
  { bucket: 'acme-archive', key: '2020/legacy+export.dat', upload: 'sse-s3', contentType: 'application/octet-stream', team: 'platform' },
  ...AWKWARD.map(/** @returns {SampleObject} */ (object, index) => ({ bucket: 'acme-uploads', upload: index % 2 === 0 ? 'sse-s3' : 'none', ...object })),
  { bucket: 'acme-uploads', key: 'uploads/Q1 2026+draft/Résumé 日本.txt', upload: 'none', contentType: 'text/plain; charset=utf-8', team: 'hr' },
  { bucket: 'acme-uploads', key: 'ledger/2026/März+Q1.csv', upload: 'sse-s3', contentType: 'text/csv', team: 'finance' },
  { bucket: 'acme-uploads', key: 'inbound/contrat signé+annexe.pdf', upload: 'sse-s3', contentType: 'application/pdf', team: 'legal' },
];

/**
 * @param {Upload} upload
 * @param {KeyArns} keys
 * @returns {{ ServerSideEncryption?: ServerSideEncryption, SSEKMSKeyId?: string, BucketKeyEnabled?: boolean }}
 */
const uploadEncryption = (upload, keys) => {
  switch (upload) {
    case 'default':
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    // S3 answers with the key ARN whatever the upload named; moto repeats what it was sent: send ARNs.
    case 'kms-partner':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.partner };
    case 'kms-required':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.required, BucketKeyEnabled: true };
    case 'dsse-partner':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.partner };
    case 'dsse-required':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.required };
    default:
      throw new Error(`unknown upload ${upload}`);
  }
};


/**
 * @param {KMSClient} kms
 * @returns {Promise<KeyArns>}
 */
export const createKeys = async (kms) => {
  /** @type {Partial<KeyArns>} */
  const keys = {};
  for (const name of /** @type {(keyof typeof KEYS)[]} */ (Object.keys(KEYS))) {
    const spec = KEYS[name];
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: spec.description }));
    if (!KeyMetadata?.Arn) throw new Error('CreateKey returned no ARN');
    await kms.send(new CreateAliasCommand({ AliasName: spec.alias, TargetKeyId: KeyMetadata.KeyId }));
    if (spec.rotation) await kms.send(new EnableKeyRotationCommand({ KeyId: KeyMetadata.KeyId, RotationPeriodInDays: 365 }));
    keys[name] = KeyMetadata.Arn;
  }
  return /** @type {KeyArns} */ (keys);
};

/**
 * @param {S3Client} s3
 * @param {KeyArns} keys
 */
export const createBuckets = async (s3, keys) => {
  for (const bucket of BUCKETS) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
    if (bucket.versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket.name, VersioningConfiguration: { Status: 'Enabled' } }));
    if (bucket.defaultEncryption) {
      const { SSEAlgorithm, key } = bucket.defaultEncryption;
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket.name,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm, ...(key ? { KMSMasterKeyID: keys[key] } : {}) }, BucketKeyEnabled: bucket.bucketKey === true }],
          },
        }),
      );
    }
  }
};

/**
 * Uploads every object; their events are only wired if the buckets' notifications are set first.
 * @param {S3Client} s3
 * @param {KeyArns} keys
 */
export const uploadObjects = async (s3, keys) => {
  for (const object of OBJECTS) {
    const body = object.sizeBytes ? randomBytes(object.sizeBytes) : Buffer.from(`${object.team} data for ${object.key}\n${'x'.repeat(200)}\n`);
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: body,
        ContentType: object.contentType,
        CacheControl: 'max-age=300',
        Metadata: { owner: object.team, 'source-system': 'local-run' },
        Tagging: `team=${object.team}&classification=internal`,
        ...uploadEncryption(object.upload, keys),
      }),
    );
  }
};

/**
 * Set only after enforcement: moto would apply the Deny without its condition and refuse every request.
 * @param {S3Client} s3
 */
export const applyTlsOnlyPolicies = async (s3) => {
  for (const bucket of BUCKETS.filter((candidate) => candidate.tlsOnly)) {
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket.name, Policy: tlsOnlyPolicy(bucket.name) }));
  }
};
