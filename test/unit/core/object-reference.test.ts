import { describe, expect, it } from 'vitest';
import { compareSequencers, describeObject } from '../../../shared/core/object-reference.js';

describe('describeObject', () => {
  it('names the object as an S3 URL, with its version when there is one', () => {
    expect(describeObject({ bucket: 'data-bucket', key: 'a b/c.txt' })).toBe('s3://data-bucket/a b/c.txt');
    expect(describeObject({ bucket: 'data-bucket', key: 'a.txt', versionId: '3HL4kqtJlcpXroDTDmJ' })).toBe('s3://data-bucket/a.txt (version 3HL4kqtJlcpXroDTDmJ)');
  });
});

describe('compareSequencers', () => {
  it.each([
    ['0055AED6DCD90281E5', '0055AED6DCD90281E6', -1],
    ['0055AED6DCD90281E6', '0055AED6DCD90281E5', 1],
    ['0055AED6DCD90281E5', '0055AED6DCD90281E5', 0],
    // Shorter sequencers are left-padded: 'FF' is 00FF, before 0100.
    ['FF', '0100', -1],
    ['0100', 'FF', 1],
    ['00FF', 'FF', 0],
    // Hexadecimal digits compare the same whatever their case.
    ['0a', '0A', 0],
    ['0a', '0B', -1],
    ['0B', '0a', 1],
  ])('%s against %s: %d', (a, b, order) => {
    expect(compareSequencers(a, b)).toBe(order);
  });
});
