import { describe, expect, it } from 'vitest';
import { bucketRequirement, requiredKeyInRegion } from '../../../shared/audit/audit-context.js';
import { bucketKeyReferences, policyKeyReferences } from '../../../shared/audit/key-references.js';
import { keyArnInRegion, qualifiedKeyArn, regionOfReference } from '../../../shared/audit/key-arn.js';
import { regionFromLocationConstraint } from '../../../shared/audit/bucket-region.js';
import { runChecks } from '../../../shared/audit/run-checks.js';
import { findingId } from '../../../shared/audit/finding.js';
import { ACCOUNT, MRK, MRK_EU, OTHER, REQUIRED, bucket, context, facts, found, key, keyMap, rule } from './fixtures.js';

describe('regions and key ARNs', () => {
  it.each([
    [null, 'us-east-1'],
    [undefined, 'us-east-1'],
    ['', 'us-east-1'],
    ['EU', 'eu-west-1'],
    ['ap-southeast-2', 'ap-southeast-2'],
  ])('LocationConstraint %s is %s', (constraint, region) => {
    expect(regionFromLocationConstraint(constraint)).toBe(region);
  });

  it('finds a multi-Region key replica by its shared key id, and nothing for a single-Region key', () => {
    expect(keyArnInRegion(MRK, 'eu-west-1')).toBe(MRK_EU);
    expect(keyArnInRegion(MRK, 'us-east-1')).toBe(MRK);
    expect(keyArnInRegion(REQUIRED, 'eu-west-1')).toBeUndefined();
    expect(keyArnInRegion('arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef', 'cn-northwest-1')).toBe(
      'arn:aws-cn:kms:cn-northwest-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef',
    );
  });

  it('looks up a reference in its ARN region, or where it is used', () => {
    expect(regionOfReference(MRK_EU, 'us-east-1')).toBe('eu-west-1');
    expect(regionOfReference('alias/data', 'eu-west-1')).toBe('eu-west-1');
    expect(qualifiedKeyArn('alias/data', 'eu-west-1', ACCOUNT)).toBe(`arn:aws:kms:eu-west-1:${ACCOUNT}:alias/data`);
    expect(qualifiedKeyArn('1234abcd-12ab-34cd-56ef-1234567890ab', 'us-gov-west-1', ACCOUNT)).toBe(
      `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    );
  });

  it('the required key in a region: usable, a missing replica, a missing key', () => {
    const keys = keyMap([
      ['us-east-1', MRK, found(key(MRK))],
      ['eu-west-1', MRK_EU, { kind: 'not-found' }],
      ['us-east-1', 'alias/gone', { kind: 'not-found' }],
    ]);
    expect(requiredKeyInRegion(keys, 'us-east-1', MRK, 'us-east-1')).toMatchObject({ kind: 'usable', arn: MRK });
    expect(requiredKeyInRegion(keys, 'us-east-1', MRK, 'eu-west-1')).toEqual({
      kind: 'unusable',
      reference: MRK,
      homeArn: MRK,
      reason: `the multi-Region required key ${MRK} has no replica in eu-west-1`,
    });
    expect(requiredKeyInRegion(keys, 'us-east-1', 'alias/gone', 'us-east-1')).toMatchObject({ kind: 'unusable', reason: 'the required key alias/gone does not exist in us-east-1' });
  });

  it('a whole-bucket exemption or override applies to the bucket; prefix rules do not', () => {
    const policy = context({
      policy: {
        exemptions: [{ bucket: 'scratch-bucket', prefix: '' }, { bucket: 'data-bucket', prefix: 'tmp/' }],
        overrides: [{ bucket: 'finance-bucket', prefix: '', requiredKey: OTHER, bucketKey: false }],
      },
    }).policy;
    expect(bucketRequirement(policy, 'scratch-bucket')).toEqual({ kind: 'exempt' });
    expect(bucketRequirement(policy, 'data-bucket')).toEqual({ kind: 'required', reference: REQUIRED, bucketKey: true, acceptDsseKms: true });
    expect(bucketRequirement(policy, 'finance-bucket')).toEqual({ kind: 'required', reference: OTHER, bucketKey: false, acceptDsseKms: true });
  });
});

describe('key references', () => {
  it('names the policy keys, then the bucket defaults and the replicas buckets elsewhere need', () => {
    const ctx = context({ policy: { requiredKey: MRK, overrides: [{ bucket: 'eu-bucket', prefix: 'finance/', requiredKey: 'alias/finance' }] } });
    expect(policyKeyReferences(ctx.policy, 'us-east-1')).toEqual([
      { region: 'us-east-1', reference: MRK, namedBy: ['REQUIRED_KMS_KEY'] },
      { region: 'us-east-1', reference: 'alias/finance', namedBy: ['POLICY.overrides (bucket eu-bucket, prefix finance/)'] },
    ]);
    const policyKeys = keyMap([['us-east-1', MRK, found(key(MRK))]]);
    const buckets = [
      bucket('eu-bucket', { region: 'eu-west-1', encryption: { ok: true, value: { kind: 'configured', rules: [rule({ kmsKeyReference: 'alias/eu-data' }), rule({ kmsKeyReference: undefined })] } } }),
      bucket('us-bucket', { encryption: { ok: true, value: { kind: 'configured', rules: [rule({ kmsKeyReference: MRK })] } } }),
      { kind: 'unreachable' as const, name: 'gone-bucket', arn: 'arn:aws:s3:::gone-bucket', error: { operation: 'GetBucketLocation', code: 'NoSuchBucket', message: 'gone' } },
    ];
    const required = { kind: 'required', reference: MRK, bucketKey: true, acceptDsseKms: true } as const;
    expect(buckets.flatMap((each) => bucketKeyReferences(each, required, policyKeys, ctx))).toEqual([
      { region: 'eu-west-1', reference: MRK_EU, namedBy: ['bucket eu-bucket (replica of arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef)'] },
      { region: 'eu-west-1', reference: 'alias/eu-data', namedBy: ['bucket eu-bucket default encryption'] },
      { region: 'us-east-1', reference: MRK, namedBy: ['bucket us-bucket default encryption'] },
    ]);
  });
});

describe('runChecks', () => {
  it('runs every check over every bucket and key, one set of key findings per key however it is named', () => {
    const findings = runChecks(
      facts(
        [bucket('data-bucket', { encryption: { ok: true, value: { kind: 'configured', rules: [rule({ kmsKeyReference: 'alias/data' })] } } })],
        [
          ['us-east-1', REQUIRED, found(key(REQUIRED))],
          ['us-east-1', 'alias/data', found(key(REQUIRED))],
        ],
      ),
      context(),
    );
    expect(findings.map((finding) => [finding.check, finding.resource, finding.status])).toEqual([
      ['s3-policy-denies-wrong-key', 'arn:aws:s3:::data-bucket', 'failed'],
      ['s3-tls-only-policy', 'arn:aws:s3:::data-bucket', 'failed'],
      ['kms-key-state', REQUIRED, 'passed'],
      ['s3-default-encryption-kms', 'arn:aws:s3:::data-bucket', 'passed'],
      ['s3-realtime-coverage', 'arn:aws:s3:::data-bucket', 'passed'],
      ['kms-key-role-separation', REQUIRED, 'passed'],
      ['kms-key-rotation', REQUIRED, 'passed'],
      ['s3-sse-c-blocked', 'arn:aws:s3:::data-bucket', 'passed'],
      ['s3-bucket-key-enabled', 'arn:aws:s3:::data-bucket', 'passed'],
    ]);
  });

  it('a bucket that cannot be reached gets an error finding per check, and the others are still judged', () => {
    const findings = runChecks(
      facts(
        [
          { kind: 'unreachable', name: 'gone-bucket', arn: 'arn:aws:s3:::gone-bucket', error: { operation: 'GetBucketLocation', code: 'NoSuchBucket', message: 'gone' } },
          bucket('data-bucket'),
        ],
        [['us-east-1', REQUIRED, found(key(REQUIRED))]],
      ),
      context({ settings: { objectSampleSize: 5 } }),
    );
    const gone = findings.filter((finding) => finding.resource === 'arn:aws:s3:::gone-bucket');
    expect(gone.map((finding) => [finding.check, finding.status, finding.observed])).toEqual(
      ['s3-default-encryption-kms', 's3-object-sample', 's3-policy-denies-wrong-key', 's3-realtime-coverage', 's3-sse-c-blocked', 's3-tls-only-policy'].map((check) => [
        check,
        'error',
        'GetBucketLocation failed with NoSuchBucket',
      ]),
    );
    expect(findings.some((finding) => finding.resource === 'arn:aws:s3:::data-bucket' && finding.status === 'passed')).toBe(true);
  });

  it('keys that do not exist or cannot be described become findings under a stable ARN', () => {
    const findings = runChecks(
      facts(
        [],
        [
          ['us-east-1', REQUIRED, found(key(REQUIRED))],
          ['us-east-1', 'alias/gone', { kind: 'not-found' }],
          ['eu-west-1', 'alias/locked', { kind: 'error', error: { operation: 'DescribeKey', code: 'AccessDeniedException', message: 'no' } }],
        ],
        [
          { region: 'us-east-1', reference: REQUIRED, namedBy: ['REQUIRED_KMS_KEY'] },
          { region: 'us-east-1', reference: 'alias/gone', namedBy: ['bucket a default encryption'] },
          { region: 'eu-west-1', reference: 'alias/locked', namedBy: ['bucket b default encryption'] },
        ],
      ),
      context(),
    );
    expect(findings.filter((finding) => finding.check === 'kms-key-state').map((finding) => [finding.id, finding.status, finding.severity, finding.related])).toEqual([
      [findingId('kms-key-state', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/gone`), 'failed', 'critical', ['bucket a default encryption']],
      [findingId('kms-key-state', `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/locked`), 'error', 'medium', ['bucket b default encryption']],
      [findingId('kms-key-state', REQUIRED), 'passed', 'high', ['REQUIRED_KMS_KEY']],
    ]);
  });

  it('a bucket in another region than the required key gets the region finding', () => {
    const findings = runChecks(facts([bucket('eu-bucket', { region: 'eu-west-1', arn: 'arn:aws:s3:::eu-bucket' })], [['us-east-1', REQUIRED, found(key(REQUIRED))]]), context());
    expect(findings.find((finding) => finding.id === findingId('kms-key-state', 'arn:aws:s3:::eu-bucket', 'required-key-region'))).toMatchObject({
      status: 'failed',
      region: 'eu-west-1',
    });
  });

  it('the same facts give the same ids, night after night', () => {
    const once = runChecks(facts([bucket('data-bucket')], [['us-east-1', REQUIRED, found(key(REQUIRED))]]), context());
    const again = runChecks(facts([bucket('data-bucket')], [['us-east-1', REQUIRED, found(key(REQUIRED))]]), context());
    expect(again.map((finding) => finding.id)).toEqual(once.map((finding) => finding.id));
    expect(new Set(once.map((finding) => finding.id)).size).toBe(once.length);
  });
});
