import { describe, expect, it } from 'vitest';
import type { ObjectClassification, StorageState } from '../../../shared/core/classify-object.js';
import { COPY_OBJECT_LIMIT_BYTES, decideObjectAction, MAX_OBJECT_BYTES, type EnforcementMode } from '../../../shared/core/decide-object-action.js';
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
