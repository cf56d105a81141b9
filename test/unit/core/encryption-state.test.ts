import { describe, expect, it } from 'vitest';
import { describeEncryption, encryptionFromHeaders, type EncryptionState } from '../../../shared/core/encryption-state.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('encryptionFromHeaders', () => {
  it('reads an empty algorithm header as no encryption', () => {
    expect(encryptionFromHeaders({ serverSideEncryption: '' })).toEqual({ kind: 'unencrypted' });
  });

  it('takes a customer algorithm header over any other header', () => {
    expect(encryptionFromHeaders({ serverSideEncryption: 'aws:kms', kmsKeyId: KEY, customerAlgorithm: 'AES256' })).toEqual({ kind: 'sse-c' });
  });
});

describe('describeEncryption', () => {
  it.each<[EncryptionState, string]>([
    [{ kind: 'unencrypted' }, 'unencrypted'],
    [{ kind: 'sse-s3' }, 'sse-s3'],
    [{ kind: 'sse-c' }, 'sse-c'],
    [{ kind: 'sse-kms', keyArn: KEY, bucketKeyEnabled: true }, `sse-kms(${KEY}, bucket key)`],
    [{ kind: 'sse-kms', keyArn: KEY, bucketKeyEnabled: false }, `sse-kms(${KEY})`],
    [{ kind: 'sse-kms', keyArn: undefined, bucketKeyEnabled: false }, 'sse-kms(aws/s3)'],
    [{ kind: 'dsse-kms', keyArn: KEY }, `dsse-kms(${KEY})`],
    [{ kind: 'dsse-kms', keyArn: undefined }, 'dsse-kms(aws/s3)'],
    [{ kind: 'unrecognised', algorithm: 'aws:future' }, 'unrecognised(aws:future)'],
  ])('%o reads %s', (state, text) => {
    expect(describeEncryption(state)).toBe(text);
  });
});
