import { describe, expect, it } from 'vitest';
import { tlsOnlyDenyStatement, wrongKeyDenyStatements, type GuardrailStatement } from '../../../shared/prevention/guardrail-statements.js';
import { BUCKET_POLICY_MAX_BYTES, mergeGuardrails, type MergeOutcome } from '../../../shared/prevention/merge-policy.js';

const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';
const TARGET = { bucket: 'data-bucket', partition: 'aws' } as const;
const GUARDRAILS: GuardrailStatement[] = [...wrongKeyDenyStatements({ ...TARGET, requiredKeyArn: REQUIRED, acceptDsseKms: false }), tlsOnlyDenyStatement(TARGET)];
const SIDS = ['EnforcerDenyNonKmsEncryption', 'EnforcerDenyAwsManagedKey', 'EnforcerDenyOtherKmsKeys', 'EnforcerDenyInsecureTransport'];

/** A bucket shared with a partner account and served through CloudFront, as S3 returns it. */
const SHARED_BUCKET_POLICY = {
  Version: '2012-10-17',
  Id: 'data-bucket-policy',
  Statement: [
    {
      Sid: 'PartnerReadOnly',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::210987654321:role/partner-reader' },
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::data-bucket', 'arn:aws:s3:::data-bucket/*'],
    },
    {
      Sid: 'AllowCloudFrontServicePrincipalReadOnly',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::data-bucket/*',
      Condition: { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE' } },
    },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:DeleteObject',
      Resource: 'arn:aws:s3:::data-bucket/*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/data-admin' } },
    },
  ],
};

const changed = (outcome: MergeOutcome): { policy: string; added: readonly string[] } => {
  if (outcome.kind !== 'changed') throw new Error(`expected a change, got ${JSON.stringify(outcome)}`);
  return outcome;
};

describe('mergeGuardrails', () => {
  it('writes a new policy holding only the guardrails when the bucket has none', () => {
    const outcome = changed(mergeGuardrails(undefined, GUARDRAILS, TARGET));
    expect(outcome.policy).toBe(JSON.stringify({ Version: '2012-10-17', Statement: GUARDRAILS }));
    expect(outcome.added).toEqual(SIDS);
  });

  it('keeps every existing statement exactly, in its place, and appends the guardrails', () => {
    const outcome = changed(mergeGuardrails(JSON.stringify(SHARED_BUCKET_POLICY, null, 2), GUARDRAILS, TARGET));
    expect(outcome.policy).toBe(JSON.stringify({ ...SHARED_BUCKET_POLICY, Statement: [...SHARED_BUCKET_POLICY.Statement, ...GUARDRAILS] }));
    const merged = JSON.parse(outcome.policy) as typeof SHARED_BUCKET_POLICY;
    expect(Object.keys(merged)).toEqual(['Version', 'Id', 'Statement']);
    expect(merged.Statement.slice(0, 3)).toStrictEqual(SHARED_BUCKET_POLICY.Statement);
    expect(outcome.added).toEqual(SIDS);
  });

  it('turns a single Statement object into a list that starts with it, leaving the other keys where they were', () => {
    const single = { Statement: SHARED_BUCKET_POLICY.Statement[0], Version: '2012-10-17' };
    const outcome = changed(mergeGuardrails(JSON.stringify(single), GUARDRAILS, TARGET));
    expect(outcome.policy).toBe(JSON.stringify({ Statement: [single.Statement, ...GUARDRAILS], Version: '2012-10-17' }));
  });

  it('is idempotent: the policy it wrote gets no change on a second run', () => {
    const first = changed(mergeGuardrails(JSON.stringify(SHARED_BUCKET_POLICY), GUARDRAILS, TARGET));
    expect(mergeGuardrails(first.policy, GUARDRAILS, TARGET)).toEqual({ kind: 'unchanged' });
  });

  it('recognises its statements however S3 or a person rewrote them: key order, lists of one, case, booleans', () => {
    const rewritten = GUARDRAILS.map((statement) => ({
      Condition: Object.fromEntries(
        Object.entries(statement.Condition).map(([operator, block]) => [
          operator,
          Object.fromEntries(Object.entries(block).map(([key, value]) => [key.toUpperCase(), operator === 'Bool' ? false : Array.isArray(value) ? [...value].reverse() : [value]])),
        ]),
      ),
      Resource: Array.isArray(statement.Resource) ? [...statement.Resource].reverse() : [statement.Resource],
      Action: [String(statement.Action).toLowerCase()],
      Principal: { AWS: '*' },
      Effect: statement.Effect,
      Sid: statement.Sid,
    }));
    expect(mergeGuardrails(JSON.stringify({ Version: '2012-10-17', Statement: rewritten }), GUARDRAILS, TARGET)).toEqual({ kind: 'unchanged' });
  });

  it('adds only the guardrails that are missing', () => {
    const withTls = { ...SHARED_BUCKET_POLICY, Statement: [...SHARED_BUCKET_POLICY.Statement, tlsOnlyDenyStatement(TARGET)] };
    const outcome = changed(mergeGuardrails(JSON.stringify(withTls), GUARDRAILS, TARGET));
    expect(outcome.added).toEqual(SIDS.slice(0, 3));
    expect(outcome.policy).toBe(JSON.stringify({ ...withTls, Statement: [...withTls.Statement, ...GUARDRAILS.slice(0, 3)] }));
  });

  it('refuses, naming the Sid, when a statement of that name says something else: it is never rewritten', () => {
    const theirs = { ...wrongKeyDenyStatements({ ...TARGET, requiredKeyArn: OTHER, acceptDsseKms: false })[2] };
    const policy = JSON.stringify({ ...SHARED_BUCKET_POLICY, Statement: [...SHARED_BUCKET_POLICY.Statement, theirs] });
    expect(mergeGuardrails(policy, GUARDRAILS, TARGET)).toEqual({
      kind: 'refused',
      reason:
        'the bucket policy already has a statement "EnforcerDenyOtherKmsKeys" (statement 4) that differs from the guardrail of that name; it is left as it is: remove or rename it to let the guardrail be added',
    });
  });

  it.each([
    ['{"Version":"2012-10-17","Statement":[', 'the bucket policy is not valid JSON'],
    ['[]', 'the bucket policy is not an IAM policy document (not a JSON object)'],
    ['{"Version":"2012-10-17"}', 'the bucket policy is not an IAM policy document (no Statement list)'],
    ['{"Version":"2012-10-17","Statement":[]}', 'the bucket policy is not an IAM policy document (its Statement list is empty)'],
    ['{"Version":2012,"Statement":[]}', 'the bucket policy is not an IAM policy document (its Version is not a string)'],
    ['{"Statement":["Allow"]}', 'the bucket policy is not an IAM policy document: statement 1 is not a JSON object'],
    [
      '{"Statement":[{"Sid":"A","Effect":"Permit","Principal":"*","Action":"s3:*","Resource":"*"}]}',
      'the bucket policy is not an IAM policy document: statement "A" has no Effect "Allow" or "Deny"',
    ],
    ['{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}', 'the bucket policy is not an IAM policy document: statement 1 has no Action or NotAction'],
    ['{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"}]}', 'the bucket policy is not an IAM policy document: statement 1 has no Resource or NotResource'],
    ['{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}', 'the bucket policy is not an IAM policy document: statement 1 has no Principal or NotPrincipal'],
    ['{"Statement":[{"Sid":7,"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}', 'the bucket policy is not an IAM policy document: statement 1 has a Sid that is not a string'],
  ])('refuses %s: %s', (policy, reason) => {
    expect(mergeGuardrails(policy, GUARDRAILS, TARGET)).toEqual({ kind: 'refused', reason });
  });

  it(`refuses a result over S3's ${BUCKET_POLICY_MAX_BYTES}-byte limit, and accepts one just under it`, () => {
    const withObjects = (count: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ManyObjects',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::210987654321:root' },
            Action: 's3:GetObject',
            Resource: Array.from({ length: count }, (_, index) => `arn:aws:s3:::data-bucket/reports/${String(index).padStart(5, '0')}.csv`),
          },
        ],
      });
    const guardrailBytes = JSON.stringify(GUARDRAILS).length;
    const perObject = withObjects(2).length - withObjects(1).length;
    const fits = Math.floor((BUCKET_POLICY_MAX_BYTES - guardrailBytes - withObjects(0).length) / perObject);
    const accepted = changed(mergeGuardrails(withObjects(fits), GUARDRAILS, TARGET));
    expect(new TextEncoder().encode(accepted.policy).length).toBeLessThanOrEqual(BUCKET_POLICY_MAX_BYTES);
    const outcome = mergeGuardrails(withObjects(fits + 1), GUARDRAILS, TARGET);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.reason).toMatch(/^the bucket policy with the guardrails would be \d+ bytes, over S3's limit of 20480 bytes \(20 KB\)$/);
  });

  it('counts the size in bytes, not characters', () => {
    const wide = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Wide', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::data-bucket/${'é'.repeat(9800)}` }],
    });
    expect(wide.length).toBeLessThan(BUCKET_POLICY_MAX_BYTES - JSON.stringify(GUARDRAILS).length);
    expect(mergeGuardrails(wide, GUARDRAILS, TARGET).kind).toBe('refused');
  });
});

describe('mergeGuardrails refuses a policy that would lock administrators out', () => {
  const withStatement = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

  it.each([
    [
      'an unconditional Deny of s3:* to everyone',
      { Sid: 'Freeze', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::data-bucket' },
      'statement "Freeze" denies s3:PutBucketPolicy, s3:DeleteBucketPolicy, s3:GetBucketPolicy, s3:PutEncryptionConfiguration, s3:GetEncryptionConfiguration',
    ],
    [
      'a Deny of every action (`*`) on every resource',
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Resource: '*' },
      'statement 1 denies s3:PutBucketPolicy, s3:DeleteBucketPolicy, s3:GetBucketPolicy, s3:PutEncryptionConfiguration, s3:GetEncryptionConfiguration',
    ],
    [
      'StringNotEqualsIfExists on the key id over s3:*: the absent header matches',
      {
        Sid: 'RequireKey',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: ['arn:aws:s3:::data-bucket', 'arn:aws:s3:::data-bucket/*'],
        Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED } },
      },
      'statement "RequireKey" denies s3:PutBucketPolicy, s3:DeleteBucketPolicy, s3:GetBucketPolicy, s3:PutEncryptionConfiguration, s3:GetEncryptionConfiguration',
    ],
    [
      'a NotAction Deny that leaves policy management in',
      { Sid: 'ReadOnly', Effect: 'Deny', Principal: '*', NotAction: ['s3:Get*', 's3:List*'], Resource: 'arn:aws:s3:::data-bucket' },
      'statement "ReadOnly" denies s3:PutBucketPolicy, s3:DeleteBucketPolicy, s3:PutEncryptionConfiguration',
    ],
    [
      "a Deny to the whole account (its root: every administrator in it)",
      { Sid: 'NoPolicyChanges', Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:PutBucketPolicy', Resource: 'arn:aws:s3:::data-bucket' },
      'statement "NoPolicyChanges" denies s3:PutBucketPolicy',
    ],
    [
      'a Deny that applies over HTTPS',
      {
        Sid: 'Odd',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:GetEncryptionConfiguration',
        Resource: 'arn:aws:s3:::data-bucket',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
      'statement "Odd" denies s3:GetEncryptionConfiguration',
    ],
    [
      'a Deny on the bucket by wildcard name',
      { Sid: 'Prefix', Effect: 'Deny', Principal: '*', Action: 's3:Put*', Resource: 'arn:aws:s3:::data-*' },
      'statement "Prefix" denies s3:PutBucketPolicy, s3:PutEncryptionConfiguration',
    ],
  ])('%s', (_, statement, problem) => {
    expect(mergeGuardrails(withStatement(statement), GUARDRAILS, TARGET)).toEqual({
      kind: 'refused',
      reason: `the bucket policy would lock administrators out: ${problem} to every administrator, even over HTTPS without encryption headers`,
    });
  });

  it.each([
    ['the TLS-only Deny (it applies over HTTP only)', tlsOnlyDenyStatement(TARGET)],
    [
      "the owner's own exception for a principal",
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutBucketPolicy',
        Resource: 'arn:aws:s3:::data-bucket',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/security-admin' } },
      },
    ],
    ['a Deny to one role', { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::123456789012:role/intern' }, Action: 's3:*', Resource: 'arn:aws:s3:::data-bucket' }],
    ['a NotPrincipal Deny (it spares the principals it lists)', { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::123456789012:role/admin' }, Action: 's3:*', Resource: 'arn:aws:s3:::data-bucket' }],
    ['a Deny on objects only', { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::data-bucket/*' }],
    ['a Deny of another action', { Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: 'arn:aws:s3:::data-bucket' }],
    [
      'a Deny on an explicit AES256 header (administrators send none)',
      {
        Effect: 'Deny',
        Principal: '*',
        Action: '*',
        Resource: 'arn:aws:s3:::data-bucket',
        Condition: { StringEquals: { 's3:x-amz-server-side-encryption': 'AES256' } },
      },
    ],
    ['an Allow', { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::data-bucket' }],
  ])('but not %s', (_, statement) => {
    expect(mergeGuardrails(withStatement(statement), GUARDRAILS, TARGET).kind).toBe('changed');
  });

  it('the guardrails alone never lock anyone out, with or without DSSE-KMS', () => {
    for (const acceptDsseKms of [false, true]) {
      const statements = [...wrongKeyDenyStatements({ ...TARGET, requiredKeyArn: REQUIRED, acceptDsseKms }), tlsOnlyDenyStatement(TARGET)];
      expect(mergeGuardrails(undefined, statements, TARGET).kind).toBe('changed');
    }
  });
});
