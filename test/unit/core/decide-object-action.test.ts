import { describe, expect, it } from 'vitest';
import type { ObjectClassification, StorageState } from '../../../shared/core/classify-object.js';
import { COPY_OBJECT_LIMIT_BYTES, decideObjectAction, type EnforcementMode } from '../../../shared/core/decide-object-action.js';
import type { EncryptionState } from '../../../shared/core/encryption-state.js';
import type { ObjectRequirement } from '../../../shared/core/object-requirement.js';

const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab';
const required: ObjectRequirement = { kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: true };
const online: StorageState = { kind: 'online', storageClass: 'STANDARD' };

const stored = (encryption: EncryptionState, storage: StorageState = online, sizeBytes = 100): ObjectClassification => ({
  kind: 'stored',
  encryption,
  storage,
  sizeBytes,
});
const decide = (classification: ObjectClassification, requirement: ObjectRequirement = required, mode: EnforcementMode = 'enforce') =>
  decideObjectAction({ classification, requirement, mode, copyLimitBytes: COPY_OBJECT_LIMIT_BYTES });

const toRequired = { kind: 'remediate', target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true } };

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
      { kind: 'remediate', target: { algorithm: 'aws:kms:dsse', keyArn: REQUIRED, bucketKeyEnabled: false } },
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
      target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: false },
    });
  });

  it('SSE-C: alert, never touched', () => {
    expect(decide(stored({ kind: 'sse-c' }))).toMatchObject({ kind: 'alert', reason: 'customer-provided-key' });
  });

  it('an unrecognised algorithm: alert', () => {
    expect(decide(stored({ kind: 'unrecognised', algorithm: 'x' }))).toMatchObject({ kind: 'alert', reason: 'unrecognised-encryption' });
  });

  it('DSSE-KMS when the policy does not accept it: alert, never downgraded', () => {
    expect(decide(stored({ kind: 'dsse-kms', keyArn: REQUIRED }), { ...required, acceptDsseKms: false })).toMatchObject({
      kind: 'alert',
      reason: 'dsse-not-accepted',
    });
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

  it('over 5 GiB: a clear skip with an alert, not an error', () => {
    expect(decide(stored({ kind: 'sse-s3' }, online, COPY_OBJECT_LIMIT_BYTES + 1))).toMatchObject({ kind: 'alert', reason: 'exceeds-copy-limit' });
    expect(decide(stored({ kind: 'sse-s3' }, online, COPY_OBJECT_LIMIT_BYTES))).toEqual(toRequired);
  });
});
