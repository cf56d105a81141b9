import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObjectClassification, ObjectInspection, ObjectSnapshot, StorageState } from '../../shared/core/classify-object.js';
import { decideObjectAction, type EnforcementMode } from '../../shared/core/decide-object-action.js';
import { decodeS3Key, encodeS3Key } from '../../shared/core/decode-s3-key.js';
import { encryptionFromHeaders, type EncryptionState } from '../../shared/core/encryption-state.js';
import { normaliseEvent } from '../../shared/core/normalise-event.js';
import type { ObjectRequirement } from '../../shared/core/object-requirement.js';
import type { Notification } from '../../shared/ports/notification-publisher.js';
import type { CopyInPlaceRequest, CopyInPlaceResult, MultipartCopyRequest, ObjectStore, UpdateInPlaceResult } from '../../shared/ports/object-store.js';
import type { EncryptionTarget } from '../../shared/core/decide-object-action.js';
import { enforceInvocation, type InvocationDependencies } from '../../functions/enforce-object-encryption/enforce-invocation.js';
import { UpdateCapability } from '../../functions/enforce-object-encryption/update-capability.js';
import { eventBridgeObjectCreated, s3Notification, s3Record, sqsEvent, sqsMessage } from '../fixtures/events.js';

const keyArn = (n: number) => `arn:aws:kms:us-east-1:123456789012:key/${String(n).padStart(8, '0')}-1111-2222-3333-444444444444`;
const REQUIRED = keyArn(1);

const arbKeyArn = fc.constantFrom(keyArn(1), keyArn(2), keyArn(11), `${keyArn(1)}x`, undefined);
const arbEncryption: fc.Arbitrary<EncryptionState> = fc.oneof(
  fc.constant<EncryptionState>({ kind: 'unencrypted' }),
  fc.constant<EncryptionState>({ kind: 'sse-s3' }),
  fc.record({ kind: fc.constant('sse-kms' as const), keyArn: arbKeyArn, bucketKeyEnabled: fc.boolean() }),
  fc.record({ kind: fc.constant('dsse-kms' as const), keyArn: arbKeyArn }),
  fc.constant<EncryptionState>({ kind: 'sse-c' }),
);
const arbStorage: fc.Arbitrary<StorageState> = fc.oneof(
  fc.record({ kind: fc.constant('online' as const), storageClass: fc.constantFrom('STANDARD', 'STANDARD_IA', 'GLACIER_IR') }),
  fc.record({ kind: fc.constant('archived' as const), storageClass: fc.constantFrom('GLACIER', 'DEEP_ARCHIVE'), restored: fc.boolean() }),
);
const arbClassification: fc.Arbitrary<Extract<ObjectClassification, { kind: 'stored' }>> = fc.record({
  kind: fc.constant('stored' as const),
  encryption: arbEncryption,
  storage: arbStorage,
  sizeBytes: fc.option(fc.nat({ max: 6 * 1024 ** 3 }), { nil: undefined }),
});
const arbRequirement: fc.Arbitrary<Extract<ObjectRequirement, { kind: 'required' }>> = fc.record({
  kind: fc.constant('required' as const),
  keyArn: fc.constantFrom(keyArn(1), keyArn(2)),
  bucketKey: fc.boolean(),
  acceptDsseKms: fc.boolean(),
});
const arbMode = fc.constantFrom<EnforcementMode>('enforce', 'report');

/** What S3 reports of an object's encryption: its headers, or that it says nothing without the customer's key. */
interface ReportedEncryption {
  readonly serverSideEncryption?: string | undefined;
  readonly kmsKeyId?: string | undefined;
  readonly customerKey?: boolean | undefined;
}

/**
 * Compliance as README.md states it ("How remediation works", step 3, and POLICY.acceptDsseKms), written here rather than
 * taken from the code under test: only an object under exactly the required key ARN can be compliant, and then only as
 * below. SSE-S3, another key or aws/s3, no encryption and SSE-C never are.
 */
const COMPLIANT_UNDER_REQUIRED_KEY: readonly { readonly algorithm: string; readonly acceptDsseKms: boolean; readonly compliant: boolean }[] = [
  { algorithm: 'aws:kms', acceptDsseKms: true, compliant: true },
  { algorithm: 'aws:kms', acceptDsseKms: false, compliant: true },
  { algorithm: 'aws:kms:dsse', acceptDsseKms: true, compliant: true },
  { algorithm: 'aws:kms:dsse', acceptDsseKms: false, compliant: false },
];

interface Policy {
  readonly keyArn: string;
  readonly acceptDsseKms: boolean;
}

const compliantByReadme = (object: ReportedEncryption, policy: Policy): boolean =>
  object.customerKey !== true &&
  object.kmsKeyId === policy.keyArn &&
  COMPLIANT_UNDER_REQUIRED_KEY.some((row) => row.algorithm === object.serverSideEncryption && row.acceptDsseKms === policy.acceptDsseKms && row.compliant);

/** Re-encrypting it would have to be DSSE-KMS again (never a downgrade), which this policy does not accept either. */
const dsseRefused = (object: ReportedEncryption, policy: Policy): boolean => object.serverSideEncryption === 'aws:kms:dsse' && !policy.acceptDsseKms;

/** The headers S3 reports for a generated encryption state. */
const reportedAs = (encryption: EncryptionState): ReportedEncryption => {
  switch (encryption.kind) {
    case 'unencrypted':
      return {};
    case 'sse-s3':
      return { serverSideEncryption: 'AES256' };
    case 'sse-kms':
      return { serverSideEncryption: 'aws:kms', kmsKeyId: encryption.keyArn };
    case 'dsse-kms':
      return { serverSideEncryption: 'aws:kms:dsse', kmsKeyId: encryption.keyArn };
    case 'sse-c':
      return { customerKey: true };
    case 'unrecognised':
      return { serverSideEncryption: encryption.algorithm };
  }
};

/** The encryption an object was left with, to compare before and after. */
const encryptionOf = (object: ReportedEncryption | undefined): ReportedEncryption => ({
  serverSideEncryption: object?.serverSideEncryption,
  kmsKeyId: object?.kmsKeyId,
  customerKey: object?.customerKey,
});

interface PublishedAlert {
  readonly key: string;
  readonly reason: string;
}

/** The alerts of a findings message, from the JSON document README.md describes. */
const alertsIn = (notification: Notification): readonly PublishedAlert[] => (notification.document as { alerts: readonly PublishedAlert[] }).alerts;

describe('decision invariants', () => {
  it('a remediated object always decides compliant afterwards', () => {
    fc.assert(
      fc.property(arbClassification, arbRequirement, (classification, requirement) => {
        const action = decideObjectAction({ classification, requirement, mode: 'enforce', copyLimitBytes: 5 * 1024 ** 3, strategy: 'auto', updateAvailable: true });
        if (action.kind !== 'remediate') return;
        expect(compliantByReadme({ serverSideEncryption: action.target.algorithm, kmsKeyId: action.target.keyArn }, requirement)).toBe(true);
        const after = encryptionFromHeaders({
          serverSideEncryption: action.target.algorithm,
          kmsKeyId: action.target.keyArn,
          bucketKeyEnabled: action.target.bucketKeyEnabled,
        });
        const again = decideObjectAction({ classification: { ...classification, encryption: after }, requirement, mode: 'enforce', copyLimitBytes: 5 * 1024 ** 3 });
        expect(again).toEqual({ kind: 'compliant' });
      }),
      { numRuns: 2000 },
    );
  });

  it('decides compliant exactly what the README calls compliant, which never gets a write, whatever its storage, size or the mode', () => {
    fc.assert(
      fc.property(arbClassification, arbRequirement, arbMode, (classification, requirement, mode) => {
        const action = decideObjectAction({ classification, requirement, mode, copyLimitBytes: 5 * 1024 ** 3 });
        if (compliantByReadme(reportedAs(classification.encryption), requirement)) expect(action).toEqual({ kind: 'compliant' });
        else expect(action.kind).not.toBe('compliant');
        if (mode === 'report') expect(action.kind).not.toBe('remediate');
      }),
      { numRuns: 2000 },
    );
  });

  it('never downgrades DSSE-KMS to single-layer encryption; where the policy does not accept it, alerts instead', () => {
    fc.assert(
      fc.property(arbClassification, arbRequirement, arbMode, (classification, requirement, mode) => {
        const action = decideObjectAction({ classification, requirement, mode, copyLimitBytes: 5 * 1024 ** 3 });
        if (action.kind === 'remediate' && classification.encryption.kind === 'dsse-kms') {
          expect(action.target.algorithm).toBe('aws:kms:dsse');
        }
        if (dsseRefused(reportedAs(classification.encryption), requirement)) {
          expect(action).toMatchObject({ kind: 'alert', reason: 'dsse-not-accepted' });
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('key decoding', () => {
  it('round-trips every key S3 can encode, unicode included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), (key) => {
        expect(decodeS3Key(encodeS3Key(key))).toEqual({ ok: true, key });
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the key of any notification record the way it was written', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }), (key) => {
        const event = sqsEvent(sqsMessage('m', s3Notification(s3Record({ key: encodeS3Key(key) }))));
        expect(normaliseEvent(event).deliveries[0]?.objects[0]?.key).toBe(key);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws, whatever arrives, and leaves nothing that arrived unaccounted for', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: false }), (value) => {
        const result = normaliseEvent(value);
        // Each delivery is an object to enforce, a rejection that fails it, or a notice acknowledged with a reason.
        for (const delivery of result.deliveries) {
          expect(delivery.objects.length + delivery.rejections.length + delivery.ignored.length, delivery.id).toBeGreaterThan(0);
          for (const notice of [...delivery.rejections, ...delivery.ignored]) expect(notice.reason, delivery.id).not.toBe('');
        }
        const fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
        // Anything that is not a list of records or tasks is one delivery.
        if (!Array.isArray(fields['Records']) && !Array.isArray(fields['tasks'])) expect(result.deliveries).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.string()), (bodies) => {
        const result = normaliseEvent(sqsEvent(...bodies.map((body, index) => ({ messageId: `m${index}`, body }))));
        expect(result.deliveries).toHaveLength(bodies.length);
      }),
      { numRuns: 500 },
    );
  });
});

/** A bucket in memory that honours the copy's guards the way S3 does. */
class InMemoryBucket implements ObjectStore {
  readonly objects = new Map<string, ObjectSnapshot & { customerKey?: boolean }>();
  writes = 0;
  private version = 0;
  async inspect(_bucket: string, key: string): Promise<ObjectInspection> {
    const object = this.objects.get(key);
    if (!object) return { kind: 'not-found' };
    if (object.customerKey) return { kind: 'customer-key-required' };
    return { kind: 'found', object };
  }
  async multipartCopyInPlace(request: MultipartCopyRequest): Promise<CopyInPlaceResult> {
    return this.copyInPlace(request);
  }
  async updateEncryptionInPlace(_bucket: string, key: string, versionId: string | undefined, target: EncryptionTarget): Promise<UpdateInPlaceResult> {
    const current = this.objects.get(key);
    if (!current) return { kind: 'gone' };
    const kind = encryptionFromHeaders(current).kind;
    if (kind !== 'sse-s3' && kind !== 'sse-kms') return { kind: 'unsupported', code: 'InvalidRequest', endpointWide: false };
    if (current.versionId !== versionId) return { kind: 'gone' };
    this.writes += 1;
    this.objects.set(key, { ...current, serverSideEncryption: 'aws:kms', kmsKeyId: target.keyArn, bucketKeyEnabled: target.bucketKeyEnabled });
    return { kind: 'updated' };
  }
  async aclMode() {
    return 'acls-disabled' as const;
  }
  async readAcl() {
    return [];
  }
  async readTags() {
    return {};
  }
  async deleteVersion() {
    throw new Error('not expected: prior versions are retained');
  }
  async copyInPlace({ key, source, target }: CopyInPlaceRequest): Promise<CopyInPlaceResult> {
    const current = this.objects.get(key);
    if (!current) return { kind: 'gone' };
    if (current.eTag !== source.eTag || current.versionId !== source.versionId) return { kind: 'superseded' };
    this.writes += 1;
    const next = { ...current, versionId: `v${++this.version}`, serverSideEncryption: target.algorithm, kmsKeyId: target.keyArn, bucketKeyEnabled: target.bucketKeyEnabled };
    this.objects.set(key, next);
    return { kind: 'copied', versionId: next.versionId, encryption: encryptionFromHeaders(next) };
  }
}

const arbHeaders: fc.Arbitrary<{ serverSideEncryption?: string; kmsKeyId?: string; customerKey?: boolean }> = fc.oneof(
  fc.constant({}),
  fc.constant({ serverSideEncryption: 'AES256' }),
  fc.record({ serverSideEncryption: fc.constant('aws:kms'), kmsKeyId: fc.constantFrom(keyArn(1), keyArn(2)) }),
  fc.record({ serverSideEncryption: fc.constant('aws:kms:dsse'), kmsKeyId: fc.constantFrom(keyArn(1), keyArn(2)) }),
  fc.constant({ customerKey: true }),
);

/** Keys made of the characters whose spelling differs between an encoded and a stored key. */
const arbAwkwardKey = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '+', '%', ':', '/', '2', 'B', '0', 'é', '日', '🔑'), minLength: 1, maxLength: 16 });

interface Run {
  readonly mode: EnforcementMode;
  readonly acceptDsseKms: boolean;
  readonly strategy: InvocationDependencies['strategy'];
  readonly updateAvailable: boolean;
  readonly concurrency: number;
}

/** The enforce function's dependencies over one bucket in memory; every alert it publishes is kept in `alerts`. */
const invocationDeps = (bucket: InMemoryBucket, run: Run, alerts: PublishedAlert[]): InvocationDependencies => ({
  store: bucket,
  requirementOf: () => ({ kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: run.acceptDsseKms }),
  mode: run.mode,
  copyLimitBytes: 5 * 1024 ** 3,
  strategy: run.strategy,
  priorVersions: 'retain',
  update: new UpdateCapability(run.updateAvailable),
  multipart: { partBytes: 5 * 1024 ** 2, concurrency: 2 },
  remainingTimeMs: () => 600_000,
  clock: () => new Date('2026-11-22T00:00:00Z'),
  alerts: {
    publish: async (notification) => {
      alerts.push(...alertsIn(notification));
    },
  },
  recorder: { objectHandled: () => undefined, recordRejected: () => undefined, noticeIgnored: () => undefined, alertsNotPublished: () => undefined, updateRefused: () => undefined },
  concurrency: run.concurrency,
  functionName: 'enforce-object-encryption',
  now: () => 0,
});

describe('every object an event names ends compliant, whichever way its key was spelled', () => {
  it('EventBridge events and Batch Operations tasks, keys as stored or URL-encoded, beside keys that are the encoded form of each other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(arbAwkwardKey, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.array(arbHeaders, { minLength: 1, maxLength: 12 }),
        fc.array(fc.record({ index: fc.nat(), encoded: fc.boolean(), path: fc.constantFrom('eventbridge', 'batch-operations') }), { minLength: 1, maxLength: 6 }),
        arbMode,
        fc.boolean(),
        async (stored, withEncodedTwins, encryptions, named, mode, acceptDsseKms) => {
          const policy: Policy = { keyArn: REQUIRED, acceptDsseKms };
          // An existing key that is the encoded form of another existing key: `a b` beside `a+b`.
          const keys = withEncodedTwins ? [...new Set([...stored, ...stored.map(encodeS3Key)])] : stored;
          const bucket = new InMemoryBucket();
          keys.forEach((key, index) => bucket.objects.set(key, { eTag: `"e${index}"`, versionId: `orig${index}`, sizeBytes: 1, ...encryptions[index % encryptions.length] }));
          const before = new Map([...bucket.objects].map(([key, object]) => [key, { ...object }]));
          const notices = named.map(({ index, encoded, path }) => {
            const key = keys[index % keys.length] as string;
            // A manifest's key that is not URL encoding at all is malformed (a rejected task): sent encoded.
            const sentAsStored = !encoded && (path === 'eventbridge' || decodeS3Key(key).ok);
            return { key, text: sentAsStored ? key : encodeS3Key(key), path };
          });
          const eventBridge = notices.filter((notice) => notice.path === 'eventbridge');
          const tasks = notices.filter((notice) => notice.path === 'batch-operations');
          const alerts: PublishedAlert[] = [];
          const deps = invocationDeps(bucket, { mode, acceptDsseKms, strategy: 'copy', updateAvailable: false, concurrency: 4 }, alerts);
          if (eventBridge.length > 0) {
            const event = sqsEvent(...eventBridge.map(({ text }, index) => sqsMessage(`m${index}`, eventBridgeObjectCreated({ bucket: 'b', key: text }))));
            const report = await enforceInvocation(event, deps);
            expect(report.failedDeliveries).toEqual([]);
            expect(report.deliveries.flatMap((delivery) => delivery.rejections)).toEqual([]);
          }
          if (tasks.length > 0) {
            const event = {
              invocationSchemaVersion: '2.0',
              invocationId: 'i',
              tasks: tasks.map(({ text }, index) => ({ taskId: `t${index}`, s3Key: text, s3VersionId: null, s3Bucket: 'b' })),
            };
            const report = await enforceInvocation(event, deps);
            expect(report.failedDeliveries).toEqual([]);
            // Every task's answer names an object it found: none ends as `gone`.
            expect(report.handled.filter(({ outcome }) => outcome.kind === 'skipped' && outcome.reason === 'gone')).toEqual([]);
          }
          if (mode === 'report') expect(bucket.writes).toBe(0);
          for (const { key, text, path } of notices) {
            const was: ReportedEncryption = before.get(key) ?? {};
            const now = bucket.objects.get(key);
            const where = `${key} named as ${text} (${mode}, acceptDsseKms ${acceptDsseKms})`;
            if (compliantByReadme(was, policy)) {
              expect(now, where).toEqual(was);
            } else if (mode === 'report' || was.customerKey === true || dsseRefused(was, policy)) {
              expect(encryptionOf(now), where).toEqual(encryptionOf(was));
              // Batch Operations tasks are answered in the job's completion report instead.
              if (path === 'eventbridge') expect(alerts.map((alert) => alert.key), where).toContain(key);
            } else {
              expect(compliantByReadme(now ?? {}, policy), where).toBe(true);
            }
          }
          for (const [key, was] of before) if (compliantByReadme(was, policy)) expect(alerts.map((alert) => alert.key), key).not.toContain(key);
          // Only objects some spelling of a notice names are written: nothing else in the bucket.
          const named_ = new Set(notices.flatMap(({ key, text }) => [key, text, decodeOrSelf(text)]));
          for (const [key, object] of bucket.objects) if (!named_.has(key)) expect(object, key).toEqual(before.get(key));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

const decodeOrSelf = (text: string): string => {
  const decoded = decodeS3Key(text);
  return decoded.ok ? decoded.key : text;
};

describe('enforcement over a bucket', () => {
  it('leaves every object it can reach under the required key, writes each at most once, reports the rest, and a replay writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), arbHeaders), { selector: ([key]) => key, maxLength: 30 }),
        fc.record({
          concurrency: fc.integer({ min: 1, max: 8 }),
          strategy: fc.constantFrom('auto', 'update', 'copy' as const),
          updateAvailable: fc.boolean(),
          mode: arbMode,
          acceptDsseKms: fc.boolean(),
        }),
        async (objects, run) => {
          const policy: Policy = { keyArn: REQUIRED, acceptDsseKms: run.acceptDsseKms };
          const bucket = new InMemoryBucket();
          objects.forEach(([key, headers], index) => bucket.objects.set(key, { eTag: `"e${index}"`, versionId: `orig${index}`, sizeBytes: 1, ...headers }));
          const event = sqsEvent(...objects.map(([key], index) => sqsMessage(`m${index}`, s3Notification(s3Record({ key: encodeS3Key(key) })))));
          const alerts: PublishedAlert[] = [];
          const deps = invocationDeps(bucket, run, alerts);
          const first = await enforceInvocation(event, deps);
          expect(first.failedDeliveries).toEqual([]);
          // Update in place takes SSE-S3 and SSE-KMS objects only; under strategy "update" the others are reported and left as they are.
          const updatable = (headers: ReportedEncryption): boolean => headers.serverSideEncryption === 'AES256' || headers.serverSideEncryption === 'aws:kms';
          const reachable = (headers: ReportedEncryption): boolean => {
            if (run.mode === 'report' || headers.customerKey === true || dsseRefused(headers, policy)) return false;
            return run.strategy !== 'update' || (run.updateAvailable && updatable(headers));
          };
          const needed = objects.filter(([, headers]) => reachable(headers) && !compliantByReadme(headers, policy)).length;
          if (run.mode === 'report') expect(needed).toBe(0);
          expect(bucket.writes).toBe(needed);
          const alerted = alerts.map((alert) => alert.key);
          for (const [key, headers] of objects) {
            const after = bucket.objects.get(key);
            if (reachable(headers)) expect(compliantByReadme(after ?? {}, policy), key).toBe(true);
            else expect(encryptionOf(after), key).toEqual(encryptionOf(headers));
            // Whatever is left non-compliant is reported; nothing compliant is.
            if (compliantByReadme(headers, policy)) expect(alerted, key).not.toContain(key);
            else if (!reachable(headers)) expect(alerted, key).toContain(key);
            if (dsseRefused(headers, policy) && headers.kmsKeyId === REQUIRED) {
              expect(alerts, key).toContainEqual(expect.objectContaining({ key, reason: 'dsse-not-accepted' }));
            }
          }
          await enforceInvocation(event, deps);
          expect(bucket.writes).toBe(needed);
        },
      ),
      { numRuns: 300 },
    );
  });
});
