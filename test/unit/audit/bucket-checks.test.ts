import { describe, expect, it } from 'vitest';
import { requiredKeyInRegion } from '../../../shared/audit/audit-context.js';
import type { BucketCheckInput, InspectedBucket } from '../../../shared/audit/checks/bucket-check-input.js';
import { checkBucketKey } from '../../../shared/audit/checks/bucket-key.js';
import { checkDefaultEncryption } from '../../../shared/audit/checks/default-encryption.js';
import { checkObjectSample } from '../../../shared/audit/checks/object-sample.js';
import { checkPolicyDeniesWrongKey } from '../../../shared/audit/checks/policy-denies-wrong-key.js';
import { checkRealtimeCoverage } from '../../../shared/audit/checks/realtime-coverage.js';
import { checkSseCBlocked } from '../../../shared/audit/checks/sse-c-blocked.js';
import { checkTlsOnlyPolicy } from '../../../shared/audit/checks/tls-only-policy.js';
import type { KeyLookup, SampledObject } from '../../../shared/audit/audit-facts.js';
import { findingId } from '../../../shared/audit/finding.js';
import { ACCOUNT, MRK, MRK_EU, OTHER, REQUIRED, bucket, context, found, key, keyMap, rule } from './fixtures.js';

const ARN = 'arn:aws:s3:::data-bucket';
const ACCESS_DENIED = { operation: 'GetBucketEncryption', code: 'AccessDenied', message: 'Access Denied' };

const defaultKeys = (): [string, string, KeyLookup][] => [
  ['us-east-1', REQUIRED, found(key(REQUIRED))],
  ['us-east-1', OTHER, found(key(OTHER))],
  ['us-east-1', 'alias/data', found(key(REQUIRED))],
  ['us-east-1', 'alias/aws/s3', found(key('arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333', { manager: 'AWS' }))],
  ['us-east-1', 'alias/gone', { kind: 'not-found' }],
];

const input = (overrides: Partial<InspectedBucket> = {}, options: Parameters<typeof context>[0] & { keys?: [string, string, KeyLookup][] } = {}): BucketCheckInput => {
  const ctx = context(options);
  const facts = bucket('data-bucket', overrides);
  const keys = keyMap(options.keys ?? defaultKeys());
  return {
    bucket: facts,
    requirement: { kind: 'required', reference: ctx.policy.requiredKey, bucketKey: ctx.policy.bucketKey, acceptDsseKms: ctx.policy.acceptDsseKms },
    requiredKey: requiredKeyInRegion(keys, ctx.homeRegion, ctx.policy.requiredKey, facts.region),
    keys,
    context: ctx,
  };
};

const withRules = (...rules: ReturnType<typeof rule>[]): Partial<InspectedBucket> => ({ encryption: { ok: true, value: { kind: 'configured', rules } } });

describe('s3-default-encryption-kms', () => {
  it('passes when every rule is SSE-KMS under the required key, and the finding is complete', () => {
    expect(checkDefaultEncryption(input())).toEqual({
      id: findingId('s3-default-encryption-kms', ARN),
      check: 's3-default-encryption-kms',
      severity: 'high',
      status: 'passed',
      resource: ARN,
      resourceType: 'AwsS3Bucket',
      region: 'us-east-1',
      title: 'Bucket default encryption is SSE-KMS with the required key',
      observed: `rule 1: SSE-KMS with ${REQUIRED}, bucket key on`,
      expected: `every default encryption rule is SSE-KMS or DSSE-KMS with ${REQUIRED}`,
      remediation: expect.stringContaining('PutBucketEncryption'),
      controls: ['AWS Config s3-default-encryption-kms', 'Security Hub S3.17', 'CIS AWS Foundations 1.4.0 2.1.1', 'PCI DSS v3.2.1 3.4', 'PCI DSS v4.0 3.5.1'],
    });
  });

  it('resolves an alias in the rule and compares key ARNs', () => {
    expect(checkDefaultEncryption(input(withRules(rule({ kmsKeyReference: 'alias/data' }))))).toMatchObject({
      status: 'passed',
      observed: `rule 1: SSE-KMS with ${REQUIRED} (named as alias/data), bucket key on`,
    });
  });

  it.each([
    ['no configuration at all', { encryption: { ok: true as const, value: { kind: 'none' as const } } }, 'no default encryption configuration'],
    ['SSE-S3', withRules(rule({ algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false })), 'rule 1: SSE-S3 (AES256)'],
    ['aws:kms without a key id', withRules(rule({ kmsKeyReference: undefined })), 'rule 1: SSE-KMS with the AWS-managed key aws/s3, bucket key on'],
    [
      'the aws/s3 alias',
      withRules(rule({ kmsKeyReference: 'alias/aws/s3', bucketKeyEnabled: false })),
      'rule 1: SSE-KMS with arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333 (named as alias/aws/s3) (AWS-managed)',
    ],
    ['another key', withRules(rule({ kmsKeyReference: OTHER })), `rule 1: SSE-KMS with ${OTHER}, bucket key on`],
    ['a key that does not exist', withRules(rule({ kmsKeyReference: 'alias/gone' })), 'rule 1: SSE-KMS with alias/gone, which does not exist, bucket key on'],
    ['the right first rule and a wrong second one', withRules(rule(), rule({ algorithm: 'AES256', kmsKeyReference: undefined })), `rule 1: SSE-KMS with ${REQUIRED}, bucket key on; rule 2: SSE-S3 (AES256)`],
  ])('fails for %s', (_case, overrides, observed) => {
    expect(checkDefaultEncryption(input(overrides))).toMatchObject({ status: 'failed', severity: 'high', observed });
  });

  it('accepts DSSE-KMS under the required key unless POLICY refuses it', () => {
    const dsse = withRules(rule({ algorithm: 'aws:kms:dsse', bucketKeyEnabled: false }));
    expect(checkDefaultEncryption(input(dsse))).toMatchObject({ status: 'passed', observed: `rule 1: DSSE-KMS with ${REQUIRED}` });
    expect(checkDefaultEncryption(input(dsse, { policy: { acceptDsseKms: false } }))).toMatchObject({
      status: 'failed',
      expected: `every default encryption rule is SSE-KMS with ${REQUIRED}`,
    });
  });

  it('uses the override key for a bucket that POLICY gives its own key', () => {
    const ctx = input(withRules(rule({ kmsKeyReference: OTHER })), { policy: { overrides: [{ bucket: 'data-bucket', prefix: '', requiredKey: OTHER }] } });
    const keys = ctx.keys;
    const requiredKey = requiredKeyInRegion(keys, 'us-east-1', OTHER, 'us-east-1');
    expect(checkDefaultEncryption({ ...ctx, requirement: { ...ctx.requirement, reference: OTHER }, requiredKey })).toMatchObject({ status: 'passed' });
  });

  it('needs a key in the bucket region: a single-Region key elsewhere fails', () => {
    const eu = input({ region: 'eu-west-1', arn: ARN });
    expect(checkDefaultEncryption(eu)).toMatchObject({
      status: 'failed',
      region: 'eu-west-1',
      observed: `rule 1: SSE-KMS with ${REQUIRED}, bucket key on; the required key ${REQUIRED} is a single-Region key in us-east-1; S3 needs a key in eu-west-1`,
    });
  });

  it('takes the replica of a multi-Region required key in the bucket region', () => {
    const keys: [string, string, KeyLookup][] = [
      ['us-east-1', MRK, found(key(MRK, { multiRegionType: 'PRIMARY' }))],
      ['eu-west-1', MRK_EU, found(key(MRK_EU, { multiRegionType: 'REPLICA', primaryArn: MRK }))],
    ];
    const eu = input({ region: 'eu-west-1', ...withRules(rule({ kmsKeyReference: MRK_EU })) }, { policy: { requiredKey: MRK }, keys });
    expect(checkDefaultEncryption(eu)).toMatchObject({ status: 'passed', expected: `every default encryption rule is SSE-KMS or DSSE-KMS with ${MRK_EU}` });
  });

  it.each([
    ['a configuration with no rules', withRules(), 'no default encryption configuration'],
    ['SSE-S3 carrying the required key id, which S3 ignores', withRules(rule({ algorithm: 'AES256', bucketKeyEnabled: false })), 'rule 1: SSE-S3 (AES256)'],
    ['an algorithm S3 does not document', withRules(rule({ algorithm: 'aws:future', bucketKeyEnabled: false })), 'rule 1: unrecognised algorithm aws:future'],
    ['a rule with no algorithm', withRules(rule({ algorithm: undefined, bucketKeyEnabled: false })), 'rule 1: unrecognised algorithm (none)'],
    ['a key that was not described', withRules(rule({ kmsKeyReference: 'alias/unlooked', bucketKeyEnabled: false })), 'rule 1: SSE-KMS with alias/unlooked, which could not be described'],
    ['DSSE-KMS under the AWS-managed key', withRules(rule({ algorithm: 'aws:kms:dsse', kmsKeyReference: undefined, bucketKeyEnabled: false })), 'rule 1: DSSE-KMS with the AWS-managed key aws/s3'],
  ])('fails for %s, and says so', (_case, overrides, observed) => {
    expect(checkDefaultEncryption(input(overrides))).toMatchObject({ status: 'failed', observed });
  });

  it('is an error finding when the required key could not be resolved', () => {
    const unresolved = input({}, { keys: [] });
    expect(checkDefaultEncryption(unresolved)).toMatchObject({
      status: 'error',
      observed: 'DescribeKey failed with NotLookedUp',
      expected: 'Bucket default encryption is SSE-KMS with the required key',
    });
  });

  it('an unreadable configuration is an error finding, not a pass or a fail', () => {
    expect(checkDefaultEncryption(input({ encryption: { ok: false, error: ACCESS_DENIED } }))).toMatchObject({
      id: findingId('s3-default-encryption-kms', ARN),
      status: 'error',
      severity: 'medium',
      observed: 'GetBucketEncryption failed with AccessDenied',
      title: 'Bucket default encryption is SSE-KMS with the required key: could not be checked (Access Denied)',
    });
  });
});

describe('s3-bucket-key-enabled', () => {
  it('passes with bucket keys on every SSE-KMS rule and fails with one off', () => {
    expect(checkBucketKey(input())).toMatchObject({ status: 'passed', severity: 'low', observed: 'rule 1: bucket key on' });
    expect(checkBucketKey(input(withRules(rule({ bucketKeyEnabled: false }))))).toMatchObject({ status: 'failed', severity: 'low', observed: 'rule 1: bucket key off' });
  });

  it('numbers the SSE-KMS rules as the configuration does, and says what it expects', () => {
    const mixed = withRules(rule({ algorithm: 'AES256', kmsKeyReference: undefined }), rule({ bucketKeyEnabled: false }), rule());
    expect(checkBucketKey(input(mixed))).toMatchObject({
      status: 'failed',
      expected: 'BucketKeyEnabled true on every SSE-KMS rule',
      observed: 'rule 2: bucket key off; rule 3: bucket key on',
    });
    expect(checkBucketKey(input({ encryption: { ok: true, value: { kind: 'none' } } }))).toBeUndefined();
  });

  it('has nothing to say for SSE-S3 or DSSE-KMS defaults, or when POLICY turns bucket keys off', () => {
    expect(checkBucketKey(input(withRules(rule({ algorithm: 'AES256', kmsKeyReference: undefined }))))).toBeUndefined();
    expect(checkBucketKey(input(withRules(rule({ algorithm: 'aws:kms:dsse', bucketKeyEnabled: false }))))).toBeUndefined();
    expect(checkBucketKey(input(withRules(rule({ bucketKeyEnabled: false })), { policy: { bucketKey: false } }))).toBeUndefined();
    // An unreadable default is s3-default-encryption-kms's error to report, not a second one here.
    expect(checkBucketKey(input({ encryption: { ok: false, error: ACCESS_DENIED } }))).toBeUndefined();
  });
});

describe('s3-sse-c-blocked', () => {
  it('reads the blocked types of every rule once, in any case, and says what it expects', () => {
    expect(checkSseCBlocked(input(withRules(rule({ blockedEncryptionTypes: ['NONE'] }), rule({ blockedEncryptionTypes: ['sse-c', 'NONE'] }))))).toMatchObject({
      status: 'passed',
      expected: 'BlockedEncryptionTypes includes SSE-C',
      observed: 'blocked encryption types: NONE, sse-c',
    });
    expect(checkSseCBlocked(input({ encryption: { ok: true, value: { kind: 'none' } } }))).toMatchObject({
      observed: 'no encryption configuration, so SSE-C uploads are not blocked',
    });
    expect(checkSseCBlocked(input({ encryption: { ok: false, error: ACCESS_DENIED } }))).toMatchObject({ status: 'error', observed: 'GetBucketEncryption failed with AccessDenied' });
  });

  it('passes when BlockedEncryptionTypes names SSE-C, fails otherwise', () => {
    expect(checkSseCBlocked(input())).toMatchObject({ status: 'passed', severity: 'medium', observed: 'blocked encryption types: SSE-C' });
    expect(checkSseCBlocked(input(withRules(rule({ blockedEncryptionTypes: ['NONE'] }))))).toMatchObject({ status: 'failed', observed: 'blocked encryption types: NONE' });
    expect(checkSseCBlocked(input(withRules(rule({ blockedEncryptionTypes: [] }))))).toMatchObject({ status: 'failed', observed: 'no encryption type is blocked' });
    expect(checkSseCBlocked(input({ encryption: { ok: true, value: { kind: 'none' } } }))).toMatchObject({ status: 'failed' });
  });
});

describe('s3-tls-only-policy and s3-policy-denies-wrong-key', () => {
  const policy = JSON.stringify({
    Statement: [
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:*'], Resource: [ARN, `${ARN}/*`], Condition: { Bool: { 'aws:SecureTransport': [false] } } },
      { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${ARN}/*`, Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED } } },
    ],
  });

  it('pass on a policy that has both, in awkward but valid forms', () => {
    const withPolicy = input({ policy: { ok: true, value: policy } });
    expect(checkTlsOnlyPolicy(withPolicy)).toMatchObject({ check: 's3-tls-only-policy', status: 'passed', severity: 'medium' });
    expect(checkPolicyDeniesWrongKey(withPolicy)).toMatchObject({ check: 's3-policy-denies-wrong-key', status: 'passed', severity: 'medium' });
  });

  it('fail without a policy, and are errors when it cannot be read', () => {
    expect(checkTlsOnlyPolicy(input())).toMatchObject({ status: 'failed', observed: 'the bucket has no bucket policy' });
    expect(checkPolicyDeniesWrongKey(input())).toMatchObject({ status: 'failed', observed: 'the bucket has no bucket policy' });
    const denied = input({ policy: { ok: false, error: { ...ACCESS_DENIED, operation: 'GetBucketPolicy' } } });
    expect(checkTlsOnlyPolicy(denied)).toMatchObject({ status: 'error', observed: 'GetBucketPolicy failed with AccessDenied' });
    expect(checkPolicyDeniesWrongKey(denied)).toMatchObject({ status: 'error' });
  });

  it('say what they expect, and the wrong-key deny is an error when the required key could not be resolved', () => {
    expect(checkTlsOnlyPolicy(input())).toMatchObject({
      expected: `a Deny for Principal "*" of s3:* on ${ARN} and ${ARN}/* when aws:SecureTransport is false`,
    });
    expect(checkPolicyDeniesWrongKey(input())).toMatchObject({
      expected: `a Deny for Principal "*" of s3:PutObject on ${ARN}/* unless s3:x-amz-server-side-encryption-aws-kms-key-id is ${REQUIRED}`,
    });
    expect(checkPolicyDeniesWrongKey(input({ policy: { ok: true, value: policy } }, { keys: [] }))).toMatchObject({
      status: 'error',
      observed: 'DescribeKey failed with NotLookedUp',
      expected: `a Deny for Principal "*" of s3:PutObject on ${ARN}/* unless s3:x-amz-server-side-encryption-aws-kms-key-id is the required key (${REQUIRED}) usable in us-east-1`,
    });
  });

  it('the wrong-key deny must name the required key for the bucket region', () => {
    const eu = input({ region: 'eu-west-1', policy: { ok: true, value: policy } });
    expect(checkPolicyDeniesWrongKey(eu)).toMatchObject({ status: 'failed', observed: expect.stringContaining('S3 needs a key in eu-west-1') });
  });
});

describe('s3-realtime-coverage', () => {
  const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:enforcer`;
  const FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:enforce-object-encryption`;
  const notifying = (eventBridge: boolean, ...targets: { kind: 'queue' | 'function' | 'topic'; arn: string; events: string[]; filters?: { name: string; value: string }[] }[]): Partial<InspectedBucket> => ({
    notifications: { ok: true, value: { eventBridge, targets: targets.map((target) => ({ filters: [], ...target })) } },
  });
  const enforcer = { queueArns: [QUEUE], functionArns: [FUNCTION], topicArns: [] };

  it.each([
    ['EventBridge notifications', notifying(true)],
    ['s3:ObjectCreated:* to the enforcer queue', notifying(false, { kind: 'queue', arn: QUEUE, events: ['s3:ObjectCreated:*'] })],
    ['each created event to the enforcer function, with a qualifier', notifying(false, { kind: 'function', arn: `${FUNCTION}:live`, events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:Post', 's3:ObjectCreated:Copy', 's3:ObjectCreated:CompleteMultipartUpload'] })],
  ])('is covered by %s', (_case, overrides) => {
    expect(checkRealtimeCoverage(input(overrides, { enforcer }))).toMatchObject({ status: 'passed', severity: 'high' });
  });

  it.each([
    ['nothing', notifying(false), 'no notification reaches the enforcer and EventBridge notifications are off'],
    [
      'another queue',
      notifying(false, { kind: 'queue', arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:other`, events: ['s3:ObjectCreated:*'] }),
      `no notification reaches the enforcer; the bucket notifies queue arn:aws:sqs:us-east-1:${ACCOUNT}:other (s3:ObjectCreated:*)`,
    ],
    [
      'Put only',
      notifying(false, { kind: 'queue', arn: QUEUE, events: ['s3:ObjectCreated:Put'] }),
      `notifications to the enforcer miss s3:ObjectCreated:Post, s3:ObjectCreated:Copy, s3:ObjectCreated:CompleteMultipartUpload: queue ${QUEUE} (s3:ObjectCreated:Put)`,
    ],
    [
      'a prefix filter',
      notifying(false, { kind: 'queue', arn: QUEUE, events: ['s3:ObjectCreated:*'], filters: [{ name: 'prefix', value: 'uploads/' }] }),
      `notifications to the enforcer miss s3:ObjectCreated:Put, s3:ObjectCreated:Post, s3:ObjectCreated:Copy, s3:ObjectCreated:CompleteMultipartUpload: queue ${QUEUE} (s3:ObjectCreated:* for keys with prefix "uploads/")`,
    ],
  ])('is not covered by %s', (_case, overrides, observed) => {
    expect(checkRealtimeCoverage(input(overrides, { enforcer }))).toMatchObject({ status: 'failed', severity: 'high', observed });
  });

  it('is covered by the enforcer topic, and names every enforcer target in what it expects', () => {
    const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:enforcer`;
    const all = { queueArns: [QUEUE], functionArns: [FUNCTION], topicArns: [TOPIC] };
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'topic', arn: TOPIC, events: ['s3:ObjectCreated:*'] }), { enforcer: all }))).toMatchObject({
      status: 'passed',
      observed: `object-created events go to topic ${TOPIC} (s3:ObjectCreated:*)`,
      expected: `EventBridge notifications on, or s3:ObjectCreated:* without a filter to ${QUEUE} or ${FUNCTION} or ${TOPIC}`,
    });
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'topic', arn: TOPIC, events: ['s3:ObjectCreated:*'] }), { enforcer }))).toMatchObject({ status: 'failed' });
  });

  it('matches each kind of target against the enforcer target of that kind only', () => {
    // The queue's ARN sent to as a function, or a function with no enforcer function configured, reaches nothing.
    const queueOnly = { queueArns: [QUEUE], functionArns: [], topicArns: [] };
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'function', arn: FUNCTION, events: ['s3:ObjectCreated:*'] }), { enforcer: queueOnly }))).toMatchObject({ status: 'failed' });
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'topic', arn: QUEUE, events: ['s3:ObjectCreated:*'] }), { enforcer }))).toMatchObject({ status: 'failed' });
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'queue', arn: QUEUE, events: ['s3:ObjectCreated:*'] }), { enforcer: { queueArns: [], functionArns: [FUNCTION], topicArns: [] } }))).toMatchObject({ status: 'failed' });
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'function', arn: `${FUNCTION}-other`, events: ['s3:ObjectCreated:*'] }), { enforcer }))).toMatchObject({ status: 'failed' });
  });

  it('takes the enforcer of the bucket\'s own region among several, and says when there is none there', () => {
    const WEST = `arn:aws:sqs:eu-west-1:${ACCOUNT}:enforcer`;
    const regional = { queueArns: [QUEUE, WEST], functionArns: [], topicArns: [] };
    const west = input({ region: 'eu-west-1', ...notifying(false, { kind: 'queue', arn: WEST, events: ['s3:ObjectCreated:*'] }) }, { enforcer: regional });
    expect(checkRealtimeCoverage(west)).toMatchObject({ status: 'passed', expected: `EventBridge notifications on, or s3:ObjectCreated:* without a filter to ${WEST}` });
    const paris = input({ region: 'eu-west-3', ...notifying(false) }, { enforcer: regional });
    expect(checkRealtimeCoverage(paris)).toMatchObject({
      status: 'failed',
      expected: 'EventBridge notifications on, or s3:ObjectCreated:* without a filter to the enforcer, which is not deployed in eu-west-3 (it listens in eu-west-1, us-east-1)',
    });
  });

  it('adds up the events of several unfiltered targets, and lists them all', () => {
    const split = notifying(
      false,
      { kind: 'queue', arn: QUEUE, events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:Post'] },
      { kind: 'function', arn: FUNCTION, events: ['s3:ObjectCreated:Copy', 's3:ObjectCreated:CompleteMultipartUpload'] },
    );
    expect(checkRealtimeCoverage(input(split, { enforcer }))).toMatchObject({
      status: 'passed',
      observed: `object-created events go to queue ${QUEUE} (s3:ObjectCreated:Put, s3:ObjectCreated:Post) and function ${FUNCTION} (s3:ObjectCreated:Copy, s3:ObjectCreated:CompleteMultipartUpload)`,
    });
  });

  it('describes targets with no events and with several filters', () => {
    const other = `arn:aws:sqs:us-east-1:${ACCOUNT}:other`;
    const targets = notifying(
      false,
      { kind: 'queue', arn: other, events: [] },
      { kind: 'queue', arn: QUEUE, events: ['s3:ObjectCreated:*'], filters: [{ name: 'prefix', value: 'in/' }, { name: 'suffix', value: '.csv' }] },
    );
    expect(checkRealtimeCoverage(input(targets, { enforcer }))).toMatchObject({
      status: 'failed',
      observed: `notifications to the enforcer miss s3:ObjectCreated:Put, s3:ObjectCreated:Post, s3:ObjectCreated:Copy, s3:ObjectCreated:CompleteMultipartUpload: queue ${QUEUE} (s3:ObjectCreated:* for keys with prefix "in/" and suffix ".csv")`,
    });
    expect(checkRealtimeCoverage(input(notifying(false, { kind: 'queue', arn: other, events: [] }, { kind: 'topic', arn: other, events: ['s3:ObjectCreated:Put'] }), { enforcer }))).toMatchObject({
      observed: `no notification reaches the enforcer; the bucket notifies queue ${other} (no events), topic ${other} (s3:ObjectCreated:Put)`,
    });
  });

  it('passes on EventBridge, saying the rule is not verified, and reports unreadable notifications as an error', () => {
    expect(checkRealtimeCoverage(input(notifying(true), { enforcer }))).toMatchObject({
      observed: 'EventBridge notifications are on (the EventBridge rule to the enforcer is not verified here)',
    });
    const denied = input({ notifications: { ok: false, error: { operation: 'GetBucketNotificationConfiguration', code: 'AccessDenied', message: 'no' } } }, { enforcer });
    expect(checkRealtimeCoverage(denied)).toMatchObject({ status: 'error', observed: 'GetBucketNotificationConfiguration failed with AccessDenied' });
  });

  it('says when no enforcer target is configured', () => {
    expect(checkRealtimeCoverage(input(notifying(false)))).toMatchObject({
      status: 'failed',
      expected: 'EventBridge notifications on, or s3:ObjectCreated:* without a filter to the enforcer (ENFORCER_QUEUE_ARN / ENFORCER_FUNCTION_ARN / ENFORCER_TOPIC_ARN not configured)',
    });
  });
});

describe('s3-object-sample', () => {
  const object = (name: string, headers: { serverSideEncryption?: string; kmsKeyId?: string } | 'sse-c' | 'gone' | 'denied'): SampledObject => ({
    key: name,
    inspection:
      headers === 'denied'
        ? { ok: false, error: { operation: 'HeadObject', code: 'AccessDenied', message: 'Access Denied' } }
        : {
            ok: true,
            value: headers === 'sse-c' ? { kind: 'customer-key-required' } : headers === 'gone' ? { kind: 'not-found' } : { kind: 'found', object: { eTag: '"e"', sizeBytes: 1, ...headers } },
          },
  });
  const sampled = (...objects: SampledObject[]): Partial<InspectedBucket> => ({ sample: { ok: true, value: objects } });

  it('is off when no sample was taken', () => {
    expect(checkObjectSample(input())).toBeUndefined();
  });

  it('names the objects that are not under the required key, as the enforcer judges them', () => {
    const finding = checkObjectSample(
      input(
        sampled(
          object('ok.txt', { serverSideEncryption: 'aws:kms', kmsKeyId: REQUIRED }),
          object('plain.txt', {}),
          object('s3.txt', { serverSideEncryption: 'AES256' }),
          object('secret.bin', 'sse-c'),
          object('deleted.txt', 'gone'),
          object('tmp/scratch', {}),
          object('finance/ok.csv', { serverSideEncryption: 'aws:kms', kmsKeyId: OTHER }),
        ),
        { policy: { exemptions: [{ bucket: 'data-bucket', prefix: 'tmp/' }], overrides: [{ bucket: 'data-bucket', prefix: 'finance/', requiredKey: OTHER }] } },
      ),
    );
    expect(finding).toMatchObject({
      status: 'failed',
      severity: 'high',
      observed: '3 of 5 sampled object(s) not under the required key: plain.txt (unencrypted), s3.txt (sse-s3), secret.bin (sse-c)',
    });
  });

  it('judges an object under a key POLICY names but the audit could not resolve as not compliant, even under aws/s3', () => {
    const finding = checkObjectSample(
      input(sampled(object('f/a', { serverSideEncryption: 'aws:kms' })), { policy: { overrides: [{ bucket: 'data-bucket', prefix: 'f/', requiredKey: 'alias/unknown' }] } }),
    );
    expect(finding).toMatchObject({ status: 'failed', observed: '1 of 1 sampled object(s) not under the required key: f/a (sse-kms(aws/s3))' });
  });

  it('says which failures kept objects from being inspected', () => {
    const throttled: SampledObject = { key: 't', inspection: { ok: false, error: { operation: 'HeadObject', code: 'SlowDown', message: 'slow' } } };
    expect(checkObjectSample(input(sampled(object('plain.txt', {}), object('a', 'denied'), throttled)))).toMatchObject({
      status: 'failed',
      observed: '1 of 1 sampled object(s) not under the required key: plain.txt (unencrypted); some objects could not be inspected (AccessDenied, SlowDown)',
    });
    // Nothing wrong among the objects it could inspect is not a pass while some could not be.
    expect(checkObjectSample(input(sampled(object('ok.txt', { serverSideEncryption: 'aws:kms', kmsKeyId: REQUIRED }), throttled, object('a', 'denied'))))).toMatchObject({
      status: 'error',
      observed: 'HeadObject failed with AccessDenied,SlowDown',
      title: 'Most recent objects are under the required key: could not be checked (2 kind(s) of failure inspecting sampled objects)',
    });
    expect(checkObjectSample(input(sampled(throttled, object('a', 'denied'))))).toMatchObject({
      status: 'error',
      observed: 'HeadObject failed with AccessDenied,SlowDown',
      title: 'Most recent objects are under the required key: could not be checked (2 kind(s) of failure inspecting sampled objects)',
    });
  });

  it('lists at most 20 objects by name, and counts the rest', () => {
    const plain = (count: number) => sampled(...Array.from({ length: count }, (_, index) => object(`o${index + 1}`, {})));
    const names = (count: number) => Array.from({ length: count }, (_, index) => `o${index + 1} (unencrypted)`).join(', ');
    expect(checkObjectSample(input(plain(20)))).toMatchObject({ observed: `20 of 20 sampled object(s) not under the required key: ${names(20)}` });
    expect(checkObjectSample(input(plain(22)))).toMatchObject({ observed: `22 of 22 sampled object(s) not under the required key: ${names(20)}, and 2 more` });
  });

  it('says what it expects', () => {
    expect(checkObjectSample(input(sampled()))).toMatchObject({ status: 'passed', expected: 'every sampled object is under the required key', observed: '0 sampled object(s) under the required key' });
  });

  it('passes when every sampled object is compliant, and is an error when none could be inspected', () => {
    expect(checkObjectSample(input(sampled(object('ok.txt', { serverSideEncryption: 'aws:kms', kmsKeyId: REQUIRED }))))).toMatchObject({
      status: 'passed',
      observed: '1 sampled object(s) under the required key',
    });
    expect(checkObjectSample(input(sampled(object('a', 'denied'))))).toMatchObject({ status: 'error', observed: 'HeadObject failed with AccessDenied' });
    expect(checkObjectSample(input({ sample: { ok: false, error: { operation: 'ListObjectsV2', code: 'AccessDenied', message: 'no' } } }))).toMatchObject({
      status: 'error',
      observed: 'ListObjectsV2 failed with AccessDenied',
    });
  });
});

describe('finding text', () => {
  it('describes a long policy without reproducing it', async () => {
    const { makeFinding, FINDING_TEXT_LIMIT } = await import('../../../shared/audit/checks/make-finding.js');
    const { CHECKS } = await import('../../../shared/audit/checks-catalogue.js');
    const finding = makeFinding(CHECKS['s3-tls-only-policy'], { resource: 'arn:aws:s3:::b', region: 'us-east-1', status: 'failed', observed: 'x'.repeat(12_000), expected: 'a TLS-only deny' });
    expect(finding.observed).toHaveLength(FINDING_TEXT_LIMIT);
    expect(finding.observed).toMatch(/^x+… \(11025 more characters\)$/);
    expect(finding.expected).toBe('a TLS-only deny');
  });

  it('keeps a text of exactly the limit whole, and leaves out an empty related list', async () => {
    const { makeFinding, FINDING_TEXT_LIMIT } = await import('../../../shared/audit/checks/make-finding.js');
    const { CHECKS } = await import('../../../shared/audit/checks-catalogue.js');
    const text = 'y'.repeat(FINDING_TEXT_LIMIT);
    const finding = makeFinding(CHECKS['s3-tls-only-policy'], { resource: 'arn:aws:s3:::b', region: 'us-east-1', status: 'failed', observed: text, expected: 'e', related: [] });
    expect(finding.observed).toBe(text);
    expect(finding).not.toHaveProperty('related');
  });

  it('an error finding quotes at most 300 characters of the error and says what the audit role needs', async () => {
    const { errorFinding } = await import('../../../shared/audit/checks/make-finding.js');
    const { CHECKS } = await import('../../../shared/audit/checks-catalogue.js');
    const check = CHECKS['s3-tls-only-policy'];
    const finding = errorFinding(check, { resource: 'arn:aws:s3:::b', region: 'us-east-1', error: { operation: 'GetBucketPolicy', code: 'AccessDenied', message: 'm'.repeat(400) } });
    expect(finding).toMatchObject({
      status: 'error',
      severity: 'medium',
      expected: check.title,
      title: `${check.title}: could not be checked (${'m'.repeat(300)})`,
      remediation: 'Let the audit role call GetBucketPolicy on this resource (or find out why it failed: AccessDenied), then the check can run.',
    });
  });
});
