import { describe, expect, it } from 'vitest';
import { type EnforcerFixture, type BucketNotifications } from './support/enforcer-fixture.js';
import type { BundleRun } from './support/invoke-bundle.js';
import { eventBridgeObjectCreated, snsEnvelopeOf, snsEvent, sqsEvent } from './support/lambda-events.js';
import type { MotoClients } from './support/moto-clients.js';
import { grantsOf, snapshotObject, versionsOf, type ObjectSnapshot } from './support/object-snapshot.js';
import {
  failedMessageIds,
  findingsIn,
  logLinesFor,
  objectCreatedNotices,
  residualVersionAlert,
  type ObjectAlert,
} from './support/observations.js';
import {
  ENCRYPTION_CLASSES,
  EXPECTED_OUTCOME,
  awkwardKey,
  sampleObject,
  uploadSample,
  type EncryptionClass,
  type KeyArns,
  type UploadedObject,
} from './support/sample-objects.js';
import { useEnforcerTier } from './support/enforcer-tier.js';
import { createTestQueue } from './support/sqs-queue.js';

let clients: MotoClients;
let fixture: EnforcerFixture;

useEnforcerTier((tier) => ({ clients, fixture } = tier));

/** The answer of a direct (non-SQS) invocation: no error, every object processed. */
const expectProcessed = (run: BundleRun, count: number): void => {
  expect(run.error, run.stderr).toBeUndefined();
  expect(run.result).toEqual({ processed: count });
};

interface DeliveryContext {
  readonly bucket: string;
  readonly notifications: BucketNotifications;
  readonly uploaded: readonly UploadedObject[];
}

interface DeliveryCase {
  readonly name: string;
  readonly versioned: boolean;
  /** Hands the uploads' events to the bundle the way this source does; asserts each answer. */
  deliver(context: DeliveryContext): Promise<BundleRun[]>;
}

const DELIVERIES: readonly DeliveryCase[] = [
  {
    name: 'S3 notifications invoking the function directly',
    versioned: false,
    async deliver({ notifications, uploaded }) {
      const messages = await notifications.direct.drain();
      expect(messages).toHaveLength(uploaded.length);
      const runs: BundleRun[] = [];
      // S3 invokes a function with one record per event.
      for (const message of messages) {
        const run = await fixture.run(JSON.parse(message.body));
        expectProcessed(run, 1);
        runs.push(run);
      }
      return runs;
    },
  },
  {
    name: 'S3 notifications through SQS',
    versioned: true,
    async deliver({ notifications, uploaded }) {
      const messages = await notifications.direct.drain();
      expect(messages).toHaveLength(uploaded.length);
      const run = await fixture.run(sqsEvent(notifications.direct.arn, messages));
      expect(failedMessageIds(run)).toEqual([]);
      return [run];
    },
  },
  {
    name: 'EventBridge "Object Created" events invoking the function directly',
    versioned: true,
    async deliver({ bucket, notifications, uploaded }) {
      await notifications.direct.drain();
      const runs: BundleRun[] = [];
      for (const object of uploaded) {
        const run = await fixture.run(
          eventBridgeObjectCreated({ bucket, key: object.key, size: object.body.length, eTag: object.eTag, versionId: object.versionId }),
        );
        expectProcessed(run, 1);
        runs.push(run);
      }
      return runs;
    },
  },
  {
    name: 'EventBridge "Object Created" events through SQS',
    versioned: false,
    async deliver({ bucket, notifications, uploaded }) {
      await notifications.direct.drain();
      const queue = await createTestQueue(clients.sqs, 'eventbridge-target');
      for (const object of uploaded) {
        await queue.send(JSON.stringify(eventBridgeObjectCreated({ bucket, key: object.key, size: object.body.length, eTag: object.eTag })));
      }
      const messages = await queue.drain();
      expect(messages).toHaveLength(uploaded.length);
      const run = await fixture.run(sqsEvent(queue.arn, messages));
      expect(failedMessageIds(run)).toEqual([]);
      return [run];
    },
  },
  {
    name: 'S3 notifications through SNS invoking the function',
    versioned: true,
    async deliver({ notifications, uploaded }) {
      await notifications.direct.drain();
      const messages = await notifications.viaSns.drain();
      expect(messages).toHaveLength(uploaded.length);
      const runs: BundleRun[] = [];
      for (const message of messages) {
        const run = await fixture.run(snsEvent(snsEnvelopeOf(message)));
        expectProcessed(run, 1);
        runs.push(run);
      }
      return runs;
    },
  },
  {
    name: 'S3 notifications through SNS, then SQS',
    versioned: false,
    async deliver({ notifications, uploaded }) {
      await notifications.direct.drain();
      const messages = await notifications.viaSns.drain();
      expect(messages).toHaveLength(uploaded.length);
      const run = await fixture.run(sqsEvent(notifications.viaSns.arn, messages));
      expect(failedMessageIds(run)).toEqual([]);
      return [run];
    },
  },
];

/** The encryption the enforcer must leave on an object of each class. */
const expectedEncryptionAfter = (encryptionClass: EncryptionClass, keys: KeyArns, before: ObjectSnapshot): ObjectSnapshot['encryption'] => {
  if (EXPECTED_OUTCOME[encryptionClass] === 'compliant') return before.encryption;
  // Never downgraded: DSSE-KMS stays DSSE-KMS (which has no bucket key), only the key changes.
  if (encryptionClass === 'dsse-other') return { serverSideEncryption: 'aws:kms:dsse', kmsKeyId: keys.required, bucketKeyEnabled: undefined };
  return { serverSideEncryption: 'aws:kms', kmsKeyId: keys.required, bucketKeyEnabled: true };
};

/** What the log line says the object was before: enough to tell the classes apart. */
const beforeInLog = (encryptionClass: EncryptionClass, keys: KeyArns): RegExp => {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  switch (encryptionClass) {
    case 'none':
      return /unencrypted/;
    case 'sse-s3':
      return /sse-s3/;
    case 'sse-kms-other':
      return new RegExp(`^sse-kms\\(${escaped(keys.other)}`);
    case 'sse-kms-required':
      return new RegExp(`^sse-kms\\(${escaped(keys.required)}`);
    case 'dsse-other':
      return new RegExp(`^dsse-kms\\(${escaped(keys.other)}`);
    case 'dsse-required':
      return new RegExp(`^dsse-kms\\(${escaped(keys.required)}`);
  }
};

describe('enforce-object-encryption bundle: objects of every class, from every event source', () => {
  it.each(DELIVERIES)('$name: brings every object under the required key, keeping bytes, headers and tags', async (delivery) => {
    const bucket = await fixture.createBucket(delivery.versioned ? 'enforcer-matrix-versioned' : 'enforcer-matrix-plain', {
      versioned: delivery.versioned,
    });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const uploaded: UploadedObject[] = [];
    for (const encryptionClass of ENCRYPTION_CLASSES) {
      uploaded.push(await uploadSample(clients.s3, sampleObject(bucket, awkwardKey(encryptionClass, encryptionClass), encryptionClass), fixture.keys));
    }
    const before = new Map<string, { snapshot: ObjectSnapshot; versions: string[] }>();
    for (const object of uploaded) {
      before.set(object.key, { snapshot: await snapshotObject(clients.s3, bucket, object.key), versions: await versionsOf(clients.s3, bucket, object.key) });
    }

    const runs = await delivery.deliver({ bucket, notifications, uploaded });

    // The writes S3 saw: one copy for each object that needed one, none for the others.
    const writes = await objectCreatedNotices(notifications.direct);
    const remediatedKeys = uploaded.filter((object) => EXPECTED_OUTCOME[object.encryptionClass] === 'remediated').map((object) => object.key);
    expect(writes.map((write) => `${write.eventName} ${write.key}`).sort()).toEqual(remediatedKeys.map((key) => `ObjectCreated:Copy ${key}`).sort());
    const expectedAlerts: ObjectAlert[] = [];

    for (const object of uploaded) {
      const was = before.get(object.key);
      if (!was) throw new Error(`no snapshot of ${object.key}`);
      const now = await snapshotObject(clients.s3, bucket, object.key);
      const expected = EXPECTED_OUTCOME[object.encryptionClass];
      const where = `${object.encryptionClass}: ${object.key}`;

      expect(now.encryption, where).toEqual(expectedEncryptionAfter(object.encryptionClass, fixture.keys, was.snapshot));
      expect(now.sha256, where).toBe(was.snapshot.sha256);
      expect(now.headers, where).toEqual(was.snapshot.headers);
      expect(now.tags, where).toEqual(was.snapshot.tags);
      // Not vacuous: the upload really carried metadata and tags.
      expect(now.tags.length, where).toBe(3);
      expect(was.snapshot.headers.metadata, where).toMatchObject({ owner: 'data-platform' });

      if (delivery.versioned) {
        const versions = await versionsOf(clients.s3, bucket, object.key);
        if (expected === 'compliant') {
          expect(versions, where).toEqual(was.versions);
          expect(now.versionId, where).toBe(was.snapshot.versionId);
        } else {
          expect(versions, where).toHaveLength(was.versions.length + 1);
          expect(versions, where).toEqual(expect.arrayContaining(was.versions));
          expect(now.versionId, where).not.toBe(was.snapshot.versionId);
        }
      }

      // One log line per object, naming it and its encryption before and after.
      const lines = runs.flatMap((run) => logLinesFor(run, bucket, object.key));
      expect(lines, where).toHaveLength(1);
      const [line] = lines;
      expect(line?.outcome, where).toBe(expected);
      expect(line?.before, where).toMatch(beforeInLog(object.encryptionClass, fixture.keys));
      expect(line?.after, where).toContain(expected === 'compliant' ? (was.snapshot.encryption.kmsKeyId ?? '') : fixture.keys.required);
      if (object.encryptionClass.startsWith('dsse')) expect(line?.after, where).toMatch(/^dsse-kms\(/);

      // In a versioned bucket the copy leaves the version it was made from; under the default
      // POLICY.priorVersions "retain" a low-severity finding names that version and the new one.
      if (delivery.versioned && expected === 'remediated') {
        if (!was.snapshot.versionId || !now.versionId) throw new Error(`${where}: a versioned bucket answered without version ids`);
        expectedAlerts.push(
          residualVersionAlert({ bucket, key: object.key, residualVersionId: was.snapshot.versionId, newVersionId: now.versionId, encryption: line?.before }),
        );
      }
    }

    // Never the object bytes in a log.
    for (const run of runs) {
      const everything = JSON.stringify(run.logs) + run.stderr;
      for (const object of uploaded) expect(everything).not.toContain(object.bodyMarker);
    }
    // Nothing for anyone to act on but, in a versioned bucket, the residual versions: exactly one
    // low-severity finding per remediated object, none for a compliant one.
    const findings = await findingsIn(fixture.findings.queue);
    const byKey = (a: ObjectAlert, b: ObjectAlert) => a.key.localeCompare(b.key);
    expect(findings.flatMap((finding) => finding.document.alerts).sort(byKey)).toEqual(expectedAlerts.sort(byKey));
    expect(expectedAlerts).toHaveLength(delivery.versioned ? remediatedKeys.length : 0);
    for (const finding of findings) {
      expect(finding.envelope.MessageAttributes).toMatchObject({ severity: { Value: 'low' }, reasons: { Value: 'residual-version' } });
    }
  });
});

describe('enforce-object-encryption bundle: what a copy-in-place must carry over besides bytes, headers and tags', () => {
  const remediateOne = async (bucket: string, key: string, notifications: BucketNotifications): Promise<void> => {
    const messages = await notifications.direct.drain();
    expect(messages).toHaveLength(1);
    const run = await fixture.run(sqsEvent(notifications.direct.arn, messages));
    expect(failedMessageIds(run)).toEqual([]);
    expect(logLinesFor(run, bucket, key).map((line) => line.outcome)).toEqual(['remediated']);
  };

  it('keeps the storage class and the website redirect location', async () => {
    const bucket = await fixture.createBucket('enforcer-carry-over', { versioned: true });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = awkwardKey('infrequent', 'redirected');
    await uploadSample(clients.s3, sampleObject(bucket, key, 'none'), fixture.keys, {
      StorageClass: 'STANDARD_IA',
      WebsiteRedirectLocation: '/elsewhere/index.html',
    });
    const before = await snapshotObject(clients.s3, bucket, key);
    expect(before.headers.storageClass).toBe('STANDARD_IA');

    await remediateOne(bucket, key, notifications);

    const after = await snapshotObject(clients.s3, bucket, key);
    expect(after.encryption).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: fixture.keys.required, bucketKeyEnabled: true });
    expect(after.headers).toEqual(before.headers);
    expect(after.sha256).toBe(before.sha256);
  });

  it('keeps the object ACL where ACLs are in use (CopyObject alone resets it to private)', async () => {
    // Object Ownership "ObjectWriter": ACLs are enabled, so a copy that does not re-apply them loses them.
    const bucket = await fixture.createBucket('enforcer-acl-kept', { versioned: true, objectOwnership: 'ObjectWriter' });
    const notifications = await fixture.notifyOnObjectCreated(bucket);
    const key = awkwardKey('public', 'shared with everyone');
    await uploadSample(clients.s3, sampleObject(bucket, key, 'sse-s3'), fixture.keys, { ACL: 'public-read' });
    const grantsBefore = await grantsOf(clients.s3, bucket, key);
    expect(grantsBefore).toContainEqual(expect.stringContaining('AllUsers:READ'));

    await remediateOne(bucket, key, notifications);

    const after = await snapshotObject(clients.s3, bucket, key);
    expect(after.encryption.kmsKeyId).toBe(fixture.keys.required);
    expect(await grantsOf(clients.s3, bucket, key)).toEqual(grantsBefore);
  });
});
