import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { type EnforcerFixture } from './support/enforcer-fixture.js';
import { eventBridgeObjectCreated, s3RecordsOf, sqsEvent, withVersionId } from './support/lambda-events.js';
import type { MotoClients } from './support/moto-clients.js';
import { sha256Of, snapshotObject, versionsOf } from './support/object-snapshot.js';
import { alertsIn, failedMessageIds, findingsIn, logLinesFor, objectCreatedNotices, residualVersionAlert } from './support/observations.js';
import { awkwardKey, sampleObject, uploadSample } from './support/sample-objects.js';
import { useEnforcerTier } from './support/enforcer-tier.js';
import { createTestQueue } from './support/sqs-queue.js';

let clients: MotoClients;
let fixture: EnforcerFixture;

useEnforcerTier((tier) => ({ clients, fixture } = tier));

describe('enforce-object-encryption bundle: idempotency', () => {
  it('leaves compliant objects untouched: no new version, no write', async () => {
    const bucket = await fixture.createBucket('enforcer-compliant', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const objects = [
      await uploadSample(clients.s3, sampleObject(bucket, awkwardKey('kms', 'already compliant'), 'sse-kms-required'), fixture.keys),
      await uploadSample(clients.s3, sampleObject(bucket, awkwardKey('dsse', 'already compliant'), 'dsse-required'), fixture.keys),
    ];
    const before = await Promise.all(objects.map(async (object) => ({
      snapshot: await snapshotObject(clients.s3, bucket, object.key),
      versions: await versionsOf(clients.s3, bucket, object.key),
    })));
    const messages = await notifications.direct.drain();
    expect(messages).toHaveLength(2);

    const run = await fixture.run(sqsEvent(notifications.direct.arn, messages));

    expect(failedMessageIds(run)).toEqual([]);
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    for (const [index, object] of objects.entries()) {
      expect(await versionsOf(clients.s3, bucket, object.key)).toEqual(before[index]?.versions);
      expect(await snapshotObject(clients.s3, bucket, object.key)).toEqual(before[index]?.snapshot);
      expect(logLinesFor(run, bucket, object.key).map((line) => line.outcome)).toEqual(['compliant']);
    }
    expect(await findingsIn(fixture.findings.queue)).toEqual([]);
  });

  it("ends the loop: the copy's own event, and a replay of the original event, write nothing", async () => {
    const bucket = await fixture.createBucket('enforcer-loop', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = awkwardKey('loop', 'fires its own event');
    const uploaded = await uploadSample(clients.s3, sampleObject(bucket, key, 'none'), fixture.keys);
    const [original] = await notifications.direct.drain();
    if (!original) throw new Error('moto sent no notification for the upload');

    const first = await fixture.run(sqsEvent(notifications.direct.arn, [original]));
    expect(failedMessageIds(first)).toEqual([]);
    expect(logLinesFor(first, bucket, key).map((line) => line.outcome)).toEqual(['remediated']);
    const copyNotices = await objectCreatedNotices(notifications.direct);
    expect(copyNotices.map((notice) => `${notice.eventName} ${notice.key}`)).toEqual([`ObjectCreated:Copy ${key}`]);
    const remediated = await snapshotObject(clients.s3, bucket, key);
    const versions = await versionsOf(clients.s3, bucket, key);
    expect(versions).toHaveLength(2);
    expect(remediated.encryption.kmsKeyId).toBe(fixture.keys.required);

    // The notification S3 sent for the copy, handled again: one look, no write.
    const ownEvent = await fixture.run(sqsEvent(notifications.direct.arn, copyNotices.map((notice) => notice.message)));
    expect(failedMessageIds(ownEvent)).toEqual([]);
    expect(logLinesFor(ownEvent, bucket, key).map((line) => line.outcome)).toEqual(['compliant']);

    // S3 delivers at least once: the original event again, as moto sends it and as S3 sends it (with the old version id).
    const replay = await fixture.run(sqsEvent(notifications.direct.arn, [original]));
    expect(failedMessageIds(replay)).toEqual([]);
    expect(logLinesFor(replay, bucket, key).map((line) => line.outcome)).toEqual(['compliant']);
    if (!uploaded.versionId) throw new Error('a versioned bucket answered without a version id');
    const replayOfVersion = await fixture.run(sqsEvent(notifications.direct.arn, [withVersionId(original, uploaded.versionId)]));
    expect(failedMessageIds(replayOfVersion)).toEqual([]);
    expect(logLinesFor(replayOfVersion, bucket, key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'superseded']]);
    const replayFromEventBridge = await fixture.run(
      eventBridgeObjectCreated({ bucket, key, size: uploaded.body.length, eTag: uploaded.eTag, versionId: uploaded.versionId }),
    );
    expect(replayFromEventBridge.error).toBeUndefined();
    expect(logLinesFor(replayFromEventBridge, bucket, key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'superseded']]);

    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    expect(await versionsOf(clients.s3, bucket, key)).toEqual(versions);
    expect(await snapshotObject(clients.s3, bucket, key)).toEqual(remediated);
  });

  it('writes once when the same notification arrives twice in one batch', async () => {
    const bucket = await fixture.createBucket('enforcer-duplicates', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = awkwardKey('dup', 'delivered twice');
    await uploadSample(clients.s3, sampleObject(bucket, key, 'sse-s3'), fixture.keys);
    const [notice] = await notifications.direct.drain();
    if (!notice) throw new Error('moto sent no notification for the upload');
    // Two deliveries of one S3 notification: two SQS messages with the same body.
    const queue = await createTestQueue(clients.sqs, 'redelivered');
    await queue.send(notice.body);
    await queue.send(notice.body);
    const batch = await queue.drain();
    expect(batch).toHaveLength(2);

    const run = await fixture.run(sqsEvent(queue.arn, batch));

    expect(failedMessageIds(run)).toEqual([]);
    expect(logLinesFor(run, bucket, key).map((line) => line.outcome).sort()).toEqual(['compliant', 'remediated']);
    expect((await objectCreatedNotices(notifications.direct)).map((write) => write.eventName)).toEqual(['ObjectCreated:Copy']);
    expect(await versionsOf(clients.s3, bucket, key)).toHaveLength(2);
  });
});

describe('enforce-object-encryption bundle: never older content over newer', () => {
  it("skips the event of a superseded version, then remediates the newer version on that version's event", async () => {
    const bucket = await fixture.createBucket('enforcer-superseded', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = awkwardKey('race', 'uploaded twice');
    const first = await uploadSample(clients.s3, sampleObject(bucket, key, 'none'), fixture.keys);
    const second = await uploadSample(clients.s3, sampleObject(bucket, key, 'none'), fixture.keys);
    if (!first.versionId || !second.versionId) throw new Error('a versioned bucket answered without version ids');
    const secondSha = sha256Of(second.body);
    expect(sha256Of(first.body)).not.toBe(secondSha);
    // moto's notifications carry no versionId; S3's do, in a versioned bucket.
    const events = await notifications.direct.drain();
    expect(events).toHaveLength(2);
    const eventOf = (eTag: string) => {
      const found = events.find((message) => s3RecordsOf(message.body)[0]?.s3.object.eTag === eTag.replace(/"/g, ''));
      if (!found) throw new Error(`no notification for ETag ${eTag}`);
      return found;
    };
    const v1Event = eventOf(first.eTag);
    const v2Event = eventOf(second.eTag);
    const v1Message = withVersionId(v1Event, first.versionId);
    const v2Message = withVersionId(v2Event, second.versionId);
    const versionsBefore = await versionsOf(clients.s3, bucket, key);

    const stale = await fixture.run(sqsEvent(notifications.direct.arn, [v1Message]));

    expect(failedMessageIds(stale)).toEqual([]);
    expect(logLinesFor(stale, bucket, key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'superseded']]);
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    expect(await versionsOf(clients.s3, bucket, key)).toEqual(versionsBefore);
    const current = await snapshotObject(clients.s3, bucket, key);
    expect(current.versionId).toBe(second.versionId);
    expect(current.sha256).toBe(secondSha);
    expect(current.encryption.serverSideEncryption).toBeUndefined();

    const fresh = await fixture.run(sqsEvent(notifications.direct.arn, [v2Message]));

    expect(failedMessageIds(fresh)).toEqual([]);
    expect(logLinesFor(fresh, bucket, key).map((line) => line.outcome)).toEqual(['remediated']);
    const after = await snapshotObject(clients.s3, bucket, key);
    expect(after.sha256).toBe(secondSha);
    expect(after.encryption).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });
    expect(await versionsOf(clients.s3, bucket, key)).toHaveLength(versionsBefore.length + 1);
    if (!after.versionId) throw new Error('a versioned bucket answered without a version id');
    // The stale event alerted nobody; the copy left exactly the version it was made from (the newer
    // upload, not the first), and the one finding says so.
    expect(await versionsOf(clients.s3, bucket, key)).toEqual(expect.arrayContaining([first.versionId, second.versionId, after.versionId]));
    expect(await alertsIn(fixture.findings.queue)).toEqual([
      residualVersionAlert({
        bucket,
        key,
        residualVersionId: second.versionId,
        newVersionId: after.versionId,
        encryption: logLinesFor(fresh, bucket, key)[0]?.before,
      }),
    ]);
  });

  it('treats an object deleted before its event is handled as benign, in versioned and unversioned buckets', async () => {
    for (const versioned of [true, false]) {
      const bucket = await fixture.createBucket(versioned ? 'enforcer-deleted-versioned' : 'enforcer-deleted-plain', { versioned });
      const notifications = await fixture.notifyOnObjectCreated(bucket);
      const key = awkwardKey('gone', 'deleted at once');
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'short-lived' }));
      const [created] = await notifications.direct.drain();
      if (!created) throw new Error('moto sent no notification for the upload');
      await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      const versionsBefore = await versionsOf(clients.s3, bucket, key);

      const viaSqs = await fixture.run(sqsEvent(notifications.direct.arn, [created]));
      const direct = await fixture.run(JSON.parse(created.body));

      expect(failedMessageIds(viaSqs), `versioned: ${versioned}`).toEqual([]);
      expect(direct.error, `versioned: ${versioned}`).toBeUndefined();
      expect(direct.result).toEqual({ processed: 1 });
      for (const run of [viaSqs, direct]) {
        expect(logLinesFor(run, bucket, key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'gone']]);
      }
      expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
      expect(await versionsOf(clients.s3, bucket, key)).toEqual(versionsBefore);
    }
    expect(await findingsIn(fixture.findings.queue)).toEqual([]);
  });
});
