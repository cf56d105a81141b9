import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetBucketNotificationConfigurationCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCliUnavailableReason, runAwsCli } from './support/aws-cli.js';
import type { EnforcerFixture } from './support/enforcer-fixture.js';
import type { BundleRun } from './support/invoke-bundle.js';
import { eventBridgeObjectCreated, sqsEvent } from './support/lambda-events.js';
import type { MotoClients } from './support/moto-clients.js';
import type { MotoServer } from './support/moto-server.js';
import { snapshotObject, type ObjectSnapshot } from './support/object-snapshot.js';
import { failedMessageIds, findingsIn, logLinesFor, objectLogLines } from './support/observations.js';
import { useEnforcerTier } from './support/enforcer-tier.js';
import type { ReceivedMessage, TestQueue } from './support/sqs-queue.js';

/**
 * The deployment's paths as they run: objects uploaded by a second client (the AWS CLI, the way
 * users upload from a shell: in parts above 8 MB, with checksums), events emitted by moto itself
 * (S3 → EventBridge → rule → SQS, and S3 notification → SQS), the built bundle consuming them.
 * moto's EventBridge events carry keys as stored, where S3 notifications URL-encode them; AWS leaves
 * the EventBridge spelling unsettled, so both are also sent URL-encoded, as synthetic events.
 */

let moto: MotoServer;
let clients: MotoClients;
let fixture: EnforcerFixture;

useEnforcerTier((tier) => ({ moto, clients, fixture } = tier));

/** Keys whose spelling differs between an encoded and a stored key, and `a b` beside `a+b`. */
const AWKWARD_KEYS = [
  'reports/Q1+Q2 résumé.csv',
  'pct/100%25 done.txt',
  'plus/a+b+c.txt',
  'times/12:30 run.log',
  'both/a b.txt',
  'both/a+b.txt',
  'spaces/a file é 日本.txt',
] as const;
/** Above the AWS CLI's 8 MB threshold: uploaded in parts, with a composite CRC32 checksum. */
const LARGE_KEY = 'big/Q1+Q2 parts+checksums.bin';
const LARGE_BYTES = 9 * 1024 ** 2;

interface Upload {
  readonly key: string;
  readonly encryption: 'sse-s3' | 'none';
}

const UPLOADS: readonly Upload[] = [
  ...AWKWARD_KEYS.map((key, index): Upload => ({ key, encryption: index % 2 === 0 ? 'sse-s3' : 'none' })),
  { key: LARGE_KEY, encryption: 'sse-s3' },
];

const cliMissing = awsCliUnavailableReason();
let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'enforcer-event-paths-'));
  // eslint-disable-next-line no-console -- one visible line: the second client is missing on this machine
  if (cliMissing) console.warn(`AWS CLI NOT USED as the second client: ${cliMissing}. Objects are uploaded with the SDK instead.`);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Uploads as a user would: the AWS CLI where it is installed (its own multipart and checksums), the SDK otherwise. */
const upload = async (bucket: string, { key, encryption }: Upload): Promise<void> => {
  const body = randomBytes(key === LARGE_KEY ? LARGE_BYTES : 24 * 1024);
  const contentType = key.endsWith('.csv') ? 'text/csv' : 'application/octet-stream';
  const metadata = { owner: 'finance', note: 'q1+q2 summary' };
  if (cliMissing) {
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata, ...(encryption === 'sse-s3' ? { ServerSideEncryption: 'AES256' } : {}) }),
    );
    return;
  }
  const file = join(workDir, `${bucket}-${Buffer.from(key).toString('hex').slice(0, 60)}`);
  writeFileSync(file, body);
  const cli = await runAwsCli(moto.endpoint, [
    's3',
    'cp',
    file,
    `s3://${bucket}/${key}`,
    '--content-type',
    contentType,
    '--metadata',
    JSON.stringify(metadata),
    ...(encryption === 'sse-s3' ? ['--sse', 'AES256'] : []),
    ...(key === LARGE_KEY ? ['--checksum-algorithm', 'CRC32'] : []),
  ]);
  if (cli.code !== 0) throw new Error(`aws s3 cp to s3://${bucket}/${key} failed (${cli.code}): ${cli.stderr}`);
};

const snapshots = async (s3: S3Client, bucket: string): Promise<Map<string, ObjectSnapshot>> => {
  const taken = new Map<string, ObjectSnapshot>();
  for (const { key } of UPLOADS) taken.set(key, await snapshotObject(s3, bucket, key));
  return taken;
};

/** The messages the queue holds now, and the bundle run on them as Lambda's SQS poller would. */
const consume = async (queue: TestQueue): Promise<{ messages: ReceivedMessage[]; run: BundleRun }> => {
  const messages = await queue.drain();
  return { messages, run: await fixture.run(sqsEvent(queue.arn, messages)) };
};

const goneLines = (run: BundleRun) => run.logs.filter((line) => line['message'] === 'object named by the event not found');

/** Every object under the required key, and nothing else about it changed: bytes (read back with checksum validation), headers, metadata. */
const expectAllRemediated = (bucket: string, before: Map<string, ObjectSnapshot>, after: Map<string, ObjectSnapshot>): void => {
  for (const { key, encryption } of UPLOADS) {
    const was = before.get(key) as ObjectSnapshot;
    const now = after.get(key) as ObjectSnapshot;
    expect(was.encryption.serverSideEncryption, key).toBe(encryption === 'sse-s3' ? 'AES256' : undefined);
    expect(now.encryption, `s3://${bucket}/${key}`).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });
    expect(now.sha256, key).toBe(was.sha256);
    expect(now.headers, key).toEqual(was.headers);
    expect(now.tags, key).toEqual(was.tags);
  }
};

describe('the recommended path, as deployed: S3 → EventBridge → rule → SQS → bundle, events moto emits', () => {
  it('brings every object the AWS CLI uploads under the required key, whatever its key holds, with nothing failed or silently skipped', async () => {
    const bucket = await fixture.createBucket('enforcer-eventbridge-path');
    const queue = await fixture.routeThroughEventBridge(bucket);
    const { EventBridgeConfiguration } = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(EventBridgeConfiguration).toEqual({});
    for (const object of UPLOADS) await upload(bucket, object);
    const before = await snapshots(clients.s3, bucket);

    const { messages, run } = await consume(queue);

    // What moto emitted: one EventBridge event per object, the key as stored, its own field spellings.
    const details = messages.map((message) => JSON.parse(message.body) as { source: string; 'detail-type': string; detail: { object: { key: string } } });
    expect(details.map((event) => [event.source, event['detail-type']])).toEqual(UPLOADS.map(() => ['aws.s3', 'Object Created']));
    expect(details.map((event) => event.detail.object.key).sort()).toEqual(UPLOADS.map(({ key }) => key).sort());

    expect(failedMessageIds(run)).toEqual([]);
    expect(goneLines(run)).toEqual([]);
    for (const { key } of UPLOADS) {
      // `both/a b.txt` is also a spelling of the event for `both/a+b.txt`: found compliant by then.
      const twin = key === 'both/a b.txt' ? [['compliant', undefined]] : [];
      expect(logLinesFor(run, bucket, key).map((line) => [line.outcome, line['strategy']]), key).toEqual([['remediated', 'copy-in-place'], ...twin]);
    }
    // Only the objects the events name: nothing was looked at under a spelling that names nothing.
    expect([...new Set(objectLogLines(run).map((line) => line.key))].sort()).toEqual(UPLOADS.map(({ key }) => key).sort());
    expectAllRemediated(bucket, before, await snapshots(clients.s3, bucket));

    // Each copy fired its own event through the same path: handled with one look, nothing written.
    const { messages: copies, run: replay } = await consume(queue);
    expect(copies).toHaveLength(UPLOADS.length);
    expect(failedMessageIds(replay)).toEqual([]);
    expect(new Set(objectLogLines(replay).map((line) => line.outcome))).toEqual(new Set(['compliant']));
    expect(await queue.drain()).toEqual([]);
    expect(await findingsIn(fixture.findings.queue)).toEqual([]);
  }, 180_000);

  it('when `a b` and `a+b` both exist, the event for `a+b` brings `a+b` under the key, not only `a b`', async () => {
    const bucket = await fixture.createBucket('enforcer-eventbridge-twins');
    const queue = await fixture.routeThroughEventBridge(bucket);
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'both/a b.txt', Body: 'space', ServerSideEncryption: 'AES256' }));
    await queue.drain();
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'both/a+b.txt', Body: 'plus', ServerSideEncryption: 'AES256' }));

    const { messages, run } = await consume(queue);

    expect(messages.map((message) => (JSON.parse(message.body) as { detail: { object: { key: string } } }).detail.object.key)).toEqual(['both/a+b.txt']);
    expect(failedMessageIds(run)).toEqual([]);
    // Both spellings of the event's key name an object; both end under the required key.
    for (const key of ['both/a+b.txt', 'both/a b.txt']) {
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect([head.ServerSideEncryption, head.SSEKMSKeyId], key).toEqual(['aws:kms', fixture.keys.required]);
    }
  });

  it('the same keys sent URL-encoded, as AWS-maintained parsers assume, end the same way', async () => {
    const bucket = await fixture.createBucket('enforcer-eventbridge-encoded');
    const events = [];
    for (const { key } of UPLOADS.filter((upload) => upload.key !== LARGE_KEY)) {
      const put = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}`, ServerSideEncryption: 'AES256' }));
      events.push(eventBridgeObjectCreated({ bucket, key, size: Buffer.byteLength(`body of ${key}`), eTag: put.ETag ?? '' }));
    }

    // One after another, as EventBridge would deliver them: `both/a b.txt` and `both/a+b.txt` are each
    // a spelling of the other's event, so the second of them finds that object already compliant.
    const runs = [];
    for (const event of events) runs.push(await fixture.run(event));

    for (const run of runs) {
      expect(run.error).toBeUndefined();
      expect(goneLines(run)).toEqual([]);
    }
    for (const key of AWKWARD_KEYS) {
      const outcomes = runs.flatMap((run) => logLinesFor(run, bucket, key).map((line) => line.outcome));
      expect(outcomes.filter((outcome) => outcome === 'remediated'), key).toEqual(['remediated']);
      expect(outcomes.filter((outcome) => outcome !== 'remediated' && outcome !== 'compliant'), key).toEqual([]);
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect([head.ServerSideEncryption, head.SSEKMSKeyId], key).toEqual(['aws:kms', fixture.keys.required]);
    }
  });

  it('an object deleted before it is enforced ends as a visible warning naming every spelling tried, not a failure', async () => {
    const bucket = await fixture.createBucket('enforcer-eventbridge-gone');
    const queue = await fixture.routeThroughEventBridge(bucket);
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plus/short+lived.txt', Body: 'brief', ServerSideEncryption: 'AES256' }));
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'plus/short+lived.txt' }));

    const { run } = await consume(queue);

    expect(failedMessageIds(run)).toEqual([]);
    expect(goneLines(run)).toEqual([
      expect.objectContaining({
        level: 'WARN',
        bucket,
        outcome: 'skipped',
        reason: 'gone',
        keysTried: ['plus/short lived.txt', 'plus/short+lived.txt'],
        eventSize: 5,
        eventETag: expect.any(String),
      }),
    ]);
    expect(await findingsIn(fixture.findings.queue)).toEqual([]);
  });
});

describe('the notification path, beside it: S3 notification → SQS → bundle, events moto emits', () => {
  it('brings the same uploads under the required key from URL-encoded notification keys', async () => {
    const bucket = await fixture.createBucket('enforcer-notification-path');
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    for (const object of UPLOADS) await upload(bucket, object);
    const before = await snapshots(clients.s3, bucket);

    const { messages, run } = await consume(notifications.direct);

    // moto URL-encodes notification keys as S3 does (and `/` too, as some endpoints do).
    const encodedKeys = messages.flatMap((message) => (JSON.parse(message.body) as { Records: { s3: { object: { key: string } } }[] }).Records.map((record) => record.s3.object.key));
    expect(encodedKeys).toContain('plus%2Fa%2Bb%2Bc.txt');
    expect(failedMessageIds(run)).toEqual([]);
    expect(goneLines(run)).toEqual([]);
    for (const { key } of UPLOADS) expect(logLinesFor(run, bucket, key).map((line) => line.outcome), key).toEqual(['remediated']);
    expectAllRemediated(bucket, before, await snapshots(clients.s3, bucket));
  }, 180_000);
});
