import { describe, expect, it } from 'vitest';
import { type EnforcerFixture } from './support/enforcer-fixture.js';
import type { BundleRun } from './support/invoke-bundle.js';
import { snsEnvelopeOf, snsEvent, sqsEvent } from './support/lambda-events.js';
import type { MotoClients } from './support/moto-clients.js';
import { snapshotObject, versionsOf } from './support/object-snapshot.js';
import { failedMessageIds, findingsIn, logLinesFor, objectCreatedNotices, objectLogLines } from './support/observations.js';
import { awkwardKey, sampleObject, uploadSample } from './support/sample-objects.js';
import { useEnforcerTier } from './support/enforcer-tier.js';
import { createTestQueue } from './support/sqs-queue.js';

let clients: MotoClients;
let fixture: EnforcerFixture;

useEnforcerTier((tier) => ({ clients, fixture } = tier));

const errorLines = (run: BundleRun) => run.logs.filter((line) => line['level'] === 'ERROR');

describe('enforce-object-encryption bundle: S3 test event', () => {
  it('acknowledges the s3:TestEvent S3 sends when a notification is configured: no work, no alert, no failure', async () => {
    const bucket = await fixture.createBucket('enforcer-test-event', { versioned: true });
    // An object that does not comply is already in the bucket: the test event must not touch it.
    const key = awkwardKey('present', 'before the notification');
    await uploadSample(clients.s3, sampleObject(bucket, key, 'none'), fixture.keys);
    const before = await snapshotObject(clients.s3, bucket, key);
    const versionsBefore = await versionsOf(clients.s3, bucket, key);

    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const { direct: [directTest], viaSns: [snsTest] } = notifications.testEvents;
    if (!directTest || !snsTest) throw new Error('moto sent no s3:TestEvent when the notification was configured');
    expect(JSON.parse(directTest.body)).toMatchObject({ Event: 's3:TestEvent', Bucket: bucket });

    const runs = {
      direct: await fixture.run(JSON.parse(directTest.body)),
      sqs: await fixture.run(sqsEvent(notifications.direct.arn, [directTest])),
      sns: await fixture.run(snsEvent(snsEnvelopeOf(snsTest))),
      snsThenSqs: await fixture.run(sqsEvent(notifications.viaSns.arn, [snsTest])),
    };

    expect(runs.direct.error).toBeUndefined();
    expect(runs.direct.result).toEqual({ processed: 0 });
    expect(runs.sns.error).toBeUndefined();
    expect(runs.sns.result).toEqual({ processed: 0 });
    expect(failedMessageIds(runs.sqs)).toEqual([]);
    expect(failedMessageIds(runs.snsThenSqs)).toEqual([]);
    for (const [name, run] of Object.entries(runs)) {
      expect(objectLogLines(run), name).toEqual([]);
      expect(errorLines(run), name).toEqual([]);
    }
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    expect(await versionsOf(clients.s3, bucket, key)).toEqual(versionsBefore);
    expect(await snapshotObject(clients.s3, bucket, key)).toEqual(before);
    expect(await findingsIn(fixture.findings.queue)).toEqual([]);
  });
});

describe('enforce-object-encryption bundle: partial batch failures', () => {
  it('names exactly the unreadable messages in batchItemFailures and still remediates the good one', async () => {
    const bucket = await fixture.createBucket('enforcer-partial-batch', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = awkwardKey('batch', 'the good one');
    await uploadSample(clients.s3, sampleObject(bucket, key, 'sse-kms-other'), fixture.keys);
    const [good] = await notifications.direct.drain();
    if (!good) throw new Error('moto sent no notification for the upload');

    const queue = await createTestQueue(clients.sqs, 'mixed-batch');
    const goodId = await queue.send(good.body);
    const invalidJsonId = await queue.send('{"Records": [{"eventSource": "aws:s3", "s3": ');
    const otherServiceId = await queue.send(
      JSON.stringify({
        Records: [
          {
            eventID: 'c4ca4238a0b923820dcc509a6f75849b',
            eventName: 'INSERT',
            eventSource: 'aws:dynamodb',
            awsRegion: 'us-east-1',
            dynamodb: { Keys: { Id: { N: '101' } }, SequenceNumber: '4421584500000000017450439091', StreamViewType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
    const batch = await queue.drain();
    expect(batch.map((message) => message.messageId).sort()).toEqual([goodId, invalidJsonId, otherServiceId].sort());

    const run = await fixture.run(sqsEvent(queue.arn, batch));

    expect(failedMessageIds(run).sort()).toEqual([invalidJsonId, otherServiceId].sort());
    expect(logLinesFor(run, bucket, key).map((line) => line.outcome)).toEqual(['remediated']);
    const after = await snapshotObject(clients.s3, bucket, key);
    expect(after.encryption).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });
    // Each rejected message is named in an error line, so someone can find it in the dead-letter queue.
    for (const id of [invalidJsonId, otherServiceId]) {
      expect(errorLines(run).filter((line) => JSON.stringify(line).includes(id)), id).not.toEqual([]);
    }
    expect(errorLines(run).filter((line) => JSON.stringify(line).includes(goodId))).toEqual([]);
  });

  it('throws on a direct invocation it cannot read, so Lambda retries it and sends it to the on-failure destination', async () => {
    const run = await fixture.run({ Records: [{ eventSource: 'aws:dynamodb', eventName: 'INSERT', dynamodb: {} }] });

    expect(run.error).toMatch(/not an S3 event|aws:dynamodb/);
  });
});
