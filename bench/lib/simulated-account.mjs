// A simulated account for the audit: `buckets` buckets in one region with a mix of default
// encryption, policies and notifications, `keys` customer-managed KMS keys (the required one and
// the keys the buckets name), the reports bucket and the findings topic. Deterministic.
import { Buffer } from 'node:buffer';
import { answer, el, kmsAnswer, kmsError, s3Error, xml } from './simulated-aws.mjs';
import { tlsOnlyPolicy } from '../../tooling/sample-policies.mjs';

/** @import { Answer, CommandInput } from './simulated-aws.mjs' */

const CREATED = '2025-01-01T00:00:00.000Z';


/** @param {string} account */
const keyPolicy = (account) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  });

export class SimulatedAccount {
  /** @param {{ buckets: number, keys: number, region: string, account: string, queueArn: string }} options */
  constructor({ buckets, keys, region, account, queueArn }) {
    this.region = region;
    this.account = account;
    this.queueArn = queueArn;
    this.keyArns = Array.from({ length: keys }, (_, index) => `arn:aws:kms:${region}:${account}:key/${String(index).padStart(8, '0')}-0000-4000-8000-000000000000`);
    this.requiredKeyArn = /** @type {string} */ (this.keyArns[0]);
    this.bucketNames = Array.from({ length: buckets }, (_, index) => `bench-bucket-${String(index).padStart(6, '0')}`);
    /** @type {Map<string, Buffer>} */
    this.reports = new Map();
    /**
     * Reports are kept as bytes outside the JavaScript heap (they live in S3, not in the function). A
     * measured run reads every uploaded byte and keeps none.
     */
    this.keepReports = true;
  }

  /**
   * Bucket i: 4 in 10 under the required key, 2 under other keys, 2 SSE-S3, 1 without, 1 under aws/s3.
   * @param {string} name
   */
  bucketOf(name) {
    const index = Number(name.slice('bench-bucket-'.length));
    if (!Number.isInteger(index) || index >= this.bucketNames.length) return undefined;
    const kind = index % 10;
    const otherKey = this.keyArns[1 + (index % (this.keyArns.length - 1))];
    const encryption =
      kind < 4 ? { algorithm: 'aws:kms', key: this.requiredKeyArn, bucketKey: true }
      : kind < 6 ? { algorithm: 'aws:kms', key: otherKey, bucketKey: index % 3 === 0 }
      : kind < 8 ? { algorithm: 'AES256', bucketKey: false }
      : kind === 8 ? undefined
      : { algorithm: 'aws:kms', bucketKey: false };
    return { index, encryption, tlsPolicy: index % 2 === 0, notified: index % 10 < 7 };
  }

  /** @param {string} reference */
  keyOf(reference) {
    const index = this.keyArns.indexOf(reference);
    return index < 0 ? undefined : { index, arn: reference, keyId: reference.split('/')[1] };
  }

  /**
   * @param {string} command
   * @param {CommandInput} input
   * @returns {Answer | Promise<Answer>}
   */
  respond(command, input) {
    switch (command) {
      case 'ListBucketsCommand': {
        const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
        const size = input.MaxBuckets ?? 10_000;
        const page = this.bucketNames.slice(start, start + size);
        const next = start + size < this.bucketNames.length ? String(start + size) : undefined;
        const listed = page.map((name) => `<Bucket>${el('Name', name)}${el('CreationDate', CREATED)}${el('BucketRegion', this.region)}</Bucket>`).join('');
        return answer(200, { 'content-type': 'application/xml' }, xml('ListAllMyBucketsResult', `<Owner>${el('ID', 'bench-owner')}</Owner><Buckets>${listed}</Buckets>${el('ContinuationToken', next)}`));
      }
      case 'GetBucketEncryptionCommand': {
        const bucket = this.bucketOf(input.Bucket);
        if (!bucket) return s3Error(404, 'NoSuchBucket');
        if (!bucket.encryption) return s3Error(404, 'ServerSideEncryptionConfigurationNotFoundError');
        const { algorithm, key, bucketKey } = bucket.encryption;
        return answer(
          200,
          { 'content-type': 'application/xml' },
          xml('ServerSideEncryptionConfiguration', `<Rule><ApplyServerSideEncryptionByDefault>${el('SSEAlgorithm', algorithm)}${el('KMSMasterKeyID', key)}</ApplyServerSideEncryptionByDefault>${el('BucketKeyEnabled', String(bucketKey))}</Rule>`),
        );
      }
      case 'GetBucketPolicyCommand': {
        const bucket = this.bucketOf(input.Bucket);
        if (!bucket) return s3Error(404, 'NoSuchBucket');
        return bucket.tlsPolicy ? answer(200, { 'content-type': 'application/json' }, tlsOnlyPolicy(input.Bucket)) : s3Error(404, 'NoSuchBucketPolicy');
      }
      case 'GetBucketNotificationConfigurationCommand': {
        const bucket = this.bucketOf(input.Bucket);
        if (!bucket) return s3Error(404, 'NoSuchBucket');
        const queue = bucket.notified ? `<QueueConfiguration>${el('Id', 'enforcer')}${el('Queue', this.queueArn)}${el('Event', 's3:ObjectCreated:*')}</QueueConfiguration>` : '';
        return answer(200, { 'content-type': 'application/xml' }, xml('NotificationConfiguration', queue));
      }
      case 'GetObjectCommand': {
        const body = this.reports.get(`${input.Bucket}/${input.Key}`);
        return body === undefined ? s3Error(404, 'NoSuchKey') : answer(200, { 'content-type': 'application/json', 'content-length': String(body.length) }, body);
      }
      case 'PutObjectCommand': {
        const stored = answer(200, { etag: '"report"', 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId });
        if (typeof input.Body === 'string') {
          this.reports.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body, 'utf8'));
          return stored;
        }
        // A streamed body (the audit's reports) is read to its end, as S3 would before answering.
        return (async () => {
          const chunks = [];
          for await (const chunk of input.Body) chunks.push(Buffer.from(chunk));
          const body = Buffer.concat(chunks);
          if (input.ContentLength !== undefined && input.ContentLength !== body.length) return s3Error(400, 'IncompleteBody', 'the body is not ContentLength bytes long');
          this.reports.set(`${input.Bucket}/${input.Key}`, this.keepReports ? body : Buffer.from(`(${body.length} bytes, not kept)`));
          return stored;
        })();
      }
      case 'CopyObjectCommand': {
        const [sourceBucket, ...sourceKey] = input.CopySource.split('/');
        const body = this.reports.get(`${sourceBucket}/${sourceKey.map(decodeURIComponent).join('/')}`);
        if (body === undefined) return s3Error(404, 'NoSuchKey');
        this.reports.set(`${input.Bucket}/${input.Key}`, body);
        return answer(
          200,
          { 'content-type': 'application/xml', 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId },
          xml('CopyObjectResult', el('ETag', '"report"') + el('LastModified', '2025-01-01T00:00:00.000Z')),
        );
      }
      case 'DescribeKeyCommand': {
        const key = this.keyOf(input.KeyId);
        if (!key) return kmsError('NotFoundException', `Key '${input.KeyId}' does not exist`);
        return kmsAnswer({
          KeyMetadata: {
            AWSAccountId: this.account,
            KeyId: key.keyId,
            Arn: key.arn,
            CreationDate: 1735689600,
            Enabled: true,
            Description: '',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeyState: 'Enabled',
            Origin: 'AWS_KMS',
            KeyManager: 'CUSTOMER',
            CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
            KeySpec: 'SYMMETRIC_DEFAULT',
            EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
            MultiRegion: false,
          },
        });
      }
      case 'GetKeyRotationStatusCommand': {
        const key = this.keyOf(input.KeyId);
        if (!key) return kmsError('NotFoundException', `Key '${input.KeyId}' does not exist`);
        return kmsAnswer(key.index % 5 === 4 ? { KeyId: key.arn, KeyRotationEnabled: false } : { KeyId: key.arn, KeyRotationEnabled: true, RotationPeriodInDays: 365 });
      }
      case 'GetKeyPolicyCommand':
        return kmsAnswer({ Policy: keyPolicy(this.account), PolicyName: 'default' });
      case 'PublishCommand':
        return answer(
          200,
          { 'content-type': 'text/xml' },
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>bench</MessageId></PublishResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>',
        );
      default:
        return s3Error(501, 'NotImplemented', `the benchmark's simulated account does not answer ${command}`);
    }
  }
}
