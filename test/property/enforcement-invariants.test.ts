import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObjectClassification, ObjectInspection, ObjectSnapshot, StorageState } from '../../shared/core/classify-object.js';
import { decideObjectAction, isCompliant, type EnforcementMode } from '../../shared/core/decide-object-action.js';
import { decodeS3Key, encodeS3Key } from '../../shared/core/decode-s3-key.js';
import { encryptionFromHeaders, type EncryptionState } from '../../shared/core/encryption-state.js';
import { normaliseEvent } from '../../shared/core/normalise-event.js';
import type { ObjectRequirement } from '../../shared/core/object-requirement.js';
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

describe('decision invariants', () => {
  it('a remediated object always decides compliant afterwards', () => {
    fc.assert(
      fc.property(arbClassification, arbRequirement, (classification, requirement) => {
        const action = decideObjectAction({ classification, requirement, mode: 'enforce', copyLimitBytes: 5 * 1024 ** 3, strategy: 'auto', updateAvailable: true });
        if (action.kind !== 'remediate') return;
        const after = encryptionFromHeaders({
          serverSideEncryption: action.target.algorithm,
          kmsKeyId: action.target.keyArn,
          bucketKeyEnabled: action.target.bucketKeyEnabled,
        });
        const again = decideObjectAction({ classification: { ...classification, encryption: after }, requirement, mode: 'enforce', copyLimitBytes: 5 * 1024 ** 3 });
        if (after.kind === 'dsse-kms' && !requirement.acceptDsseKms) {
          expect(again.kind).toBe('alert');
        } else {
          expect(again).toEqual({ kind: 'compliant' });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('an object already under the required key never gets a write, whatever its storage, size or the mode', () => {
    fc.assert(
      fc.property(arbClassification, arbRequirement, arbMode, (classification, requirement, mode) => {
        const action = decideObjectAction({ classification, requirement, mode, copyLimitBytes: 5 * 1024 ** 3 });
        if (isCompliant(classification.kind === 'stored' ? classification.encryption : { kind: 'unencrypted' }, requirement)) {
          expect(action).toEqual({ kind: 'compliant' });
        }
        if (mode === 'report') expect(action.kind).not.toBe('remediate');
      }),
      { numRuns: 2000 },
    );
  });

  it('never downgrades DSSE-KMS to single-layer encryption', () => {
    fc.assert(
      fc.property(arbClassification, arbRequirement, (classification, requirement) => {
        const action = decideObjectAction({ classification, requirement, mode: 'enforce', copyLimitBytes: 5 * 1024 ** 3 });
        if (action.kind === 'remediate' && classification.kind === 'stored' && classification.encryption.kind === 'dsse-kms') {
          expect(action.target.algorithm).toBe('aws:kms:dsse');
        }
      }),
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

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: false }), (value) => {
        const result = normaliseEvent(value);
        for (const delivery of result.deliveries) {
          expect(delivery.objects.length + delivery.rejections.length + delivery.ignored.length).toBeGreaterThanOrEqual(0);
        }
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

describe('every object an event names ends compliant, whichever way its key was spelled', () => {
  const invocationDeps = (bucket: InMemoryBucket): InvocationDependencies => ({
    store: bucket,
    requirementOf: () => ({ kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: true }),
    mode: 'enforce',
    copyLimitBytes: 5 * 1024 ** 3,
    strategy: 'copy',
    priorVersions: 'retain',
    update: new UpdateCapability(false),
    multipart: { partBytes: 5 * 1024 ** 2, concurrency: 2 },
    remainingTimeMs: () => 600_000,
    clock: () => new Date('2026-11-22T00:00:00Z'),
    alerts: { publish: async () => undefined },
    recorder: { objectHandled: () => undefined, recordRejected: () => undefined, noticeIgnored: () => undefined, alertsNotPublished: () => undefined, updateRefused: () => undefined },
    concurrency: 4,
    functionName: 'enforce-object-encryption',
    now: () => 0,
  });

  it('EventBridge events and Batch Operations tasks, keys as stored or URL-encoded, beside keys that are the encoded form of each other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(arbAwkwardKey, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.record({ index: fc.nat(), encoded: fc.boolean(), path: fc.constantFrom('eventbridge', 'batch-operations') }), { minLength: 1, maxLength: 6 }),
        async (stored, withEncodedTwins, named) => {
          // An existing key that is the encoded form of another existing key: `a b` beside `a+b`.
          const keys = withEncodedTwins ? [...new Set([...stored, ...stored.map(encodeS3Key)])] : stored;
          const bucket = new InMemoryBucket();
          keys.forEach((key, index) => bucket.objects.set(key, { eTag: `"e${index}"`, versionId: `orig${index}`, sizeBytes: 1, serverSideEncryption: 'AES256' }));
          const notices = named.map(({ index, encoded, path }) => {
            const key = keys[index % keys.length] as string;
            return { key, text: encoded ? encodeS3Key(key) : key, path };
          });
          const eventBridge = notices.filter((notice) => notice.path === 'eventbridge');
          const tasks = notices.filter((notice) => notice.path === 'batch-operations');
          const deps = invocationDeps(bucket);
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
            expect(report.handled.filter(({ outcome }) => outcome.kind === 'skipped')).toEqual([]);
          }
          for (const { key, text } of notices) {
            expect(isCompliant(encryptionFromHeaders(bucket.objects.get(key) ?? {}), { kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: true }), `${key} named as ${text}`).toBe(true);
          }
          // Only objects some spelling of a notice names are written: nothing else in the bucket.
          const named_ = new Set(notices.flatMap(({ key, text }) => [key, text, decodeOrSelf(text)]));
          for (const [key, object] of bucket.objects) if (!named_.has(key)) expect(object.serverSideEncryption, key).toBe('AES256');
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
  it('leaves every object it can reach under the required key, writes each at most once, and a replay writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), arbHeaders), { selector: ([key]) => key, maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom('auto', 'update', 'copy' as const),
        fc.boolean(),
        async (objects, concurrency, strategy, updateAvailable) => {
        const bucket = new InMemoryBucket();
        objects.forEach(([key, headers], index) => bucket.objects.set(key, { eTag: `"e${index}"`, versionId: `orig${index}`, sizeBytes: 1, ...headers }));
        const event = sqsEvent(...objects.map(([key], index) => sqsMessage(`m${index}`, s3Notification(s3Record({ key: encodeS3Key(key) })))));
        const requirement: ObjectRequirement = { kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: true };
        const deps: InvocationDependencies = {
          store: bucket,
          requirementOf: () => requirement,
          mode: 'enforce' as const,
          copyLimitBytes: 5 * 1024 ** 3,
          strategy,
          priorVersions: 'retain',
          update: new UpdateCapability(updateAvailable),
          multipart: { partBytes: 5 * 1024 ** 2, concurrency: 2 },
          remainingTimeMs: () => 600_000,
          clock: () => new Date('2026-11-22T00:00:00Z'),
          alerts: { publish: async () => undefined },
          recorder: { objectHandled: () => undefined, recordRejected: () => undefined, noticeIgnored: () => undefined, alertsNotPublished: () => undefined, updateRefused: () => undefined },
          concurrency,
          functionName: 'enforce-object-encryption',
          now: () => 0,
        };
        const first = await enforceInvocation(event, deps);
        expect(first.failedDeliveries).toEqual([]);
        // Under strategy "update", objects update cannot take are reported and left as they are.
        const reachable = ([, headers]: (typeof objects)[number]): boolean => {
          if (headers.customerKey) return false;
          const kind = encryptionFromHeaders(headers).kind;
          return strategy !== 'update' || (updateAvailable && (kind === 'sse-s3' || kind === 'sse-kms'));
        };
        const needed = objects.filter((object) => reachable(object) && !isCompliant(encryptionFromHeaders(object[1]), requirement)).length;
        expect(bucket.writes).toBe(needed);
        for (const object of objects) {
          const after = bucket.objects.get(object[0]);
          if (reachable(object)) expect(isCompliant(encryptionFromHeaders(after ?? {}), requirement)).toBe(true);
          else expect(after?.serverSideEncryption).toBe(object[1].serverSideEncryption);
        }
        await enforceInvocation(event, deps);
        expect(bucket.writes).toBe(needed);
      },
      ),
      { numRuns: 300 },
    );
  });
});
