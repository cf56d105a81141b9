import { describe, expect, it } from 'vitest';
import { isAwsManagedAlias, isKeyArn, keyReferenceForm, partitionOf } from '../../../shared/core/key-reference.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const MRK_ID = 'mrk-0123456789abcdef0123456789abcdef';

describe('keyReferenceForm', () => {
  it.each([
    [`arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`, 'key-arn'],
    [`arn:aws:kms:eu-west-1:123456789012:key/${MRK_ID}`, 'key-arn'],
    [`arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/${KEY_ID}`, 'key-arn'],
    [`arn:aws-cn:kms:cn-north-1:123456789012:key/${KEY_ID}`, 'key-arn'],
    [`arn:aws-eusc:kms:eusc-de-east-1:123456789012:key/${KEY_ID}`, 'key-arn'],
    ['arn:aws:kms:us-east-1:123456789012:alias/data', 'alias-arn'],
    ['arn:aws:kms:ap-southeast-2:123456789012:alias/team/data_v2-final', 'alias-arn'],
    [KEY_ID, 'key-id'],
    [MRK_ID, 'key-id'],
    ['alias/data', 'alias-name'],
    ['alias/aws/s3', 'alias-name'],
  ])('%s is a %s', (reference, form) => {
    expect(keyReferenceForm(reference)).toBe(form);
  });

  it.each([
    ['an empty string', ''],
    ['a key id with a trailing character', `${KEY_ID}x`],
    ['a key id with a leading character', `x${KEY_ID}`],
    ['an upper-case key id', KEY_ID.toUpperCase()],
    ['a key id one digit short', KEY_ID.slice(0, -1)],
    ['a multi-Region id one digit short', MRK_ID.slice(0, -1)],
    ['a key ARN in an unknown partition', `arn:aws-moon:kms:us-east-1:123456789012:key/${KEY_ID}`],
    ['a key ARN of another service', `arn:aws:s3:us-east-1:123456789012:key/${KEY_ID}`],
    ['a key ARN without a region', `arn:aws:kms::123456789012:key/${KEY_ID}`],
    ['a key ARN with a region without its number', `arn:aws:kms:us-east:123456789012:key/${KEY_ID}`],
    ['a key ARN with an 11-digit account', `arn:aws:kms:us-east-1:12345678901:key/${KEY_ID}`],
    ['a key ARN with text after the id', `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}/x`],
    ['a key ARN with text before it', ` arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`],
    ['an alias without a name', 'alias/'],
    ['an alias with a space', 'alias/my key'],
    ['an alias name with text before it', 'my-alias/data'],
    ['an alias ARN with a space', 'arn:aws:kms:us-east-1:123456789012:alias/my key'],
    ['an alias name longer than KMS allows', `alias/${'a'.repeat(251)}`],
  ])('%s is no key reference', (_case, reference) => {
    expect(keyReferenceForm(reference)).toBeUndefined();
  });

  it('takes an alias name of 250 characters, the longest KMS allows', () => {
    expect(keyReferenceForm(`alias/${'a'.repeat(250)}`)).toBe('alias-name');
  });
});

describe('isKeyArn', () => {
  it('is true of key ARNs only, never of alias ARNs, ids or names', () => {
    expect(isKeyArn(`arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`)).toBe(true);
    expect(isKeyArn('arn:aws:kms:us-east-1:123456789012:alias/data')).toBe(false);
    expect(isKeyArn(KEY_ID)).toBe(false);
    expect(isKeyArn('alias/data')).toBe(false);
  });
});

describe('isAwsManagedAlias', () => {
  it.each([
    ['alias/aws/s3', true],
    ['arn:aws:kms:us-east-1:123456789012:alias/aws/s3', true],
    ['alias/aws/ebs', true],
    ['alias/aws-data', false],
    ['alias/team/aws/s3', false],
    ['alias/data', false],
    [`arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`, false],
  ])('%s: %s', (reference, managed) => {
    expect(isAwsManagedAlias(reference)).toBe(managed);
  });
});

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['us-west-2', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    ['us-isof-south-1', 'aws-iso-f'],
    ['eusc-de-east-1', 'aws-eusc'],
    // Prefixes, not substrings: a region merely containing one is in the commercial partition.
    ['ap-cn-1', 'aws'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});
