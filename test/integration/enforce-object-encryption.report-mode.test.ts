import { SubscribeCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { type EnforcerFixture } from './support/enforcer-fixture.js';
import { eventBridgeObjectCreated, sqsEvent } from './support/lambda-events.js';
import type { MotoClients } from './support/moto-clients.js';
import { snapshotObject, versionsOf, type ObjectSnapshot } from './support/object-snapshot.js';
import { failedMessageIds, findingsIn, logLinesFor, objectCreatedNotices } from './support/observations.js';
import { awkwardKey, sampleObject, uploadSample, type EncryptionClass, type UploadedObject } from './support/sample-objects.js';
import { useEnforcerTier } from './support/enforcer-tier.js';
import { createTestQueue } from './support/sqs-queue.js';

let clients: MotoClients;
let fixture: EnforcerFixture;

useEnforcerTier((tier) => ({ clients, fixture } = tier));

const REPORT = { ENFORCEMENT_MODE: 'report' } as const;

describe('enforce-object-encryption bundle: report mode', () => {
  it('writes nothing and publishes one alert per non-compliant object to the findings topic', async () => {
    // A machine consumer that asked for raw delivery gets the JSON document itself.
    const rawInbox = await createTestQueue(clients.sqs, 'enforcer-findings-raw');
    await clients.sns.send(
      new SubscribeCommand({ TopicArn: fixture.findings.topicArn, Protocol: 'sqs', Endpoint: rawInbox.arn, Attributes: { RawMessageDelivery: 'true' } }),
    );
    const bucket = await fixture.createBucket('enforcer-report-only', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const classes: EncryptionClass[] = ['none', 'sse-kms-other', 'sse-kms-required'];
    const uploaded: UploadedObject[] = [];
    for (const encryptionClass of classes) {
      uploaded.push(await uploadSample(clients.s3, sampleObject(bucket, awkwardKey('report', encryptionClass), encryptionClass), fixture.keys));
    }
    const before = new Map<string, { snapshot: ObjectSnapshot; versions: string[] }>();
    for (const object of uploaded) {
      before.set(object.key, { snapshot: await snapshotObject(clients.s3, bucket, object.key), versions: await versionsOf(clients.s3, bucket, object.key) });
    }
    const messages = await notifications.direct.drain();
    expect(messages).toHaveLength(classes.length);

    const run = await fixture.run(sqsEvent(notifications.direct.arn, messages), REPORT);

    // Alerts are not failures: nothing is retried.
    expect(failedMessageIds(run)).toEqual([]);
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    for (const object of uploaded) {
      expect(await versionsOf(clients.s3, bucket, object.key), object.key).toEqual(before.get(object.key)?.versions);
      expect(await snapshotObject(clients.s3, bucket, object.key), object.key).toEqual(before.get(object.key)?.snapshot);
    }

    const [noncompliantPlain, noncompliantKms, compliant] = uploaded as [UploadedObject, UploadedObject, UploadedObject];
    expect(logLinesFor(run, bucket, noncompliantPlain.key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'report-only']]);
    expect(logLinesFor(run, bucket, noncompliantKms.key).map((line) => [line.outcome, line.reason])).toEqual([['skipped', 'report-only']]);
    expect(logLinesFor(run, bucket, compliant.key).map((line) => line.outcome)).toEqual(['compliant']);

    // The default subscription gets SNS's envelope, its Message the JSON document (MessageStructure json, "sqs" variant).
    const findings = await findingsIn(fixture.findings.queue);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.envelope).toMatchObject({ Type: 'Notification', TopicArn: fixture.findings.topicArn });
    expect(finding?.envelope.MessageAttributes?.['kind']).toMatchObject({ Value: 'object-alerts' });
    expect(finding?.document.kind).toBe('object-alerts');
    const alerts = [...(finding?.document.alerts ?? [])].sort((a, b) => a.key.localeCompare(b.key));
    const alerted = [noncompliantPlain, noncompliantKms].sort((a, b) => a.key.localeCompare(b.key));
    expect(alerts).toEqual(alerted.map((object) => expect.objectContaining({ bucket, key: object.key, outcome: 'skipped', reason: 'report-only' })));
    expect(alerts.find((alert) => alert.key === noncompliantKms.key)?.encryption).toContain(fixture.keys.other);

    const raw = await rawInbox.drain();
    expect(raw).toHaveLength(1);
    expect(JSON.parse(raw[0]?.body ?? 'null')).toEqual(finding?.document);
  });

  it('reports from a direct invocation too, without throwing', async () => {
    const bucket = await fixture.createBucket('enforcer-report-direct', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const object = await uploadSample(clients.s3, sampleObject(bucket, awkwardKey('report', 'sse-s3 direct'), 'sse-s3'), fixture.keys);
    await notifications.direct.drain();
    const before = await snapshotObject(clients.s3, bucket, object.key);

    const run = await fixture.run(
      eventBridgeObjectCreated({ bucket, key: object.key, size: object.body.length, eTag: object.eTag, versionId: object.versionId }),
      REPORT,
    );

    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({ processed: 1 });
    expect(await objectCreatedNotices(notifications.direct)).toEqual([]);
    expect(await snapshotObject(clients.s3, bucket, object.key)).toEqual(before);
    const findings = await findingsIn(fixture.findings.queue);
    expect(findings.flatMap((finding) => finding.document.alerts)).toEqual([
      expect.objectContaining({ bucket, key: object.key, reason: 'report-only', encryption: 'sse-s3' }),
    ]);
  });
});
