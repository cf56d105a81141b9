import { describe, expect, it } from 'vitest';
import { evaluateTlsOnlyPolicy } from '../../../shared/audit/tls-only-policy.js';

const BUCKET = 'arn:aws:s3:::data-bucket';

const deny = (statement: Record<string, unknown>): Record<string, unknown> => ({
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [BUCKET, `${BUCKET}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  ...statement,
});

const policyOf = (...statements: Record<string, unknown>[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });

describe('evaluateTlsOnlyPolicy: forms IAM accepts', () => {
  it.each([
    ['the documented form', policyOf(deny({}))],
    ['a boolean false', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': false } } }))],
    ['a list of one string', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': ['false'] } } }))],
    ['a list with a boolean', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': [false] } } }))],
    ['"False" in capitals', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': 'False' } } }))],
    ['the key in another case', policyOf(deny({ Condition: { Bool: { 'AWS:SecureTransport': 'false' } } }))],
    ['BoolIfExists', policyOf(deny({ Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } } }))],
    ['Principal {"AWS": "*"}', policyOf(deny({ Principal: { AWS: '*' } }))],
    ['Principal {"AWS": ["*"]}', policyOf(deny({ Principal: { AWS: ['*'] } }))],
    ['Action "*"', policyOf(deny({ Action: '*' }))],
    ['Action as a list', policyOf(deny({ Action: ['s3:GetObject', 's3:*'] }))],
    ['Action in capitals', policyOf(deny({ Action: 'S3:*' }))],
    ['NotAction of another service', policyOf(deny({ Action: undefined, NotAction: 'iam:*' }))],
    ['Resource "*"', policyOf(deny({ Resource: '*' }))],
    ['Resource with a wildcard for both', policyOf(deny({ Resource: 'arn:aws:s3:::data-bucket*' }))],
    ['Statement as a single object', JSON.stringify({ Statement: deny({}) })],
    ['the bucket and its objects in two statements', policyOf(deny({ Sid: 'Bucket', Resource: BUCKET }), deny({ Sid: 'Objects', Resource: `${BUCKET}/*` }))],
    // aws:SecureTransport is in every request context: Null "false" holds for every request, HTTP included.
    ['Bool false and Null false', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' }, Null: { 'aws:SecureTransport': 'false' } } }))],
    ['Null false alone (a deny of every request)', policyOf(deny({ Condition: { Null: { 'aws:SecureTransport': false } } }))],
    // An object key is never empty.
    ['objects as bucket/?*', policyOf(deny({ Resource: [BUCKET, `${BUCKET}/?*`] }))],
  ])('%s passes', (_form, policy) => {
    expect(evaluateTlsOnlyPolicy(policy, BUCKET)).toMatchObject({ compliant: true });
  });

  it('names the statements that satisfy it', () => {
    expect(evaluateTlsOnlyPolicy(policyOf(deny({ Sid: 'TLS' })), BUCKET)).toEqual({
      compliant: true,
      evidence: `statement "TLS" deny every S3 action without TLS on ${BUCKET} and ${BUCKET}/*`,
    });
  });
});

describe('evaluateTlsOnlyPolicy: forms that leave a hole', () => {
  it.each([
    ['no policy', undefined, 'the bucket has no bucket policy'],
    ['invalid JSON', '{', 'the policy is not valid JSON'],
    ['no SecureTransport condition', policyOf(deny({ Condition: undefined })), 'no Deny statement is conditioned on aws:SecureTransport'],
    ['an Allow on TLS instead of a Deny', policyOf(deny({ Effect: 'Allow', Condition: { Bool: { 'aws:SecureTransport': 'true' } } })), 'no Deny statement is conditioned on aws:SecureTransport'],
    ['one action only', policyOf(deny({ Action: 's3:GetObject' })), 'statement 1: its actions (s3:GetObject) do not cover s3:*'],
    ['a partial wildcard', policyOf(deny({ Action: ['s3:Get*', 's3:Put*'] })), 'statement 1: its actions (s3:Get*, s3:Put*) do not cover s3:*'],
    ['NotAction of S3 actions', policyOf(deny({ Action: undefined, NotAction: 's3:GetObject' })), 'statement 1: its actions (NotAction s3:GetObject) do not cover s3:*'],
    ['one principal', policyOf(deny({ Principal: { AWS: 'arn:aws:iam::123456789012:root' } })), 'statement 1: its principal is not "*"'],
    ['NotPrincipal', policyOf(deny({ Principal: undefined, NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' } })), 'statement 1: its principal is not "*"'],
    ['the value true', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })), 'statement 1: it does not apply when aws:SecureTransport is false'],
    ['Null true (never, the key is always present)', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' }, Null: { 'aws:SecureTransport': 'true' } } })), 'statement 1: it does not apply when aws:SecureTransport is false'],
    ['objects of two characters or more', policyOf(deny({ Resource: [BUCKET, `${BUCKET}/??*`] })), `the TLS deny does not cover ${BUCKET}/*`],
    ['a string operator', policyOf(deny({ Condition: { StringEquals: { 'aws:SecureTransport': 'false' } } })), 'statement 1: it tests aws:SecureTransport with StringEquals, not Bool'],
    [
      'a narrowing condition',
      policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringEquals: { 'aws:PrincipalAccount': '123456789012' } } })),
      'statement 1: it has other conditions (StringEquals aws:principalaccount) that narrow it',
    ],
    ['the objects only', policyOf(deny({ Resource: `${BUCKET}/*` })), `the TLS deny does not cover ${BUCKET}`],
    ['the bucket only', policyOf(deny({ Resource: BUCKET })), `the TLS deny does not cover ${BUCKET}/*`],
    ['some objects only', policyOf(deny({ Resource: [BUCKET, `${BUCKET}/public/*`] })), `the TLS deny does not cover ${BUCKET}/*`],
    ['another bucket', policyOf(deny({ Resource: ['arn:aws:s3:::other', 'arn:aws:s3:::other/*'] })), `the TLS deny does not cover ${BUCKET} or ${BUCKET}/*`],
  ])('%s fails', (_form, policy, reason) => {
    expect(evaluateTlsOnlyPolicy(policy, BUCKET)).toEqual({ compliant: false, reason });
  });
});
