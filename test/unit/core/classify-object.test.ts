import { describe, expect, it } from 'vitest';
import { classifyObject, isLocked, isRealVersion, type ObjectSnapshot } from '../../../shared/core/classify-object.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const snapshot = (fields: Partial<ObjectSnapshot>): ObjectSnapshot => ({ eTag: '"abc"', sizeBytes: 42, ...fields });
const found = (fields: Partial<ObjectSnapshot>) => classifyObject({ kind: 'found', object: snapshot(fields) });

describe('classifyObject', () => {
  it.each([
    ['no SSE header: unencrypted', {}, { kind: 'unencrypted' }],
    ['AES256: SSE-S3', { serverSideEncryption: 'AES256' }, { kind: 'sse-s3' }],
    ['aws:kms with a key: SSE-KMS and which key', { serverSideEncryption: 'aws:kms', kmsKeyId: KEY, bucketKeyEnabled: true }, { kind: 'sse-kms', keyArn: KEY, bucketKeyEnabled: true }],
    ['aws:kms with no bucket key header', { serverSideEncryption: 'aws:kms', kmsKeyId: KEY }, { kind: 'sse-kms', keyArn: KEY, bucketKeyEnabled: false }],
    ['aws:kms:dsse: DSSE-KMS', { serverSideEncryption: 'aws:kms:dsse', kmsKeyId: KEY }, { kind: 'dsse-kms', keyArn: KEY }],
    ['a customer algorithm header: SSE-C', { customerAlgorithm: 'AES256' }, { kind: 'sse-c' }],
    ['an algorithm nobody knows yet', { serverSideEncryption: 'aws:future' }, { kind: 'unrecognised', algorithm: 'aws:future' }],
  ])('%s', (_name, fields, encryption) => {
    expect(found(fields)).toEqual({ kind: 'stored', encryption, storage: { kind: 'online', storageClass: 'STANDARD' }, sizeBytes: 42 });
  });

  it('an SSE-C object HeadObject will not describe', () => {
    expect(classifyObject({ kind: 'customer-key-required' })).toEqual({
      kind: 'stored',
      encryption: { kind: 'sse-c' },
      storage: { kind: 'online', storageClass: 'unknown' },
      sizeBytes: undefined,
    });
  });

  it('an object deleted before inspection is gone', () => {
    expect(classifyObject({ kind: 'not-found' })).toEqual({ kind: 'gone' });
  });

  it.each([
    ['GLACIER', { storageClass: 'GLACIER' }, { kind: 'archived', storageClass: 'GLACIER', restored: false }],
    ['DEEP_ARCHIVE', { storageClass: 'DEEP_ARCHIVE' }, { kind: 'archived', storageClass: 'DEEP_ARCHIVE', restored: false }],
    ['Intelligent-Tiering archive tier', { storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'ARCHIVE_ACCESS' }, { kind: 'archived', storageClass: 'INTELLIGENT_TIERING', restored: false }],
    ['a restored GLACIER copy', { storageClass: 'GLACIER', restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2026 00:00:00 GMT"' }, { kind: 'archived', storageClass: 'GLACIER', restored: true }],
    ['a restore still under way', { storageClass: 'GLACIER', restore: 'ongoing-request="true"' }, { kind: 'archived', storageClass: 'GLACIER', restored: false }],
    ['GLACIER_IR is online', { storageClass: 'GLACIER_IR' }, { kind: 'online', storageClass: 'GLACIER_IR' }],
    ['Intelligent-Tiering frequent tier is online', { storageClass: 'INTELLIGENT_TIERING' }, { kind: 'online', storageClass: 'INTELLIGENT_TIERING' }],
  ])('storage: %s', (_name, fields, storage) => {
    const classification = found(fields);
    expect(classification.kind === 'stored' && classification.storage).toEqual(storage);
  });
});

describe('Object Lock and versions', () => {
  const NOW = new Date('2026-06-01T00:00:00Z');
  const BEFORE = new Date('2026-05-31T23:59:59Z');
  const AFTER = new Date('2026-06-01T00:00:01Z');

  it.each([
    ['no lock', undefined, false],
    ['an empty lock', {}, false],
    ['a legal hold', { legalHold: 'ON' }, true],
    ['a released legal hold', { legalHold: 'OFF' }, false],
    ['retention with no date', { mode: 'GOVERNANCE' }, true],
    ['retention until later', { mode: 'COMPLIANCE', retainUntil: AFTER }, true],
    ['retention that ends now', { mode: 'COMPLIANCE', retainUntil: NOW }, false],
    ['retention that ended', { mode: 'GOVERNANCE', retainUntil: BEFORE }, false],
    ['a date with no mode', { retainUntil: AFTER }, false],
    ['an ended retention under a legal hold', { mode: 'GOVERNANCE', retainUntil: BEFORE, legalHold: 'ON' }, true],
  ])('%s: locked %s', (_case, lock, locked) => {
    expect(isLocked(lock, NOW)).toBe(locked);
  });

  it('carries the lock of the version it describes, and none when there is none', () => {
    const lock = { mode: 'GOVERNANCE', retainUntil: AFTER };
    expect(found({ lock })).toEqual({ kind: 'stored', encryption: { kind: 'unencrypted' }, storage: { kind: 'online', storageClass: 'STANDARD' }, sizeBytes: 42, lock });
    expect(found({})).not.toHaveProperty('lock');
  });

  it('a version id names a version unless it is absent or "null"', () => {
    expect([undefined, 'null', '', 'v1'].map(isRealVersion)).toEqual([false, false, true, true]);
  });
});
