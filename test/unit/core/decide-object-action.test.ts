import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ObjectClassification, ObjectInspection, StorageState } from '../../../shared/core/classify-object.js';
import {
  COPY_OBJECT_LIMIT_BYTES,
  decideAfterRefusedUpdate,
  decideEventVersion,
  decideObject,
  decideObjectAction,
  isCompliant,
  MAX_OBJECT_BYTES,
  type EnforcementMode,
  type UpdateAction,
  type UpdateFallback,
} from '../../../shared/core/decide-object-action.js';
import type { RemediationStrategy } from '../../../shared/core/object-requirement.js';
import type { EncryptionState } from '../../../shared/core/encryption-state.js';
import type { ObjectRequirement } from '../../../shared/core/object-requirement.js';

const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab';
const required: ObjectRequirement = { kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: true };
const online: StorageState = { kind: 'online', storageClass: 'STANDARD' };

type Stored = Extract<ObjectClassification, { kind: 'stored' }>;
const stored = (encryption: EncryptionState, storage: StorageState = online, sizeBytes = 100): Stored => ({
  kind: 'stored',
  encryption,
  storage,
  sizeBytes,
});
const decide = (classification: ObjectClassification, requirement: ObjectRequirement = required, mode: EnforcementMode = 'enforce') =>
  decideObjectAction({ classification, requirement, mode, copyLimitBytes: COPY_OBJECT_LIMIT_BYTES });

const toRequired = { kind: 'remediate', method: 'copy-in-place', target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true } };

describe('decideObjectAction', () => {
  it.each<[string, EncryptionState, unknown]>([
    ['unencrypted → remediate under the required key', { kind: 'unencrypted' }, toRequired],
    ['SSE-S3 → remediate', { kind: 'sse-s3' }, toRequired],
    ['SSE-KMS under another key → remediate', { kind: 'sse-kms', keyArn: OTHER, bucketKeyEnabled: true }, toRequired],
    ['SSE-KMS under aws/s3 (no key id) → remediate', { kind: 'sse-kms', keyArn: undefined, bucketKeyEnabled: false }, toRequired],
    ['SSE-KMS under the required key → compliant', { kind: 'sse-kms', keyArn: REQUIRED, bucketKeyEnabled: false }, { kind: 'compliant' }],
    ['DSSE-KMS under the required key → compliant, never downgraded', { kind: 'dsse-kms', keyArn: REQUIRED }, { kind: 'compliant' }],
    [
      'DSSE-KMS under another key → DSSE-KMS under the required key (no bucket key)',
      { kind: 'dsse-kms', keyArn: OTHER },
      { kind: 'remediate', method: 'copy-in-place', target: { algorithm: 'aws:kms:dsse', keyArn: REQUIRED, bucketKeyEnabled: false } },
    ],
  ])('%s', (_name, encryption, action) => {
    expect(decide(stored(encryption))).toEqual(action);
  });

  it('compares key ARNs exactly, never by substring', () => {
    const longer = `${REQUIRED}0`;
    expect(decide(stored({ kind: 'sse-kms', keyArn: longer, bucketKeyEnabled: true })).kind).toBe('remediate');
    expect(decide(stored({ kind: 'sse-kms', keyArn: REQUIRED.slice(0, -1), bucketKeyEnabled: true })).kind).toBe('remediate');
    expect(decide(stored({ kind: 'sse-kms', keyArn: REQUIRED.split('/')[1], bucketKeyEnabled: true })).kind).toBe('remediate');
  });

  it('honours the bucket-key setting of the requirement', () => {
    expect(decide(stored({ kind: 'unencrypted' }), { ...required, bucketKey: false })).toEqual({
      kind: 'remediate',
      method: 'copy-in-place',
      target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: false },
    });
  });

  it('SSE-C: alert, never touched', () => {
    expect(decide(stored({ kind: 'sse-c' }))).toMatchObject({ kind: 'alert', reason: 'customer-provided-key' });
  });

  it('an unrecognised algorithm: alert', () => {
    expect(decide(stored({ kind: 'unrecognised', algorithm: 'x' }))).toMatchObject({ kind: 'alert', reason: 'unrecognised-encryption' });
  });

  it('DSSE-KMS when the policy does not accept it, under any key: alert, never downgraded, never rewritten', () => {
    for (const keyArn of [REQUIRED, OTHER]) {
      expect(decide(stored({ kind: 'dsse-kms', keyArn }), { ...required, acceptDsseKms: false })).toMatchObject({
        kind: 'alert',
        reason: 'dsse-not-accepted',
      });
    }
  });

  it('gone: a quiet skip', () => {
    expect(decide({ kind: 'gone' })).toMatchObject({ kind: 'skip', reason: 'gone' });
  });

  it('exempt: a quiet skip', () => {
    expect(decide(stored({ kind: 'unencrypted' }), { kind: 'exempt', rule: { bucket: 'b', prefix: 'tmp/' } })).toMatchObject({
      kind: 'skip',
      reason: 'exempt',
    });
  });

  it('report mode never remediates: non-compliant objects alert, compliant stay compliant', () => {
    expect(decide(stored({ kind: 'sse-s3' }), required, 'report')).toMatchObject({ kind: 'alert', reason: 'report-only' });
    expect(decide(stored({ kind: 'sse-kms', keyArn: REQUIRED, bucketKeyEnabled: true }), required, 'report')).toEqual({ kind: 'compliant' });
  });

  it('archived objects cannot be copied without a restore: alert; a restored copy can be', () => {
    expect(decide(stored({ kind: 'sse-s3' }, { kind: 'archived', storageClass: 'GLACIER', restored: false }))).toMatchObject({
      kind: 'alert',
      reason: 'archived',
      detail: 'stored in GLACIER; it cannot be copied without a restore',
    });
    expect(decide(stored({ kind: 'sse-s3' }, { kind: 'archived', storageClass: 'GLACIER', restored: true }))).toEqual(toRequired);
  });

  it('an archived object already under the required key is compliant', () => {
    expect(decide(stored({ kind: 'sse-kms', keyArn: REQUIRED, bucketKeyEnabled: true }, { kind: 'archived', storageClass: 'DEEP_ARCHIVE', restored: false }))).toEqual({
      kind: 'compliant',
    });
  });

  it('over the single-copy limit: a multipart copy; over what S3 can hold: an alert', () => {
    expect(decide(stored({ kind: 'sse-s3' }, online, COPY_OBJECT_LIMIT_BYTES + 1))).toEqual({ ...toRequired, method: 'multipart-copy' });
    expect(decide(stored({ kind: 'sse-s3' }, online, COPY_OBJECT_LIMIT_BYTES))).toEqual(toRequired);
    expect(decide(stored({ kind: 'sse-s3' }, online, MAX_OBJECT_BYTES + 1))).toMatchObject({ kind: 'alert', reason: 'exceeds-copy-limit' });
  });
});

describe('decideObjectAction: choosing how to remediate', () => {
  const choose = (encryption: EncryptionState, strategy: RemediationStrategy, extra: Partial<Stored> = {}, updateAvailable = true) =>
    decideObjectAction({
      classification: { ...stored(encryption), ...extra } as Stored,
      requirement: required,
      mode: 'enforce',
      copyLimitBytes: 1000,
      strategy,
      updateAvailable,
    });
  const update = { kind: 'remediate', method: 'update-in-place', target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true } };

  it.each<[string, EncryptionState]>([
    ['SSE-S3', { kind: 'sse-s3' }],
    ['SSE-KMS under another key', { kind: 'sse-kms', keyArn: OTHER, bucketKeyEnabled: false }],
  ])('auto: %s is updated in place, with no data movement', (_name, encryption) => {
    expect(choose(encryption, 'auto')).toEqual(update);
    expect(choose(encryption, 'update')).toEqual(update);
  });

  it.each<[string, EncryptionState]>([
    ['unencrypted', { kind: 'unencrypted' }],
    ['DSSE-KMS', { kind: 'dsse-kms', keyArn: OTHER }],
  ])('auto: %s cannot be updated in place, so it is copied', (_name, encryption) => {
    expect(choose(encryption, 'auto')).toMatchObject({ kind: 'remediate', method: 'copy-in-place' });
  });

  it('strategy copy never updates in place', () => {
    expect(choose({ kind: 'sse-s3' }, 'copy')).toMatchObject({ kind: 'remediate', method: 'copy-in-place' });
  });

  it('strategy update: objects it cannot take are reported, not copied', () => {
    expect(choose({ kind: 'unencrypted' }, 'update')).toEqual({
      kind: 'alert',
      reason: 'update-not-applicable',
      detail: 'UpdateObjectEncryption only re-encrypts SSE-S3 or SSE-KMS objects, and this one is unencrypted',
    });
    expect(choose({ kind: 'sse-s3' }, 'update', {}, false)).toMatchObject({ kind: 'alert', reason: 'update-not-applicable' });
  });

  it('COMPLIANCE-mode Object Lock: not updated in place; copied to a new version instead', () => {
    expect(choose({ kind: 'sse-s3' }, 'auto', { lock: { mode: 'COMPLIANCE', retainUntil: new Date('2030-01-01') } })).toMatchObject({ kind: 'remediate', method: 'copy-in-place' });
    expect(choose({ kind: 'sse-s3' }, 'auto', { lock: { mode: 'GOVERNANCE', retainUntil: new Date('2030-01-01') } })).toEqual(update);
  });

  it('archived objects are updated in place with no restore; those that cannot be are reported', () => {
    const glacier: StorageState = { kind: 'archived', storageClass: 'GLACIER', restored: false };
    expect(choose({ kind: 'sse-s3' }, 'auto', { storage: glacier })).toEqual(update);
    expect(choose({ kind: 'unencrypted' }, 'auto', { storage: glacier })).toMatchObject({ kind: 'alert', reason: 'archived' });
    expect(choose({ kind: 'sse-s3' }, 'auto', { storage: glacier }, false)).toMatchObject({ kind: 'alert', reason: 'archived' });
  });

  it('when the endpoint cannot update, auto copies, and big objects are copied in parts', () => {
    expect(choose({ kind: 'sse-s3' }, 'auto', {}, false)).toMatchObject({ method: 'copy-in-place' });
    expect(choose({ kind: 'sse-s3' }, 'auto', { sizeBytes: 1001 }, false)).toMatchObject({ method: 'multipart-copy' });
    expect(choose({ kind: 'sse-s3' }, 'auto', { sizeBytes: 1001 }, true)).toEqual(update);
  });
});

describe('decideObjectAction: report mode and the rest', () => {
  it('report mode never writes, whatever the strategy', () => {
    for (const strategy of ['auto', 'update', 'copy'] as const) {
      expect(
        decideObjectAction({ classification: stored({ kind: 'sse-s3' }), requirement: required, mode: 'report', copyLimitBytes: 1000, strategy, updateAvailable: true }),
      ).toMatchObject({ kind: 'alert', reason: 'report-only' });
    }
  });
});

describe('decideEventVersion', () => {
  const found = (versionId?: string): ObjectInspection => ({ kind: 'found', object: { eTag: '"e"', sizeBytes: 10, ...(versionId ? { versionId } : {}) } });

  it.each<[string, string | undefined, ObjectInspection]>([
    ['the event names no version', undefined, found('v2')],
    ['the event names the current version', 'v2', found('v2')],
    ['"null" and absent are the same version (unversioned or suspended)', 'null', found()],
    ['"null" names a current null version', 'null', found('null')],
    ['the object is gone: the first decision says so', 'v1', { kind: 'not-found' }],
    ['an SSE-C object HeadObject will not describe', 'v1', { kind: 'customer-key-required' }],
  ])('current: %s', (_name, eventVersionId, inspection) => {
    expect(decideEventVersion(eventVersionId, inspection)).toEqual({ kind: 'current' });
  });

  it('superseded: the event names a version that is no longer current', () => {
    expect(decideEventVersion('v1', found('v2'))).toEqual({ kind: 'skip', reason: 'superseded', detail: 'version v1 is no longer current (current: v2)' });
  });

  it('superseded: the event names a version, and the current object has none (versioning suspended since)', () => {
    expect(decideEventVersion('v1', found())).toEqual({ kind: 'skip', reason: 'superseded', detail: 'version v1 is no longer current (current: null)' });
  });
});

describe('decideAfterRefusedUpdate', () => {
  const kmsTarget = { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true } as const;
  const glacier: StorageState = { kind: 'archived', storageClass: 'GLACIER', restored: false };
  const first = (classification: Stored, strategy: 'auto' | 'update' = 'auto', requirement: ObjectRequirement = required) =>
    decideObject({ classification, requirement, mode: 'enforce', copyLimitBytes: 1000, strategy, updateAvailable: true });
  const refused = (classification: Stored, strategy: 'auto' | 'update' = 'auto', code = 'InvalidRequest', requirement: ObjectRequirement = required) => {
    const update = first(classification, strategy, requirement);
    if (update.kind !== 'remediate' || update.method !== 'update-in-place') throw new Error(`expected an update in place, got ${JSON.stringify(update)}`);
    return { update, fallback: decideAfterRefusedUpdate(update, code) };
  };

  it('auto: a copy in place, to the target the update had', () => {
    expect(refused(stored({ kind: 'sse-s3' }))).toEqual({
      update: { kind: 'remediate', method: 'update-in-place', target: kmsTarget, strategy: 'auto', copy: { kind: 'copy', method: 'copy-in-place' } },
      fallback: { kind: 'remediate', method: 'copy-in-place', target: kmsTarget },
    });
  });

  it('auto: a multipart copy above the single-copy limit', () => {
    expect(refused(stored({ kind: 'sse-kms', keyArn: OTHER, bucketKeyEnabled: false }, online, 1001), 'auto', 'NotImplemented')).toEqual({
      update: { kind: 'remediate', method: 'update-in-place', target: kmsTarget, strategy: 'auto', copy: { kind: 'copy', method: 'multipart-copy' } },
      fallback: { kind: 'remediate', method: 'multipart-copy', target: kmsTarget },
    });
  });

  it('auto: an archived object a copy cannot reach is reported as archived, not compliant', () => {
    const blocked = { kind: 'blocked', reason: 'archived', detail: 'stored in GLACIER; it cannot be copied without a restore' } as const;
    expect(refused(stored({ kind: 'sse-s3' }, glacier))).toEqual({
      update: { kind: 'remediate', method: 'update-in-place', target: kmsTarget, strategy: 'auto', copy: blocked },
      fallback: { kind: 'alert', reason: 'archived', detail: 'stored in GLACIER; it cannot be copied without a restore' },
    });
  });

  it('auto: an object larger than S3 can copy is reported, not compliant', () => {
    const detail = `${MAX_OBJECT_BYTES + 1} bytes is more than S3 can copy (${MAX_OBJECT_BYTES} bytes)`;
    expect(refused(stored({ kind: 'sse-s3' }, online, MAX_OBJECT_BYTES + 1))).toEqual({
      update: { kind: 'remediate', method: 'update-in-place', target: kmsTarget, strategy: 'auto', copy: { kind: 'blocked', reason: 'exceeds-copy-limit', detail } },
      fallback: { kind: 'alert', reason: 'exceeds-copy-limit', detail },
    });
  });

  it('update: the refusal is reported with its code, even where a copy was possible', () => {
    expect(refused(stored({ kind: 'sse-s3' }), 'update', 'NotImplemented')).toEqual({
      update: { kind: 'remediate', method: 'update-in-place', target: kmsTarget, strategy: 'update', copy: { kind: 'copy', method: 'copy-in-place' } },
      fallback: { kind: 'alert', reason: 'update-not-applicable', detail: 'UpdateObjectEncryption answered NotImplemented, and POLICY.strategy is "update"' },
    });
  });

  it('a bucket-key-off requirement carries into the copy', () => {
    const target = { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: false } as const;
    expect(refused(stored({ kind: 'sse-s3' }), 'auto', 'InvalidRequest', { ...required, bucketKey: false })).toEqual({
      update: { kind: 'remediate', method: 'update-in-place', target, strategy: 'auto', copy: { kind: 'copy', method: 'copy-in-place' } },
      fallback: { kind: 'remediate', method: 'copy-in-place', target },
    });
  });

  it('DSSE-KMS is never updated in place, so never falls back: auto copies it to DSSE-KMS, update reports it', () => {
    const dsse = stored({ kind: 'dsse-kms', keyArn: OTHER });
    expect(first(dsse, 'auto')).toEqual({ kind: 'remediate', method: 'copy-in-place', target: { algorithm: 'aws:kms:dsse', keyArn: REQUIRED, bucketKeyEnabled: false } });
    expect(first(dsse, 'update')).toEqual({
      kind: 'alert',
      reason: 'update-not-applicable',
      detail: 'UpdateObjectEncryption only re-encrypts SSE-S3 or SSE-KMS objects, and this one is dsse-kms',
    });
  });

  it('types: a fallback is a copy or an alert, and an update only ever writes SSE-KMS', () => {
    expectTypeOf<UpdateFallback['kind']>().toEqualTypeOf<'remediate' | 'alert'>();
    expectTypeOf<Extract<UpdateFallback, { kind: 'remediate' }>['method']>().toEqualTypeOf<'copy-in-place' | 'multipart-copy'>();
    expectTypeOf<Extract<UpdateFallback, { kind: 'alert' }>['reason']>().toEqualTypeOf<'update-not-applicable' | 'archived' | 'exceeds-copy-limit'>();
    expectTypeOf<UpdateAction['target']['algorithm']>().toEqualTypeOf<'aws:kms'>();
    expectTypeOf<UpdateAction['strategy']>().toEqualTypeOf<'auto' | 'update'>();
  });

  it('is the decision made again without the operation; only "update" words the refusal itself', () => {
    const arbStored: fc.Arbitrary<Stored> = fc.record({
      kind: fc.constant('stored' as const),
      encryption: fc.oneof(
        fc.constant<EncryptionState>({ kind: 'unencrypted' }),
        fc.constant<EncryptionState>({ kind: 'sse-s3' }),
        fc.record({ kind: fc.constant('sse-kms' as const), keyArn: fc.constantFrom(REQUIRED, OTHER, undefined), bucketKeyEnabled: fc.boolean() }),
        fc.record({ kind: fc.constant('dsse-kms' as const), keyArn: fc.constantFrom(REQUIRED, OTHER, undefined) }),
        fc.constant<EncryptionState>({ kind: 'sse-c' }),
      ),
      storage: fc.oneof(
        fc.constant<StorageState>(online),
        fc.record({ kind: fc.constant('archived' as const), storageClass: fc.constantFrom('GLACIER', 'DEEP_ARCHIVE'), restored: fc.boolean() }),
      ),
      sizeBytes: fc.oneof(fc.nat({ max: 2000 }), fc.constant(MAX_OBJECT_BYTES + 1), fc.constant(undefined)),
      lock: fc.constantFrom(undefined, { mode: 'COMPLIANCE' }, { mode: 'GOVERNANCE' }, { legalHold: 'ON' }),
    });
    const arbRequirement = fc.record({
      kind: fc.constant('required' as const),
      keyArn: fc.constant(REQUIRED),
      bucketKey: fc.boolean(),
      acceptDsseKms: fc.boolean(),
    });
    let updates = 0;
    fc.assert(
      fc.property(arbStored, arbRequirement, fc.constantFrom<RemediationStrategy>('auto', 'update', 'copy'), fc.constantFrom('InvalidRequest', 'NotImplemented'), (classification, requirement, strategy, code) => {
        const input = { classification, requirement, mode: 'enforce' as const, copyLimitBytes: 1000, strategy };
        const update = decideObject({ ...input, updateAvailable: true });
        if (update.kind !== 'remediate' || update.method !== 'update-in-place') return;
        updates += 1;
        const again = decideObjectAction({ ...input, updateAvailable: false });
        const fallback = decideAfterRefusedUpdate(update, code);
        expect(fallback).toEqual(strategy === 'update' ? { ...again, detail: `UpdateObjectEncryption answered ${code}, and POLICY.strategy is "update"` } : again);
      }),
      { numRuns: 2000 },
    );
    expect(updates).toBeGreaterThan(100);
  });
});

describe('decideObject: what each alert and skip says', () => {
  const exempt: ObjectRequirement = { kind: 'exempt', rule: { bucket: 'logs-bucket', prefix: 'tmp/' } };
  const noDsse: ObjectRequirement = { ...required, acceptDsseKms: false };
  const first = (classification: ObjectClassification, requirement: ObjectRequirement = required, mode: EnforcementMode = 'enforce', strategy: RemediationStrategy = 'copy', updateAvailable = false) =>
    decideObject({ classification, requirement, mode, copyLimitBytes: COPY_OBJECT_LIMIT_BYTES, strategy, updateAvailable });

  it.each<[string, () => unknown, unknown]>([
    ['gone', () => first({ kind: 'gone' }), { kind: 'skip', reason: 'gone', detail: 'the object was deleted before it could be inspected' }],
    ['exempt', () => first(stored({ kind: 'unencrypted' }), exempt), { kind: 'skip', reason: 'exempt', detail: 'exempt by policy (bucket logs-bucket, prefix "tmp/")' }],
    [
      'SSE-C',
      () => first(stored({ kind: 'sse-c' })),
      { kind: 'alert', reason: 'customer-provided-key', detail: 'encrypted with a customer-provided key (SSE-C); only the uploader can read or re-encrypt it' },
    ],
    ['unrecognised', () => first(stored({ kind: 'unrecognised', algorithm: 'aws:future' })), { kind: 'alert', reason: 'unrecognised-encryption', detail: 'unrecognised server-side encryption "aws:future"' }],
    [
      'DSSE-KMS refused by policy',
      () => first(stored({ kind: 'dsse-kms', keyArn: OTHER }), noDsse),
      { kind: 'alert', reason: 'dsse-not-accepted', detail: 'DSSE-KMS is not accepted by policy, and is never downgraded automatically' },
    ],
    ['report mode', () => first(stored({ kind: 'sse-s3' }), required, 'report'), { kind: 'alert', reason: 'report-only', detail: `not compliant; enforce mode would re-encrypt it under ${REQUIRED}` }],
    [
      'archived',
      () => first(stored({ kind: 'sse-s3' }, { kind: 'archived', storageClass: 'DEEP_ARCHIVE', restored: false })),
      { kind: 'alert', reason: 'archived', detail: 'stored in DEEP_ARCHIVE; it cannot be copied without a restore' },
    ],
    [
      'larger than S3 can copy',
      () => first(stored({ kind: 'sse-s3' }, online, MAX_OBJECT_BYTES + 1)),
      { kind: 'alert', reason: 'exceeds-copy-limit', detail: `${MAX_OBJECT_BYTES + 1} bytes is more than S3 can copy (${MAX_OBJECT_BYTES} bytes)` },
    ],
    [
      'update only, on an endpoint without it',
      () => first(stored({ kind: 'sse-s3' }), required, 'enforce', 'update', false),
      { kind: 'alert', reason: 'update-not-applicable', detail: 'UpdateObjectEncryption is not available on this endpoint, and POLICY.strategy is "update"' },
    ],
    [
      'update only, for an object it cannot take',
      () => first(stored({ kind: 'unencrypted' }), required, 'enforce', 'update', true),
      { kind: 'alert', reason: 'update-not-applicable', detail: 'UpdateObjectEncryption only re-encrypts SSE-S3 or SSE-KMS objects, and this one is unencrypted' },
    ],
  ])('%s', (_case, decision, expected) => {
    expect(decision()).toEqual(expected);
  });

  it('copies an object of exactly the largest size S3 holds, in parts', () => {
    expect(first(stored({ kind: 'sse-s3' }, online, MAX_OBJECT_BYTES))).toEqual({ ...toRequired, method: 'multipart-copy' });
  });

  it('copies an object of unknown size with one request', () => {
    const unknownSize: Stored = { ...stored({ kind: 'sse-s3' }), sizeBytes: undefined };
    expect(first(unknownSize)).toEqual(toRequired);
  });

  it('an update in place under COMPLIANCE-mode Object Lock gives way to a copy; under GOVERNANCE it does not', () => {
    const locked = (mode: string): Stored => ({ ...stored({ kind: 'sse-s3' }), lock: { mode } });
    expect(first(locked('COMPLIANCE'), required, 'enforce', 'auto', true)).toEqual(toRequired);
    expect(first(locked('COMPLIANCE'), required, 'enforce', 'update', true)).toEqual({
      kind: 'alert',
      reason: 'update-not-applicable',
      detail: 'UpdateObjectEncryption does not change objects under COMPLIANCE-mode Object Lock',
    });
    expect(first(locked('GOVERNANCE'), required, 'enforce', 'auto', true)).toMatchObject({ kind: 'remediate', method: 'update-in-place' });
  });

  it('as assessments see it, an update in place carries only its method and target; other decisions are unchanged', () => {
    const input = { classification: stored({ kind: 'sse-s3' }), requirement: required, mode: 'enforce' as const, copyLimitBytes: COPY_OBJECT_LIMIT_BYTES, strategy: 'auto' as const, updateAvailable: true };
    expect(decideObjectAction(input)).toEqual({ kind: 'remediate', method: 'update-in-place', target: toRequired.target });
    expect(decideObjectAction({ ...input, strategy: 'copy' })).toEqual(toRequired);
    expect(decideObjectAction({ ...input, mode: 'report' })).toEqual(decideObject({ ...input, mode: 'report' }));
  });

  it('a refused update under "update" says which answer S3 gave', () => {
    const update = first(stored({ kind: 'sse-s3' }), required, 'enforce', 'update', true) as UpdateAction;
    expect(decideAfterRefusedUpdate(update, 'NotImplemented')).toEqual({
      kind: 'alert',
      reason: 'update-not-applicable',
      detail: 'UpdateObjectEncryption answered NotImplemented, and POLICY.strategy is "update"',
    });
  });
});

describe('isCompliant', () => {
  it('an exempt object is compliant whatever its encryption; SSE-S3, SSE-C and unknown algorithms never are', () => {
    const exempt: ObjectRequirement = { kind: 'exempt', rule: { bucket: 'b', prefix: '' } };
    expect([{ kind: 'unencrypted' }, { kind: 'sse-c' }].map((state) => isCompliant(state as EncryptionState, exempt))).toEqual([true, true]);
    const states: EncryptionState[] = [{ kind: 'sse-s3' }, { kind: 'sse-c' }, { kind: 'unencrypted' }, { kind: 'unrecognised', algorithm: REQUIRED }];
    expect(states.map((state) => isCompliant(state, required))).toEqual([false, false, false, false]);
  });
});
