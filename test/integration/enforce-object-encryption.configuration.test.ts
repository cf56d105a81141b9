import { CreateAliasCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { type BucketNotifications, type EnforcerFixture } from './support/enforcer-fixture.js';
import { useEnforcerTier } from './support/enforcer-tier.js';
import { sqsEvent } from './support/lambda-events.js';
import type { MotoClients } from './support/moto-clients.js';
import { TEST_ACCOUNT, TEST_REGION } from './support/moto-server.js';
import { snapshotObject, versionsOf, type ObjectSnapshot } from './support/object-snapshot.js';
import { failedMessageIds, findingsIn, logLinesFor, objectCreatedNotices } from './support/observations.js';
import { awkwardKey, sampleObject, uploadSample, type EncryptionClass } from './support/sample-objects.js';
import type { ReceivedMessage } from './support/sqs-queue.js';

let clients: MotoClients;
let fixture: EnforcerFixture;

useEnforcerTier((tier) => ({ clients, fixture } = tier));

interface WatchedObject {
  readonly bucket: string;
  readonly key: string;
  readonly snapshot: ObjectSnapshot;
  readonly versions: string[];
}

interface WatchedBucket {
  readonly bucket: string;
  readonly notifications: BucketNotifications;
  readonly objects: WatchedObject[];
  /** The S3 notifications of every upload, still to be handled. */
  readonly messages: ReceivedMessage[];
}

/** A versioned, watched bucket holding one object per `[prefix, class]`, with their notifications. */
const watchedBucket = async (name: string, objects: readonly (readonly [string, EncryptionClass])[]): Promise<WatchedBucket> => {
  const bucket = await fixture.createBucket(name, { versioned: true });
  const notifications = await fixture.notifyOnObjectCreated(bucket);
  const watched: WatchedObject[] = [];
  for (const [prefix, encryptionClass] of objects) {
    const key = awkwardKey(prefix, encryptionClass);
    await uploadSample(clients.s3, sampleObject(bucket, key, encryptionClass), fixture.keys);
    watched.push({ bucket, key, snapshot: await snapshotObject(clients.s3, bucket, key), versions: await versionsOf(clients.s3, bucket, key) });
  }
  const messages = await notifications.direct.drain();
  expect(messages).toHaveLength(objects.length);
  return { bucket, notifications, objects: watched, messages };
};

const expectUntouched = async (watched: WatchedBucket): Promise<void> => {
  expect(await objectCreatedNotices(watched.notifications.direct)).toEqual([]);
  for (const object of watched.objects) {
    expect(await versionsOf(clients.s3, object.bucket, object.key), object.key).toEqual(object.versions);
    expect(await snapshotObject(clients.s3, object.bucket, object.key), object.key).toEqual(object.snapshot);
  }
};

const MISSING_KEY_ARN = `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/0b7e4d2c-1f3a-4c5b-9d8e-7f6a5b4c3d2e`;

describe('enforce-object-encryption bundle: fails closed on configuration nobody meant', () => {
  it.each([
    { problem: 'REQUIRED_KMS_KEY missing', env: { REQUIRED_KMS_KEY: undefined }, names: [/REQUIRED_KMS_KEY/] },
    { problem: 'REQUIRED_KMS_KEY malformed', env: { REQUIRED_KMS_KEY: 'my-encryption-key' }, names: [/REQUIRED_KMS_KEY/, /my-encryption-key/] },
    { problem: 'REQUIRED_KMS_KEY an AWS-managed alias', env: { REQUIRED_KMS_KEY: 'alias/aws/s3' }, names: [/REQUIRED_KMS_KEY/, /alias\/aws\/s3/] },
    { problem: 'FINDINGS_TOPIC_ARN missing', env: { FINDINGS_TOPIC_ARN: undefined }, names: [/FINDINGS_TOPIC_ARN/] },
    { problem: 'FINDINGS_TOPIC_ARN not an SNS topic ARN', env: { FINDINGS_TOPIC_ARN: 'enforcer-findings' }, names: [/FINDINGS_TOPIC_ARN/] },
    { problem: 'POLICY not JSON', env: { POLICY: '{"exemptions": [' }, names: [/POLICY/, /JSON/] },
    { problem: 'POLICY with an unknown field', env: { POLICY: '{"exemption": []}' }, names: [/POLICY/, /"exemption"/] },
    { problem: 'ENFORCEMENT_MODE unknown', env: { ENFORCEMENT_MODE: 'dry-run' }, names: [/ENFORCEMENT_MODE/, /dry-run/] },
  ])('$problem: the invocation errors naming it, and nothing is written', async ({ env, names }) => {
    const watched = await watchedBucket('enforcer-fail-closed', [['pending', 'none']]);

    const run = await fixture.run(sqsEvent(watched.notifications.direct.arn, watched.messages), env);

    expect(run.result).toBeUndefined();
    for (const name of names) expect(run.error).toMatch(name);
    await expectUntouched(watched);
    expect(await findingsIn(fixture.findings.queue)).toEqual([]);
  });

  it.each([
    { form: 'a key ARN', reference: MISSING_KEY_ARN },
    { form: 'an alias', reference: 'alias/never-created' },
  ])('REQUIRED_KMS_KEY naming $form that KMS does not know: errors naming the key, nothing written', async ({ reference }) => {
    const watched = await watchedBucket('enforcer-unknown-key', [['pending', 'none']]);

    const run = await fixture.run(sqsEvent(watched.notifications.direct.arn, watched.messages), { REQUIRED_KMS_KEY: reference });

    expect(run.result).toBeUndefined();
    expect(run.error).toContain(reference);
    await expectUntouched(watched);
  });
});

describe('enforce-object-encryption bundle: key references resolve to the key ARN', () => {
  it.each([
    { form: 'alias name', reference: (_arn: string) => 'alias/enforcer-required' },
    { form: 'alias ARN', reference: (_arn: string) => `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:alias/enforcer-required` },
    { form: 'key id', reference: (arn: string) => arn.split('/').pop() ?? '' },
  ])('REQUIRED_KMS_KEY as a $form: remediated objects carry the key ARN; objects under it are compliant', async ({ reference }) => {
    await clients.kms.send(new CreateAliasCommand({ AliasName: 'alias/enforcer-required', TargetKeyId: fixture.keys.required }));
    const watched = await watchedBucket('enforcer-key-reference', [
      ['plain', 'none'],
      ['kms', 'sse-kms-required'],
    ]);
    const [plain, kms] = watched.objects as [WatchedObject, WatchedObject];

    const run = await fixture.run(sqsEvent(watched.notifications.direct.arn, watched.messages), { REQUIRED_KMS_KEY: reference(fixture.keys.required) });

    expect(failedMessageIds(run)).toEqual([]);
    const after = await snapshotObject(clients.s3, watched.bucket, plain.key);
    expect(after.encryption).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });
    expect(logLinesFor(run, watched.bucket, kms.key).map((line) => line.outcome)).toEqual(['compliant']);
    expect(await versionsOf(clients.s3, watched.bucket, kms.key)).toEqual(kms.versions);
    expect((await objectCreatedNotices(watched.notifications.direct)).map((write) => write.key)).toEqual([plain.key]);
  });
});

describe('enforce-object-encryption bundle: POLICY exemptions and overrides', () => {
  it('leaves an exempt prefix alone, encrypts an override prefix under its own key, and everything else under the required key', async () => {
    const financeKey = await fixture.createKey('the finance key');
    await clients.kms.send(new CreateAliasCommand({ AliasName: 'alias/finance', TargetKeyId: financeKey }));
    const watched = await watchedBucket('enforcer-policy', [
      ['scratch', 'none'],
      ['finance', 'none'],
      ['finance', 'sse-kms-required'],
      ['logs', 'sse-s3'],
      ['other', 'none'],
    ]);
    // The same prefix in another bucket is not exempt: exemptions name their bucket.
    const elsewhere = await watchedBucket('enforcer-policy-elsewhere', [['scratch', 'none']]);
    const policy = {
      exemptions: [{ bucket: watched.bucket, prefix: 'scratch/' }],
      overrides: [
        { bucket: watched.bucket, prefix: 'finance/', requiredKey: 'alias/finance' },
        { bucket: watched.bucket, prefix: 'logs/', bucketKey: false },
      ],
    };

    const run = await fixture.run(sqsEvent(watched.notifications.direct.arn, [...watched.messages, ...elsewhere.messages]), {
      POLICY: JSON.stringify(policy),
    });

    expect(failedMessageIds(run)).toEqual([]);
    const [scratch, financePlain, financeUnderRequired, logs, other] = watched.objects as [WatchedObject, WatchedObject, WatchedObject, WatchedObject, WatchedObject];
    const encryptionOf = async (object: WatchedObject) => (await snapshotObject(clients.s3, object.bucket, object.key)).encryption;

    expect(await snapshotObject(clients.s3, watched.bucket, scratch.key)).toEqual(scratch.snapshot);
    expect(await versionsOf(clients.s3, watched.bucket, scratch.key)).toEqual(scratch.versions);
    expect(logLinesFor(run, watched.bucket, scratch.key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'exempt']]);

    expect(await encryptionOf(financePlain)).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: financeKey, bucketKeyEnabled: true });
    expect(await encryptionOf(financeUnderRequired)).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: financeKey, bucketKeyEnabled: true });
    expect(await encryptionOf(logs)).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: false });
    expect(await encryptionOf(other)).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });
    const [elsewhereScratch] = elsewhere.objects as [WatchedObject];
    expect(await encryptionOf(elsewhereScratch)).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });

    for (const object of [financePlain, financeUnderRequired, logs, other, elsewhereScratch]) {
      const after = await snapshotObject(clients.s3, object.bucket, object.key);
      expect(after.sha256, object.key).toBe(object.snapshot.sha256);
      expect(after.headers, object.key).toEqual(object.snapshot.headers);
      expect(after.tags, object.key).toEqual(object.snapshot.tags);
    }
    expect((await objectCreatedNotices(watched.notifications.direct)).map((write) => write.key).sort()).toEqual(
      [financePlain.key, financeUnderRequired.key, logs.key, other.key].sort(),
    );
  });

  it('acceptDsseKms false: alerts on DSSE-KMS objects, never downgrades them, and does not fail (retry) them', async () => {
    const watched = await watchedBucket('enforcer-no-dsse', [
      ['dsse', 'dsse-required'],
      ['dsse', 'dsse-other'],
    ]);
    const [underRequired, underOther] = watched.objects as [WatchedObject, WatchedObject];

    const run = await fixture.run(sqsEvent(watched.notifications.direct.arn, watched.messages), { POLICY: JSON.stringify({ acceptDsseKms: false }) });

    // Neither object can comply without a downgrade, which is never automatic: an alert each, and nothing
    // a retry could change, so no batch item failure.
    expect(failedMessageIds(run)).toEqual([]);
    for (const object of watched.objects) {
      expect(logLinesFor(run, object.bucket, object.key).map((line) => [line.outcome, line.reason]), object.key).toEqual([['skipped', 'dsse-not-accepted']]);
    }
    const alerts = (await findingsIn(fixture.findings.queue)).flatMap((finding) => finding.document.alerts);
    expect(alerts.map((alert) => [alert.key, alert.reason]).sort()).toEqual(watched.objects.map((object) => [object.key, 'dsse-not-accepted']).sort());

    expect(await snapshotObject(clients.s3, watched.bucket, underRequired.key)).toEqual(underRequired.snapshot);
    expect(await versionsOf(clients.s3, watched.bucket, underRequired.key)).toEqual(underRequired.versions);
    const other = await snapshotObject(clients.s3, watched.bucket, underOther.key);
    expect(other.encryption.serverSideEncryption).toBe('aws:kms:dsse');
    expect(other.sha256).toBe(underOther.snapshot.sha256);
  });
});
