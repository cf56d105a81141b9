import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  ListBucketsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  UpdateObjectEncryptionCommand,
  type PutObjectCommandInput,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BucketNotifications, type EnforcerFixture, prepareEnforcerFixture } from './support/enforcer-fixture.js';
import type { BundleRun } from './support/invoke-bundle.js';
import { batchOperationsEvent, decodeS3NotificationKey, s3RecordsOf, sqsEvent, withVersionId } from './support/lambda-events.js';
import { seededRandom } from '../fixtures/seeded-random.js';
import { TEST_SEED } from '../fixtures/test-seed.js';
import { motoClients, type MotoClients } from './support/moto-clients.js';
import { startMotoServer, type MotoServer } from './support/moto-server.js';
import { grantsOf, openUploadsIn, sha256Of, snapshotVersion, versionsOf, type VersionSnapshot } from './support/object-snapshot.js';
import {
  alertsIn,
  failedMessageIds,
  logLinesFor,
  objectCreatedNotices,
  residualVersionAlert,
  type ObjectAlert,
  type ObjectLogLine,
} from './support/observations.js';
import { startS3Proxy, type RecordedRequest, type S3Proxy } from './support/s3-proxy.js';
import type { ReceivedMessage } from './support/sqs-queue.js';

/**
 * Issue 3 on moto: the remediation methods moto can run (copy-in-place, multipart-copy), with what
 * each must carry (bytes, every header, tags, storage class, ACLs, Object Lock), prior versions,
 * S3 Batch Operations, and the strategy switch on an endpoint that is not Amazon S3.
 *
 * The bundle talks to moto's S3 through a recording proxy (support/s3-proxy.ts): what moto cannot
 * show afterwards (a request that must never be sent, the order of a multipart abort) is checked on
 * the wire, and failures are made to happen at an exact step.
 */

let moto: MotoServer;
let clients: MotoClients;
let fixture: EnforcerFixture;
let proxy: S3Proxy;

beforeAll(async () => {
  moto = await startMotoServer();
  clients = motoClients(moto.endpoint);
  proxy = await startS3Proxy(moto.endpoint);
});

afterAll(async () => {
  await proxy?.stop();
  clients?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  fixture = await prepareEnforcerFixture(moto.endpoint, clients);
  proxy.clear();
});

afterEach(async () => {
  // Whatever happened, no multipart upload is left open (S3 would bill its parts), and
  // UpdateObjectEncryption never reached an endpoint that is not Amazon S3.
  const { Buckets = [] } = await clients.s3.send(new ListBucketsCommand({}));
  for (const { Name } of Buckets) {
    if (Name) expect(await openUploadsIn(clients.s3, Name), `open multipart uploads in ${Name}`).toEqual([]);
  }
  expect(proxy.requestsOf('UpdateObjectEncryption')).toEqual([]);
});

const MIB = 1024 ** 2;
/** A lowered threshold, so objects of a few MiB are copied in 5 MiB parts. */
const MULTIPART = { COPY_LIMIT_BYTES: String(6 * MIB), MULTIPART_PART_BYTES: String(5 * MIB) } as const;
/** Some canonical user other than the bucket owner, for explicit grants. */
const OTHER_USER = 'c84e24a297498671bb18da624ca14cbfdf18c30f632f5d534a8cde6d3e96ffba';
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

/** The built bundle, cold, with moto's S3 behind the recording proxy. */
const run = (event: unknown, overrides: Readonly<Record<string, string | undefined>> = {}): Promise<BundleRun> =>
  fixture.run(event, { AWS_ENDPOINT_URL_S3: proxy.endpoint, ...overrides });

type UploadEncryption = 'none' | 'sse-s3' | 'sse-kms-other' | 'sse-kms-required' | 'dsse-other';

const encryptionOf = (encryption: UploadEncryption): Partial<PutObjectCommandInput> => {
  switch (encryption) {
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    case 'sse-kms-other':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: fixture.keys.other };
    case 'sse-kms-required':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: fixture.keys.required, BucketKeyEnabled: true };
    case 'dsse-other':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: fixture.keys.other };
  }
};

/** Every header a user can set and S3 keeps, with values that survive only if they are carried. */
const RICH_HEADERS = {
  ContentType: 'application/vnd.example.archive+octet-stream; profile="v2"',
  CacheControl: 'private, max-age=600, must-revalidate',
  ContentDisposition: 'attachment; filename="quarterly export.bin"',
  ContentEncoding: 'identity',
  ContentLanguage: 'fr-CA',
  Expires: new Date('2031-07-14T09:30:00.000Z'),
  WebsiteRedirectLocation: '/archive/moved-here.html',
  Metadata: { owner: 'data-platform', 'source-system': 'ingest 42', note: 'a=b; c+d' },
  Tagging: 'team=data%2Bplatform&class=large&note=a%20b&empty=',
} as const satisfies Partial<PutObjectCommandInput>;

interface Uploaded {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly versionId: string | undefined;
  readonly eTag: string;
}

const upload = async (
  bucket: string,
  key: string,
  body: Buffer,
  encryption: UploadEncryption,
  extra: Partial<PutObjectCommandInput> = {},
): Promise<Uploaded> => {
  const put = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...encryptionOf(encryption), ...extra }));
  if (!put.ETag) throw new Error(`PutObject ${key} returned no ETag`);
  return { bucket, key, body, versionId: put.VersionId, eTag: put.ETag };
};

/** The compliant state a remediation must leave (moto answers with the key ARN it was given). */
const underRequiredKey = () => ({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });

/** The S3 notifications of uploads, with the versionId S3 writes into them (moto leaves it out). */
const withVersions = (messages: readonly ReceivedMessage[], uploads: readonly Uploaded[]): ReceivedMessage[] =>
  messages.map((message) => {
    const [record] = s3RecordsOf(message.body);
    const eTag = record?.s3.object.eTag;
    const key = decodeS3NotificationKey(record?.s3.object.key ?? '');
    // By key and ETag: two uploads of one key differ by ETag, two empty objects only by key.
    const found = uploads.find((candidate) => candidate.key === key && candidate.eTag.replace(/"/g, '') === eTag);
    if (!found) throw new Error(`no upload of ${key} with ETag ${eTag}`);
    return found.versionId ? withVersionId(message, found.versionId) : message;
  });

/** Hands every pending notification of the bucket to the bundle through SQS; nothing may be retried. */
const enforcePending = async (
  notifications: BucketNotifications,
  uploads: readonly Uploaded[],
  overrides: Readonly<Record<string, string | undefined>> = {},
): Promise<BundleRun> => {
  const messages = await notifications.direct.drain();
  expect(messages).toHaveLength(uploads.length);
  const result = await run(sqsEvent(notifications.direct.arn, withVersions(messages, uploads)), overrides);
  expect(failedMessageIds(result)).toEqual([]);
  return result;
};

const onlyLine = (result: BundleRun, bucket: string, key: string): ObjectLogLine => {
  const lines = logLinesFor(result, bucket, key);
  expect(lines, key).toHaveLength(1);
  return lines[0] as ObjectLogLine;
};

const headerOf = (request: RecordedRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const aclHeadersOf = (request: RecordedRequest): string[] =>
  Object.keys(request.headers).filter((name) => name === 'x-amz-acl' || name.startsWith('x-amz-grant-'));

const writesTo = (bucket: string): RecordedRequest[] =>
  proxy.requests.filter((request) => request.bucket === bucket && !['HEAD', 'GET'].includes(request.method));

describe('multipart-copy (objects above COPY_LIMIT_BYTES)', () => {
  it('copies a 12 MiB object in 5 MiB parts, keeping its bytes, every header, every tag and its storage class', async () => {
    const bucket = await fixture.createBucket('enforcer-multipart');
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = 'large/Q1 2026+draft/Résumé 日本 export.bin';
    // Not a whole number of parts: the last part is short.
    const uploaded = await upload(bucket, key, randomBytes(12 * MIB + 12_345), 'sse-s3', { ...RICH_HEADERS, StorageClass: 'STANDARD_IA' });
    const before = await snapshotVersion(clients.s3, bucket, key);
    // Not vacuous: every header is there to lose.
    expect(before.headers).toMatchObject({ storageClass: 'STANDARD_IA', websiteRedirectLocation: RICH_HEADERS.WebsiteRedirectLocation, contentEncoding: 'identity' });
    expect(before.expires).toBe(RICH_HEADERS.Expires.toISOString());
    expect(before.tags).toHaveLength(4);

    const result = await enforcePending(notifications, [uploaded], MULTIPART);

    const after = await snapshotVersion(clients.s3, bucket, key);
    expect(after.encryption).toEqual(underRequiredKey());
    expect(after.sha256).toBe(before.sha256);
    expect(after.headers).toEqual(before.headers);
    expect(after.expires).toBe(before.expires);
    expect(after.tags).toEqual(before.tags);
    expect(after.lock).toEqual(before.lock);

    const line = onlyLine(result, bucket, key);
    expect(line).toMatchObject({ outcome: 'remediated', strategy: 'multipart-copy', before: 'sse-s3', aclCarried: true });
    expect(line.after).toContain(fixture.keys.required);

    // On the wire: one upload, three part copies of the exact inspected bytes, one completion.
    const [created, ...moreCreated] = proxy.requestsOf('CreateMultipartUpload');
    expect(moreCreated).toEqual([]);
    expect(created?.headers).toMatchObject({
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': fixture.keys.required,
      'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      'x-amz-storage-class': 'STANDARD_IA',
      'x-amz-website-redirect-location': RICH_HEADERS.WebsiteRedirectLocation,
    });
    const parts = proxy.requestsOf('UploadPartCopy').map((part) => ({
      partNumber: part.query.get('partNumber'),
      range: headerOf(part, 'x-amz-copy-source-range'),
      source: decodeURIComponent(headerOf(part, 'x-amz-copy-source') ?? ''),
      ifMatch: headerOf(part, 'x-amz-copy-source-if-match'),
    }));
    const size = uploaded.body.length;
    expect(parts.sort((a, b) => Number(a.partNumber) - Number(b.partNumber))).toEqual([
      { partNumber: '1', range: `bytes=0-${5 * MIB - 1}`, source: `${bucket}/${key}`, ifMatch: uploaded.eTag },
      { partNumber: '2', range: `bytes=${5 * MIB}-${10 * MIB - 1}`, source: `${bucket}/${key}`, ifMatch: uploaded.eTag },
      { partNumber: '3', range: `bytes=${10 * MIB}-${size - 1}`, source: `${bucket}/${key}`, ifMatch: uploaded.eTag },
    ]);
    expect(proxy.requestsOf('CompleteMultipartUpload')).toHaveLength(1);
    expect(proxy.requestsOf('CopyObject')).toEqual([]);
    expect(proxy.requestsOf('AbortMultipartUpload')).toEqual([]);
    expect(await openUploadsIn(clients.s3, bucket)).toEqual([]);

    // The copy's own event (CompleteMultipartUpload) finds the object compliant and writes nothing.
    const ownEvents = await objectCreatedNotices(notifications.direct);
    expect(ownEvents.map((notice) => `${notice.eventName} ${notice.key}`)).toEqual([`ObjectCreated:CompleteMultipartUpload ${key}`]);
    proxy.clear();
    const again = await run(sqsEvent(notifications.direct.arn, ownEvents.map((notice) => notice.message)), MULTIPART);
    expect(failedMessageIds(again)).toEqual([]);
    expect(onlyLine(again, bucket, key).outcome).toBe('compliant');
    expect(writesTo(bucket)).toEqual([]);
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });

  it('a part copy that fails: the copy stops, the upload is aborted, the object is left as it was, and the failure reported', async () => {
    const bucket = await fixture.createBucket('enforcer-multipart-fails');
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = 'large/denied part.bin';
    const uploaded = await upload(bucket, key, randomBytes(12 * MIB), 'none', RICH_HEADERS);
    const before = await snapshotVersion(clients.s3, bucket, key);
    const messages = await notifications.direct.drain();
    proxy.inject((request) =>
      request.operation === 'UploadPartCopy' && request.query.get('partNumber') === '2'
        ? { status: 403, code: 'AccessDenied', message: 'Access Denied (injected on part 2)' }
        : undefined,
    );

    const result = await run(sqsEvent(notifications.direct.arn, withVersions(messages, [uploaded])), { ...MULTIPART, MULTIPART_CONCURRENCY: '1' });

    // Not a transient failure, but not done either: the message goes back to the queue.
    expect(failedMessageIds(result)).toEqual(messages.map((message) => message.messageId));
    const line = onlyLine(result, bucket, key);
    expect(line).toMatchObject({ outcome: 'failed', level: 'ERROR', before: 'unencrypted', error: { code: 'AccessDenied', transient: false } });

    const uploadIds = new Set(proxy.requestsOf('UploadPartCopy').map((part) => part.query.get('uploadId')));
    expect(uploadIds.size).toBe(1);
    expect(proxy.requestsOf('UploadPartCopy').map((part) => part.query.get('partNumber'))).toEqual(['1', '2']);
    expect(proxy.requestsOf('AbortMultipartUpload').map((abort) => [abort.key, abort.query.get('uploadId')])).toEqual([[key, [...uploadIds][0]]]);
    expect(proxy.requestsOf('CompleteMultipartUpload')).toEqual([]);
    expect(await openUploadsIn(clients.s3, bucket)).toEqual([]);

    expect(await snapshotVersion(clients.s3, bucket, key)).toEqual(before);
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    expect(await alertsIn(fixture.findings.queue)).toEqual([
      expect.objectContaining({ bucket, key, outcome: 'failed', reason: 'AccessDenied', severity: 'high', encryption: 'unencrypted' }),
    ]);
  });

  it('a part copy answered 412 (the object changed since it was inspected): aborted, skipped as superseded, nothing written, nobody alerted', async () => {
    const bucket = await fixture.createBucket('enforcer-multipart-changed');
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = 'large/changed meanwhile.bin';
    const uploaded = await upload(bucket, key, randomBytes(11 * MIB), 'sse-kms-other', RICH_HEADERS);
    const before = await snapshotVersion(clients.s3, bucket, key);
    // moto ignores CopySourceIfMatch: the proxy answers as S3 does when the ETag no longer matches.
    proxy.inject((request) =>
      request.operation === 'UploadPartCopy' && request.query.get('partNumber') === '3'
        ? { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' }
        : undefined,
    );

    const result = await enforcePending(notifications, [uploaded], { ...MULTIPART, MULTIPART_CONCURRENCY: '1' });

    expect(onlyLine(result, bucket, key)).toMatchObject({ outcome: 'skipped', reason: 'superseded' });
    expect(proxy.requestsOf('CreateMultipartUpload')).toHaveLength(1);
    expect(proxy.requestsOf('UploadPartCopy').map((part) => part.query.get('partNumber'))).toEqual(['1', '2', '3']);
    const uploadIds = [...new Set(proxy.requestsOf('UploadPartCopy').map((part) => part.query.get('uploadId')))];
    expect(uploadIds).toHaveLength(1);
    expect(proxy.requestsOf('AbortMultipartUpload').map((abort) => abort.query.get('uploadId'))).toEqual(uploadIds);
    expect(proxy.requestsOf('CompleteMultipartUpload')).toEqual([]);
    expect(await snapshotVersion(clients.s3, bucket, key)).toEqual(before);
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });

  it('a part copy that fails while others are in flight: the upload is aborted only after every part copy has ended, and no part copy starts after it', async () => {
    // S3: "If any part uploads are currently in progress, those part uploads might or might not
    // succeed" after AbortMultipartUpload, and their storage is billed until aborted again. Two parts
    // in flight; part 1 answers late, part 2 fails at once.
    const bucket = await fixture.createBucket('enforcer-multipart-in-flight');
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = 'large/slow and failing parts.bin';
    const uploaded = await upload(bucket, key, randomBytes(12 * MIB), 'none');
    const before = await snapshotVersion(clients.s3, bucket, key);
    const messages = await notifications.direct.drain();
    let slowed = false;
    proxy.inject((request) => {
      if (request.operation !== 'UploadPartCopy') return undefined;
      if (request.query.get('partNumber') === '1' && !slowed) {
        slowed = true;
        return { delayMs: 1_000 };
      }
      if (request.query.get('partNumber') === '2') return { status: 403, code: 'AccessDenied', message: 'Access Denied (injected on part 2)' };
      return undefined;
    });

    const result = await run(sqsEvent(notifications.direct.arn, withVersions(messages, [uploaded])), { ...MULTIPART, MULTIPART_CONCURRENCY: '2' });

    expect(onlyLine(result, bucket, key)).toMatchObject({ outcome: 'failed', error: { code: 'AccessDenied' } });
    const aborts = proxy.requestsOf('AbortMultipartUpload');
    expect(aborts.length).toBeGreaterThan(0);
    const lastAbort = Math.max(...aborts.map((abort) => abort.arrivedAt));
    const partsAtAbort = proxy.requestsOf('UploadPartCopy').map((part) => ({
      partNumber: part.query.get('partNumber'),
      startedAfterAbort: part.arrivedAt > lastAbort,
      stillInFlightAtAbort: part.answeredAt === undefined || part.answeredAt > lastAbort,
      status: part.status,
    }));
    expect(partsAtAbort).toEqual(partsAtAbort.map(({ partNumber, status }) => ({ partNumber, startedAfterAbort: false, stillInFlightAtAbort: false, status })));
    expect(await openUploadsIn(clients.s3, bucket)).toEqual([]);
    expect(await snapshotVersion(clients.s3, bucket, key)).toEqual(before);
  });
});

describe('ACLs: CopyObject and CreateMultipartUpload reset them unless they are re-applied', () => {
  it.each(['ObjectWriter', 'BucketOwnerPreferred'] as const)(
    'Object Ownership %s: the grants after equal the grants before, for copy-in-place and for multipart-copy',
    async (objectOwnership) => {
      const bucket = await fixture.createBucket(`enforcer-acl-${objectOwnership.toLowerCase()}`, { objectOwnership });
      const notifications = await fixture.notifyOnObjectCreated(bucket);
      const { Owner } = await clients.s3.send(new ListBucketsCommand({}));
      if (!Owner?.ID) throw new Error('ListBuckets named no owner');
      const explicitGrants = {
        GrantFullControl: `id="${Owner.ID}"`,
        GrantRead: `uri="${AUTHENTICATED_USERS}", id="${OTHER_USER}"`,
        GrantReadACP: `id="${OTHER_USER}"`,
        GrantWriteACP: `id="${OTHER_USER}"`,
      } satisfies Partial<PutObjectCommandInput>;
      const objects = [
        { key: 'acl/small public-read.txt', size: 64 * 1024, acl: { ACL: 'public-read' } as const, strategy: 'copy-in-place' },
        { key: 'acl/small explicit+grants.txt', size: 64 * 1024, acl: explicitGrants, strategy: 'copy-in-place' },
        { key: 'acl/large public-read.bin', size: 7 * MIB, acl: { ACL: 'public-read' } as const, strategy: 'multipart-copy' },
        { key: 'acl/large explicit+grants.bin', size: 7 * MIB, acl: explicitGrants, strategy: 'multipart-copy' },
      ];
      const uploads: Uploaded[] = [];
      const grantsBefore = new Map<string, string[]>();
      for (const object of objects) {
        uploads.push(await upload(bucket, object.key, randomBytes(object.size), 'sse-s3', { ...object.acl, Metadata: { owner: 'data-platform' } }));
        grantsBefore.set(object.key, await grantsOf(clients.s3, bucket, object.key));
      }
      // Not vacuous: each object has grants a reset to private would lose.
      expect(grantsBefore.get('acl/small public-read.txt')).toContain(`Group:${ALL_USERS}:READ`);
      expect(grantsBefore.get('acl/large explicit+grants.bin')).toEqual(
        expect.arrayContaining([`Group:${AUTHENTICATED_USERS}:READ`, `CanonicalUser:${OTHER_USER}:READ`, `CanonicalUser:${OTHER_USER}:READ_ACP`, `CanonicalUser:${OTHER_USER}:WRITE_ACP`]),
      );

      const result = await enforcePending(notifications, uploads, MULTIPART);

      for (const object of objects) {
        expect(onlyLine(result, bucket, object.key), object.key).toMatchObject({ outcome: 'remediated', strategy: object.strategy, aclCarried: true });
        const after = await snapshotVersion(clients.s3, bucket, object.key);
        expect(after.encryption, object.key).toEqual(underRequiredKey());
        expect(await grantsOf(clients.s3, bucket, object.key), object.key).toEqual(grantsBefore.get(object.key));
      }
      // The grants went with the write itself: no window in which the object is private.
      for (const write of [...proxy.requestsOf('CopyObject'), ...proxy.requestsOf('CreateMultipartUpload')]) {
        expect(aclHeadersOf(write), write.key).not.toEqual([]);
      }
      expect(proxy.requestsOf('CopyObject')).toHaveLength(2);
      expect(proxy.requestsOf('CreateMultipartUpload')).toHaveLength(2);
    },
  );

  it('Object Ownership BucketOwnerEnforced (ACLs disabled): remediated by both methods without reading or sending an ACL', async () => {
    const bucket = await fixture.createBucket('enforcer-acl-disabled', { objectOwnership: 'BucketOwnerEnforced' });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const small = await upload(bucket, 'owner-enforced/small.txt', randomBytes(32 * 1024), 'none', RICH_HEADERS);
    const large = await upload(bucket, 'owner-enforced/large.bin', randomBytes(7 * MIB), 'sse-s3', RICH_HEADERS);
    const before = new Map([
      [small.key, await snapshotVersion(clients.s3, bucket, small.key)],
      [large.key, await snapshotVersion(clients.s3, bucket, large.key)],
    ]);
    // S3 refuses any ACL on such a bucket (moto does not): the proxy answers as S3 does.
    proxy.inject((request) =>
      request.bucket === bucket && (request.operation === 'PutObjectAcl' || (request.method !== 'GET' && request.method !== 'HEAD' && aclHeadersOf(request).length > 0))
        ? { status: 400, code: 'AccessControlListNotSupported', message: 'The bucket does not allow ACLs' }
        : undefined,
    );

    const result = await enforcePending(notifications, [small, large], MULTIPART);

    expect(onlyLine(result, bucket, small.key)).toMatchObject({ outcome: 'remediated', strategy: 'copy-in-place', aclCarried: false });
    expect(onlyLine(result, bucket, large.key)).toMatchObject({ outcome: 'remediated', strategy: 'multipart-copy', aclCarried: false });
    for (const uploaded of [small, large]) {
      const after = await snapshotVersion(clients.s3, bucket, uploaded.key);
      const was = before.get(uploaded.key) as VersionSnapshot;
      expect(after.encryption, uploaded.key).toEqual(underRequiredKey());
      expect(after.sha256, uploaded.key).toBe(was.sha256);
      expect(after.headers, uploaded.key).toEqual(was.headers);
      expect(after.tags, uploaded.key).toEqual(was.tags);
    }
    expect(proxy.requestsOf('GetObjectAcl')).toEqual([]);
    expect(proxy.requestsOf('PutObjectAcl')).toEqual([]);
    // The ownership setting is looked up once for the bucket, not once per object.
    expect(proxy.requestsOf('GetBucketOwnershipControls')).toHaveLength(1);
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });
});

describe('versioned buckets: the version a copy leaves behind', () => {
  it('priorVersions "retain": a new compliant version, the old version kept exactly as it was, and a finding naming both', async () => {
    const bucket = await fixture.createBucket('enforcer-retain', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const uploads = [
      await upload(bucket, 'retain/small copy.txt', randomBytes(40 * 1024), 'none', RICH_HEADERS),
      await upload(bucket, 'retain/large+multipart.bin', randomBytes(7 * MIB), 'sse-kms-other', RICH_HEADERS),
    ];
    const before = new Map<string, VersionSnapshot>();
    for (const uploaded of uploads) before.set(uploaded.key, await snapshotVersion(clients.s3, bucket, uploaded.key));

    const result = await enforcePending(notifications, uploads, { ...MULTIPART, POLICY: JSON.stringify({ priorVersions: 'retain' }) });

    const expectedAlerts: ObjectAlert[] = [];
    for (const uploaded of uploads) {
      const was = before.get(uploaded.key) as VersionSnapshot;
      const oldVersion = uploaded.versionId as string;
      const after = await snapshotVersion(clients.s3, bucket, uploaded.key);
      expect(after.versionId, uploaded.key).not.toBe(oldVersion);
      expect(after.encryption, uploaded.key).toEqual(underRequiredKey());
      expect(after.sha256, uploaded.key).toBe(was.sha256);
      expect(after.headers, uploaded.key).toEqual(was.headers);
      expect(after.tags, uploaded.key).toEqual(was.tags);
      expect((await versionsOf(clients.s3, bucket, uploaded.key)).sort(), uploaded.key).toEqual([oldVersion, after.versionId].sort());
      // The old version is untouched: same bytes, same (non-compliant) encryption, same everything.
      expect(await snapshotVersion(clients.s3, bucket, uploaded.key, oldVersion), uploaded.key).toEqual(was);
      const line = onlyLine(result, bucket, uploaded.key);
      expect(line.priorVersion, uploaded.key).toEqual({ versionId: oldVersion, disposition: 'retained' });
      expect(line.newVersionId, uploaded.key).toBe(after.versionId);
      expectedAlerts.push(residualVersionAlert({ bucket, key: uploaded.key, residualVersionId: oldVersion, newVersionId: after.versionId as string, encryption: line.before }));
    }
    expect(proxy.requestsOf('DeleteObject')).toEqual([]);
    const byKey = (a: ObjectAlert, b: ObjectAlert) => a.key.localeCompare(b.key);
    expect((await alertsIn(fixture.findings.queue)).sort(byKey)).toEqual(expectedAlerts.sort(byKey));
  });

  it('priorVersions "delete": exactly the version copied from is deleted once the new one is verified; older versions stay; no finding', async () => {
    const bucket = await fixture.createBucket('enforcer-delete-prior', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const twiceKey = 'delete/uploaded twice.txt';
    const first = await upload(bucket, twiceKey, randomBytes(20 * 1024), 'none', RICH_HEADERS);
    const second = await upload(bucket, twiceKey, randomBytes(20 * 1024), 'none', RICH_HEADERS);
    const large = await upload(bucket, 'delete/large+multipart.bin', randomBytes(7 * MIB), 'sse-s3', RICH_HEADERS);
    const firstBefore = await snapshotVersion(clients.s3, bucket, twiceKey, first.versionId);
    const secondBefore = await snapshotVersion(clients.s3, bucket, twiceKey);
    const largeBefore = await snapshotVersion(clients.s3, bucket, large.key);

    // Both events of the twice-uploaded key: the first names a version that is no longer current.
    const result = await enforcePending(notifications, [first, second, large], { ...MULTIPART, POLICY: JSON.stringify({ priorVersions: 'delete' }) });

    const twiceLines = logLinesFor(result, bucket, twiceKey);
    expect(twiceLines.map((line) => [line.outcome, line.reason ?? line.strategy])).toEqual([
      ['skipped', 'superseded'],
      ['remediated', 'copy-in-place'],
    ]);
    const twiceAfter = await snapshotVersion(clients.s3, bucket, twiceKey);
    expect(twiceAfter.encryption).toEqual(underRequiredKey());
    expect(twiceAfter.sha256).toBe(secondBefore.sha256);
    expect(twiceAfter.headers).toEqual(secondBefore.headers);
    // The second upload (copied from) is gone; the first, which was never current here, is kept as it was.
    expect((await versionsOf(clients.s3, bucket, twiceKey)).sort()).toEqual([first.versionId, twiceAfter.versionId].sort());
    expect(await snapshotVersion(clients.s3, bucket, twiceKey, first.versionId)).toEqual(firstBefore);
    expect(twiceLines[1]?.priorVersion).toEqual({ versionId: second.versionId, disposition: 'deleted' });

    const largeAfter = await snapshotVersion(clients.s3, bucket, large.key);
    expect(largeAfter.encryption).toEqual(underRequiredKey());
    expect(largeAfter.sha256).toBe(largeBefore.sha256);
    expect(largeAfter.headers).toEqual(largeBefore.headers);
    expect(largeAfter.tags).toEqual(largeBefore.tags);
    expect(await versionsOf(clients.s3, bucket, large.key)).toEqual([largeAfter.versionId]);
    expect(onlyLine(result, bucket, large.key)).toMatchObject({ strategy: 'multipart-copy', priorVersion: { versionId: large.versionId, disposition: 'deleted' } });

    // Exactly two deletions, each naming its version, each after the copy that replaced it.
    const deletes = proxy.requestsOf('DeleteObject');
    expect(deletes.map((request) => [request.key, request.query.get('versionId')]).sort()).toEqual(
      [
        [twiceKey, second.versionId],
        [large.key, large.versionId],
      ].sort(),
    );
    const copyOf = (key: string) => [...proxy.requestsOf('CopyObject'), ...proxy.requestsOf('CompleteMultipartUpload')].find((request) => request.key === key);
    for (const deletion of deletes) expect(deletion.arrivedAt, deletion.key).toBeGreaterThan(copyOf(deletion.key)?.answeredAt ?? Infinity);
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });

  describe('Object Lock', () => {
    const lockedBucket = async (name: string): Promise<string> => {
      await clients.s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }));
      return name;
    };
    const retainUntil = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    retainUntil.setUTCMilliseconds(0);

    it('priorVersions "delete" under a legal hold or GOVERNANCE retention: the locked version is kept and reported, the multipart copy carries the lock', async () => {
      const bucket = await lockedBucket('enforcer-object-lock');
      const notifications = await fixture.notifyOnObjectCreated(bucket);
      // moto asks for Content-MD5 on an upload that names a lock: lock the versions after uploading them.
      const held = await upload(bucket, 'locked/legal hold.bin', randomBytes(7 * MIB), 'none', RICH_HEADERS);
      await clients.s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: held.key, VersionId: held.versionId, LegalHold: { Status: 'ON' } }));
      const retained = await upload(bucket, 'locked/governance+retention.bin', randomBytes(7 * MIB), 'sse-s3', RICH_HEADERS);
      await clients.s3.send(
        new PutObjectRetentionCommand({ Bucket: bucket, Key: retained.key, VersionId: retained.versionId, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: retainUntil } }),
      );
      const before = new Map<string, VersionSnapshot>();
      for (const uploaded of [held, retained]) before.set(uploaded.key, await snapshotVersion(clients.s3, bucket, uploaded.key));
      expect(before.get(held.key)?.lock).toEqual({ mode: undefined, retainUntil: undefined, legalHold: 'ON' });
      expect(before.get(retained.key)?.lock).toEqual({ mode: 'GOVERNANCE', retainUntil: retainUntil.toISOString(), legalHold: undefined });

      const result = await enforcePending(notifications, [held, retained], { ...MULTIPART, POLICY: JSON.stringify({ priorVersions: 'delete' }) });

      const expectedAlerts: ObjectAlert[] = [];
      for (const uploaded of [held, retained]) {
        const was = before.get(uploaded.key) as VersionSnapshot;
        const oldVersion = uploaded.versionId as string;
        const line = onlyLine(result, bucket, uploaded.key);
        expect(line, uploaded.key).toMatchObject({ outcome: 'remediated', strategy: 'multipart-copy', priorVersion: { versionId: oldVersion, disposition: 'retained-locked' } });
        const after = await snapshotVersion(clients.s3, bucket, uploaded.key);
        expect(after.encryption, uploaded.key).toEqual(underRequiredKey());
        expect(after.sha256, uploaded.key).toBe(was.sha256);
        expect(after.headers, uploaded.key).toEqual(was.headers);
        // The new version is locked as the old one was (never weaker).
        expect(after.lock, uploaded.key).toEqual(was.lock);
        // The locked version is still there, still as it was, lock and all.
        expect((await versionsOf(clients.s3, bucket, uploaded.key)).sort(), uploaded.key).toEqual([oldVersion, after.versionId].sort());
        expect(await snapshotVersion(clients.s3, bucket, uploaded.key, oldVersion), uploaded.key).toEqual(was);
        expectedAlerts.push(
          residualVersionAlert({ bucket, key: uploaded.key, residualVersionId: oldVersion, newVersionId: after.versionId as string, encryption: line.before, because: /Object Lock/ }),
        );
      }
      const legalHold = async (versionId: string | undefined) =>
        (await clients.s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: held.key, VersionId: versionId }))).LegalHold?.Status;
      expect(await legalHold(held.versionId)).toBe('ON');
      expect(await legalHold((await snapshotVersion(clients.s3, bucket, held.key)).versionId)).toBe('ON');

      // On the wire: the lock was asked for with the upload, and no deletion was even tried.
      const created = new Map(proxy.requestsOf('CreateMultipartUpload').map((request) => [request.key, request.headers]));
      expect(created.get(held.key)).toMatchObject({ 'x-amz-object-lock-legal-hold': 'ON' });
      expect(created.get(held.key)).not.toHaveProperty('x-amz-object-lock-mode');
      expect(created.get(retained.key)).toMatchObject({ 'x-amz-object-lock-mode': 'GOVERNANCE' });
      expect(Date.parse(String(created.get(retained.key)?.['x-amz-object-lock-retain-until-date']))).toBe(retainUntil.getTime());
      expect(proxy.requestsOf('DeleteObject')).toEqual([]);
      const byKey = (a: ObjectAlert, b: ObjectAlert) => a.key.localeCompare(b.key);
      expect((await alertsIn(fixture.findings.queue)).sort(byKey)).toEqual(expectedAlerts.sort(byKey));
    });

    it('copy-in-place of a version under legal hold: the CopyObject carries the hold, and the locked version is never deleted', async () => {
      const bucket = await lockedBucket('enforcer-object-lock-copy');
      const notifications = await fixture.notifyOnObjectCreated(bucket);
      const held = await upload(bucket, 'locked/small legal hold.txt', randomBytes(30 * 1024), 'none', RICH_HEADERS);
      await clients.s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: held.key, VersionId: held.versionId, LegalHold: { Status: 'ON' } }));
      const before = await snapshotVersion(clients.s3, bucket, held.key);

      const messages = await notifications.direct.drain();
      const result = await run(sqsEvent(notifications.direct.arn, withVersions(messages, [held])), { POLICY: JSON.stringify({ priorVersions: 'delete' }) });

      const [copy, ...moreCopies] = proxy.requestsOf('CopyObject');
      expect(moreCopies).toEqual([]);
      expect(copy?.headers).toMatchObject({ 'x-amz-object-lock-legal-hold': 'ON', 'x-amz-copy-source-if-match': held.eTag });
      expect(proxy.requestsOf('DeleteObject')).toEqual([]);
      expect(await versionsOf(clients.s3, bucket, held.key)).toContain(held.versionId);
      expect(await snapshotVersion(clients.s3, bucket, held.key, held.versionId)).toEqual(before);
      // moto 5.2.1 refuses any copy that names a lock without Content-MD5 (a PutObject rule; a copy
      // has no body to hash), so on moto the copy fails: reported, retried, nothing changed.
      const line = onlyLine(result, bucket, held.key);
      expect(line).toMatchObject({ outcome: 'failed', error: { code: 'MissingUploadObjectWithObjectLockHeaders' } });
      expect(failedMessageIds(result)).toEqual(messages.map((message) => message.messageId));
      expect(await snapshotVersion(clients.s3, bucket, held.key)).toEqual(before);
    });
  });
});

describe('S3 Batch Operations "Invoke AWS Lambda function" jobs', () => {
  it('schema 1.0 (bucket by ARN): Succeeded for remediated, compliant and deleted objects, PermanentFailure for malformed tasks, objects really remediated', async () => {
    const bucket = await fixture.createBucket('enforcer-batch-v1');
    const plain = await upload(bucket, 'backfill/Q1 2026+draft/Résumé 日本 a.txt', randomBytes(30 * 1024), 'none', RICH_HEADERS);
    const percent = await upload(bucket, 'backfill/100% done & dusted (v2)?.txt', randomBytes(30 * 1024), 'sse-s3', RICH_HEADERS);
    const compliant = await upload(bucket, 'backfill/already fine.txt', randomBytes(1024), 'sse-kms-required');
    const deleted = await upload(bucket, 'backfill/deleted before the job.txt', randomBytes(1024), 'none');
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: deleted.key }));
    const before = new Map<string, VersionSnapshot>();
    for (const uploaded of [plain, percent, compliant]) before.set(uploaded.key, await snapshotVersion(clients.s3, bucket, uploaded.key));
    const event = batchOperationsEvent('1.0', [
      { taskId: 'task-plain', bucket, key: plain.key },
      { taskId: 'task-percent', bucket, key: percent.key },
      { taskId: 'task-compliant', bucket, key: compliant.key },
      { taskId: 'task-deleted', bucket, key: deleted.key },
    ]);
    const tasks = event['tasks'] as Record<string, unknown>[];
    // As S3 writes them: a space is "+", a "+" is "%2B".
    expect(tasks[0]?.['s3Key']).toBe('backfill/Q1+2026%2Bdraft/R%C3%A9sum%C3%A9+%E6%97%A5%E6%9C%AC+a.txt');
    tasks.push({ taskId: 'task-no-bucket', s3Key: 'backfill/x.txt', s3VersionId: null, s3BucketArn: 'not-an-arn' });
    tasks.push({ taskId: 'task-bad-encoding', s3Key: 'backfill/%E0%A4%A.txt', s3VersionId: null, s3BucketArn: `arn:aws:s3:::${bucket}` });

    const result = await run(event);

    expect(result.error, result.stderr).toBeUndefined();
    const required = fixture.keys.required.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(result.result).toEqual({
      invocationSchemaVersion: '1.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: event['invocationId'],
      results: [
        { taskId: 'task-plain', resultCode: 'Succeeded', resultString: expect.stringMatching(new RegExp(`^remediated by copy-in-place: unencrypted -> sse-kms\\(${required}`)) },
        { taskId: 'task-percent', resultCode: 'Succeeded', resultString: expect.stringMatching(new RegExp(`^remediated by copy-in-place: sse-s3 -> sse-kms\\(${required}`)) },
        { taskId: 'task-compliant', resultCode: 'Succeeded', resultString: expect.stringMatching(new RegExp(`^compliant: sse-kms\\(${required}`)) },
        { taskId: 'task-deleted', resultCode: 'Succeeded', resultString: expect.stringMatching(/^gone: /) },
        { taskId: 'task-no-bucket', resultCode: 'PermanentFailure', resultString: expect.stringMatching(/^rejected: .*s3BucketArn/) },
        { taskId: 'task-bad-encoding', resultCode: 'PermanentFailure', resultString: expect.stringMatching(/^rejected: .*URL encoding/) },
      ],
    });
    for (const uploaded of [plain, percent]) {
      const was = before.get(uploaded.key) as VersionSnapshot;
      const after = await snapshotVersion(clients.s3, bucket, uploaded.key);
      expect(after.encryption, uploaded.key).toEqual(underRequiredKey());
      expect(after.sha256, uploaded.key).toBe(was.sha256);
      expect(after.headers, uploaded.key).toEqual(was.headers);
      expect(after.tags, uploaded.key).toEqual(was.tags);
    }
    expect(await snapshotVersion(clients.s3, bucket, compliant.key)).toEqual(before.get(compliant.key));
    expect(proxy.requestsOf('CopyObject').map((request) => request.key).sort()).toEqual([plain.key, percent.key].sort());
    // A job reports every task in its completion report: nothing goes to the findings topic.
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });

  it('schema 2.0 (bucket by name) in a versioned bucket: versions named by the task, multipart above the threshold, prior versions in the result', async () => {
    const bucket = await fixture.createBucket('enforcer-batch-v2', { versioned: true });
    const small = await upload(bucket, 'backfill/small + plain.txt', randomBytes(30 * 1024), 'none', RICH_HEADERS);
    const large = await upload(bucket, 'backfill/large other key.bin', randomBytes(7 * MIB), 'sse-kms-other', RICH_HEADERS);
    const stale = await upload(bucket, 'backfill/rewritten.txt', randomBytes(1024), 'none');
    const current = await upload(bucket, 'backfill/rewritten.txt', randomBytes(1024), 'sse-kms-required');
    const before = new Map<string, VersionSnapshot>();
    for (const uploaded of [small, large, current]) before.set(uploaded.key, await snapshotVersion(clients.s3, bucket, uploaded.key));
    const event = batchOperationsEvent('2.0', [
      { taskId: 'small', bucket, key: small.key, versionId: small.versionId },
      { taskId: 'large', bucket, key: large.key, versionId: large.versionId },
      { taskId: 'stale', bucket, key: stale.key, versionId: stale.versionId },
    ]);
    (event['tasks'] as Record<string, unknown>[]).push({ taskId: 'no-key', s3Bucket: bucket, s3VersionId: null });

    const result = await run(event, MULTIPART);

    expect(result.error, result.stderr).toBeUndefined();
    const smallAfter = await snapshotVersion(clients.s3, bucket, small.key);
    const largeAfter = await snapshotVersion(clients.s3, bucket, large.key);
    const required = fixture.keys.required.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(result.result).toEqual({
      invocationSchemaVersion: '2.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: event['invocationId'],
      results: [
        {
          taskId: 'small',
          resultCode: 'Succeeded',
          resultString: expect.stringMatching(new RegExp(`^remediated by copy-in-place: unencrypted -> sse-kms\\(${required}.*; prior version ${small.versionId} retained$`)),
        },
        {
          taskId: 'large',
          resultCode: 'Succeeded',
          resultString: expect.stringMatching(new RegExp(`^remediated by multipart-copy: sse-kms\\(.*\\) -> sse-kms\\(${required}.*; prior version ${large.versionId} retained$`)),
        },
        { taskId: 'stale', resultCode: 'Succeeded', resultString: expect.stringMatching(new RegExp(`^superseded: version ${stale.versionId} is no longer current`)) },
        { taskId: 'no-key', resultCode: 'PermanentFailure', resultString: expect.stringMatching(/^rejected: .*no s3Key/) },
      ],
    });
    for (const [uploaded, after] of [
      [small, smallAfter],
      [large, largeAfter],
    ] as const) {
      const was = before.get(uploaded.key) as VersionSnapshot;
      expect(after.encryption, uploaded.key).toEqual(underRequiredKey());
      expect(after.sha256, uploaded.key).toBe(was.sha256);
      expect(after.headers, uploaded.key).toEqual(was.headers);
      expect(after.tags, uploaded.key).toEqual(was.tags);
      expect((await versionsOf(clients.s3, bucket, uploaded.key)).sort(), uploaded.key).toEqual([uploaded.versionId, after.versionId].sort());
    }
    expect(proxy.requestsOf('CreateMultipartUpload').map((request) => request.key)).toEqual([large.key]);
    expect(await snapshotVersion(clients.s3, bucket, current.key)).toEqual(before.get(current.key));
    expect(await versionsOf(clients.s3, bucket, stale.key)).toHaveLength(2);
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });
});

describe('POLICY.strategy on an endpoint that is not Amazon S3', () => {
  it('"auto": UpdateObjectEncryption is never sent (it would overwrite objects here); objects are copied in place with their bytes intact', async () => {
    const bucket = await fixture.createBucket('enforcer-strategy-auto');
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const uploads = [
      await upload(bucket, 'auto/sse-s3.txt', randomBytes(50 * 1024), 'sse-s3', RICH_HEADERS),
      await upload(bucket, 'auto/other key.txt', randomBytes(50 * 1024), 'sse-kms-other', RICH_HEADERS),
      await upload(bucket, 'auto/plain.txt', randomBytes(50 * 1024), 'none', RICH_HEADERS),
    ];
    const before = new Map<string, VersionSnapshot>();
    for (const uploaded of uploads) before.set(uploaded.key, await snapshotVersion(clients.s3, bucket, uploaded.key));

    // The hazard is real on this endpoint: moto takes UpdateObjectEncryption for a PutObject and
    // stores the request's XML as the object.
    const hazard = await fixture.createBucket('enforcer-strategy-hazard');
    const bait = await upload(hazard, 'bait.txt', Buffer.from('the bytes a user stored'), 'sse-s3');
    await clients.s3.send(
      new UpdateObjectEncryptionCommand({ Bucket: hazard, Key: bait.key, ObjectEncryption: { SSEKMS: { KMSKeyArn: fixture.keys.required } } }),
    );
    const overwritten = await clients.s3.send(new GetObjectCommand({ Bucket: hazard, Key: bait.key }));
    expect(await overwritten.Body?.transformToString()).toMatch(/^<\?xml[^>]*><ObjectEncryption /);

    const result = await enforcePending(notifications, uploads, { POLICY: JSON.stringify({ strategy: 'auto' }) });

    const ready = result.logs.find((line) => line['message'] === 'enforcer ready');
    expect(ready).toMatchObject({ strategy: 'auto', updateObjectEncryption: expect.stringMatching(/^not used: .*not Amazon S3/) });
    expect(String(ready?.['updateObjectEncryption'])).toContain(proxy.endpoint);
    for (const uploaded of uploads) {
      const was = before.get(uploaded.key) as VersionSnapshot;
      const line = onlyLine(result, bucket, uploaded.key);
      expect(line, uploaded.key).toMatchObject({ outcome: 'remediated', strategy: 'copy-in-place' });
      expect(line.fellBackFrom, uploaded.key).toBeUndefined();
      const after = await snapshotVersion(clients.s3, bucket, uploaded.key);
      expect(after.encryption, uploaded.key).toEqual(underRequiredKey());
      expect(after.sha256, uploaded.key).toBe(sha256Of(uploaded.body));
      expect(after.headers, uploaded.key).toEqual(was.headers);
      expect(after.tags, uploaded.key).toEqual(was.tags);
    }
    expect(proxy.requestsOf('UpdateObjectEncryption')).toEqual([]);
    expect(proxy.requestsOf('CopyObject')).toHaveLength(uploads.length);
  });

  it('"update": nothing is written; each non-compliant object is reported update-not-applicable with its bytes intact', async () => {
    const bucket = await fixture.createBucket('enforcer-strategy-update', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const uploads = [
      await upload(bucket, 'update/sse-s3.txt', randomBytes(50 * 1024), 'sse-s3', RICH_HEADERS),
      await upload(bucket, 'update/other key.txt', randomBytes(50 * 1024), 'sse-kms-other', RICH_HEADERS),
      await upload(bucket, 'update/plain.txt', randomBytes(50 * 1024), 'none', RICH_HEADERS),
      await upload(bucket, 'update/large.bin', randomBytes(7 * MIB), 'sse-s3', RICH_HEADERS),
      await upload(bucket, 'update/compliant.txt', randomBytes(50 * 1024), 'sse-kms-required', RICH_HEADERS),
    ];
    const before = new Map<string, { snapshot: VersionSnapshot; versions: string[] }>();
    for (const uploaded of uploads) {
      before.set(uploaded.key, { snapshot: await snapshotVersion(clients.s3, bucket, uploaded.key), versions: await versionsOf(clients.s3, bucket, uploaded.key) });
    }

    const result = await enforcePending(notifications, uploads, { ...MULTIPART, POLICY: JSON.stringify({ strategy: 'update' }) });

    expect(writesTo(bucket)).toEqual([]);
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    for (const uploaded of uploads) {
      const was = before.get(uploaded.key);
      expect(await snapshotVersion(clients.s3, bucket, uploaded.key), uploaded.key).toEqual(was?.snapshot);
      expect(await versionsOf(clients.s3, bucket, uploaded.key), uploaded.key).toEqual(was?.versions);
      expect(sha256Of(uploaded.body), uploaded.key).toBe(was?.snapshot.sha256);
    }
    const [sseS3, otherKey, plain, large, compliant] = uploads as [Uploaded, Uploaded, Uploaded, Uploaded, Uploaded];
    expect(onlyLine(result, bucket, compliant.key).outcome).toBe('compliant');
    const expectedEncryption = new Map([
      [sseS3.key, 'sse-s3'],
      [otherKey.key, expect.stringMatching(/^sse-kms\(/)],
      [plain.key, 'unencrypted'],
      [large.key, 'sse-s3'],
    ]);
    for (const [key] of expectedEncryption) {
      expect(onlyLine(result, bucket, key), key).toMatchObject({ outcome: 'skipped', reason: 'update-not-applicable', alert: true });
    }
    const alerts = await alertsIn(fixture.findings.queue);
    expect(alerts.map((alert) => alert.key).sort()).toEqual([...expectedEncryption.keys()].sort());
    for (const alert of alerts) {
      expect(alert, alert.key).toEqual(
        expect.objectContaining({ bucket, outcome: 'skipped', reason: 'update-not-applicable', severity: 'high', encryption: expectedEncryption.get(alert.key) }),
      );
    }
    expect(alerts.find((alert) => alert.key === plain.key)?.detail).toMatch(/only re-encrypts SSE-S3 or SSE-KMS/);
    expect(alerts.find((alert) => alert.key === sseS3.key)?.detail).toMatch(/not available on this endpoint/);
  });
});

describe('data integrity over every method moto can run', () => {
  /** A small seeded generator (mulberry32), so a failing run can be repeated: the seed is in every message. */
  const generator = (seed: number) => {
    const next = seededRandom(seed);
    const int = (max: number): number => Math.floor(next() * max);
    const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
    const text = (alphabet: string, min: number, max: number): string =>
      Array.from({ length: min + int(max - min + 1) }, () => alphabet[int(alphabet.length)]).join('');
    return { int, pick, text };
  };

  it('30 generated objects (0 bytes to 11 MiB, random headers, metadata, tags, awkward keys): all compliant after, bytes, headers and tags identical, prior versions deleted', async () => {
    // TEST_SEED=<seed> repeats a run.
    const seed = TEST_SEED.seed;
    const random = generator(seed);
    const bucket = await fixture.createBucket('enforcer-integrity', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    // Sizes around every boundary: empty, tiny, exactly the copy limit (one request), one byte over,
    // a whole number of parts, a short last part.
    const boundarySizes = [0, 0, 1, 17, 6 * MIB, 6 * MIB + 1, 10 * MIB, 11 * MIB + 123];
    const sizes = [...boundarySizes, ...Array.from({ length: 30 - boundarySizes.length }, () => random.int(300 * 1024))];
    const punctuation = [' + ', '%', '%20', '&', '=', '?', '#', ';', ',', '@', '$', '!', "'", '(', ')', '*', '~', '[', ']', ' ', '^', '`', '{', '}', '|', '\\'];
    const letters = ['é', 'ü', 'ß', 'ø', '日本', '한국어', 'Ελ', 'Ж', '🙂', 'ﬁ'];
    const classes: UploadEncryption[] = ['none', 'sse-s3', 'sse-kms-other', 'dsse-other'];
    const storageClasses: StorageClass[] = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'REDUCED_REDUNDANCY'];
    const tagAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 +-=._:/@éü日本';
    const metaAlphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 =+;/:,.-_';

    const objects: { uploaded: Uploaded; encryption: UploadEncryption }[] = [];
    for (const [index, size] of sizes.entries()) {
      // Two objects already under the required key: they must be left alone.
      const encryption: UploadEncryption = index === 3 || index === 20 ? 'sse-kms-required' : random.pick(classes);
      const key = `integrity/${String(index).padStart(2, '0')} ${random.pick(letters)}${random.pick(punctuation)}${random.pick(punctuation)}part ${random.pick(letters)}.bin`;
      const metadata = Object.fromEntries(
        Array.from({ length: random.int(5) }, (_, n) => [`m${n}-${random.text('abcdefghij', 1, 8)}`, `v${random.text(metaAlphabet, 0, 40)}x`]),
      );
      const tags = Array.from({ length: random.int(11) }, (_, n) => [`t${n}${random.text(tagAlphabet, 0, 20)}`, random.text(tagAlphabet, 0, 30)] as const);
      const headers: Partial<PutObjectCommandInput> = {
        ContentType: random.pick(['application/octet-stream', 'text/csv; charset=utf-8', 'image/png', 'application/x-parquet', 'application/json']),
        ...(random.int(2) ? { CacheControl: random.pick(['no-cache', 'public, max-age=31536000, immutable', 'private, max-age=60']) } : {}),
        ...(random.int(2) ? { ContentDisposition: `attachment; filename="object-${index}.bin"` } : {}),
        ...(random.int(2) ? { ContentLanguage: random.pick(['en', 'de-CH', 'ja-JP', 'pt-BR']) } : {}),
        ...(random.int(3) === 0 ? { ContentEncoding: 'identity' } : {}),
        ...(random.int(2) ? { Expires: new Date(Date.UTC(2027 + random.int(10), random.int(12), 1 + random.int(28), random.int(24), random.int(60), random.int(60))) } : {}),
        ...(random.int(3) === 0 ? { WebsiteRedirectLocation: `/redirects/${index}/target.html` } : {}),
        StorageClass: random.pick(storageClasses),
        Metadata: metadata,
        Tagging: tags.map(([tagKey, value]) => `${encodeURIComponent(tagKey)}=${encodeURIComponent(value)}`).join('&'),
      };
      objects.push({ uploaded: await upload(bucket, key, randomBytes(size), encryption, headers), encryption });
    }
    const before = new Map<string, { snapshot: VersionSnapshot; versions: string[] }>();
    for (const { uploaded } of objects) {
      before.set(uploaded.key, { snapshot: await snapshotVersion(clients.s3, bucket, uploaded.key), versions: await versionsOf(clients.s3, bucket, uploaded.key) });
    }
    const messages = withVersions(
      await notifications.direct.drain(),
      objects.map(({ uploaded }) => uploaded),
    );
    expect(messages, `seed ${seed}`).toHaveLength(objects.length);

    // As Lambda polls SQS: batches of 10.
    const runs: BundleRun[] = [];
    for (let start = 0; start < messages.length; start += 10) {
      const result = await run(sqsEvent(notifications.direct.arn, messages.slice(start, start + 10)), { ...MULTIPART, POLICY: JSON.stringify({ priorVersions: 'delete' }) });
      expect(failedMessageIds(result), `seed ${seed}`).toEqual([]);
      runs.push(result);
    }

    const writes = await objectCreatedNotices(notifications.direct);
    for (const { uploaded, encryption } of objects) {
      const where = `seed ${seed}, ${encryption}, ${uploaded.body.length} bytes: ${uploaded.key}`;
      const was = before.get(uploaded.key);
      if (!was) throw new Error(`no snapshot of ${uploaded.key}`);
      const after = await snapshotVersion(clients.s3, bucket, uploaded.key);
      const lines = runs.flatMap((result) => logLinesFor(result, bucket, uploaded.key));
      expect(lines, where).toHaveLength(1);
      expect(after.sha256, where).toBe(sha256Of(uploaded.body));
      if (encryption === 'sse-kms-required') {
        expect(lines[0]?.outcome, where).toBe('compliant');
        expect(after, where).toEqual(was.snapshot);
        expect(await versionsOf(clients.s3, bucket, uploaded.key), where).toEqual(was.versions);
        expect(writes.filter((write) => write.key === uploaded.key), where).toEqual([]);
        continue;
      }
      const method = uploaded.body.length > 6 * MIB ? 'multipart-copy' : 'copy-in-place';
      expect(lines[0], `${where}: ${JSON.stringify(lines[0])}`).toMatchObject({ outcome: 'remediated', strategy: method, priorVersion: { versionId: uploaded.versionId, disposition: 'deleted' } });
      expect(after.encryption, where).toEqual(
        encryption === 'dsse-other'
          ? { serverSideEncryption: 'aws:kms:dsse', kmsKeyId: fixture.keys.required, bucketKeyEnabled: undefined }
          : underRequiredKey(),
      );
      expect(after.headers, where).toEqual(was.snapshot.headers);
      expect(after.expires, where).toBe(was.snapshot.expires);
      expect(after.tags, where).toEqual(was.snapshot.tags);
      expect(await versionsOf(clients.s3, bucket, uploaded.key), where).toEqual([after.versionId]);
      expect(writes.filter((write) => write.key === uploaded.key).map((write) => write.eventName), where).toEqual([
        method === 'multipart-copy' ? 'ObjectCreated:CompleteMultipartUpload' : 'ObjectCreated:Copy',
      ]);
    }
    // Not vacuous: every method ran, on objects that carried something to lose.
    const methods = runs.flatMap((result) => result.logs).map((line) => line['strategy']);
    expect(methods, `seed ${seed}`).toContain('multipart-copy');
    expect(methods, `seed ${seed}`).toContain('copy-in-place');
    expect(objects.some(({ uploaded }) => (before.get(uploaded.key)?.snapshot.tags.length ?? 0) > 3), `seed ${seed}`).toBe(true);
    expect(await alertsIn(fixture.findings.queue)).toEqual([]);
  });
});
