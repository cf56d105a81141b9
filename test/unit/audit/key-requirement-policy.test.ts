import { describe, expect, it } from 'vitest';
import { evaluateKeyRequirementPolicy } from '../../../shared/audit/key-requirement-policy.js';
import { OTHER, REQUIRED } from './fixtures.js';

const BUCKET = 'arn:aws:s3:::data-bucket';
const KEY_ID = 's3:x-amz-server-side-encryption-aws-kms-key-id';

const deny = (statement: Record<string, unknown>): Record<string, unknown> => ({
  Sid: 'RequireKey',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: `${BUCKET}/*`,
  Condition: { StringNotEquals: { [KEY_ID]: REQUIRED } },
  ...statement,
});
const policyOf = (...statements: Record<string, unknown>[]): string => JSON.stringify({ Statement: statements });

describe('evaluateKeyRequirementPolicy', () => {
  it.each([
    ['the documented form', deny({})],
    ['a list of one ARN', deny({ Condition: { StringNotEquals: { [KEY_ID]: [REQUIRED] } } })],
    ['StringNotEqualsIfExists', deny({ Condition: { StringNotEqualsIfExists: { [KEY_ID]: REQUIRED } } })],
    ['ArnNotEquals', deny({ Condition: { ArnNotEquals: { [KEY_ID]: REQUIRED } } })],
    ['Action s3:*', deny({ Action: 's3:*' })],
    ['Action as a list with a wildcard', deny({ Action: ['s3:Put*'] })],
    ['Principal {"AWS": "*"}', deny({ Principal: { AWS: '*' } })],
    ['Resource "*"', deny({ Resource: '*' })],
    // An object key is never empty.
    ['Resource bucket/?*', deny({ Resource: `${BUCKET}/?*` })],
    // Conditions that hold for every request narrow nothing: aws:SecureTransport is always in the request context.
    ['Null false on aws:SecureTransport beside it', deny({ Condition: { StringNotEquals: { [KEY_ID]: REQUIRED }, Null: { 'aws:SecureTransport': 'false' } } })],
    ['Bool true-or-false on aws:SecureTransport beside it', deny({ Condition: { StringNotEquals: { [KEY_ID]: REQUIRED }, Bool: { 'aws:SecureTransport': ['false', 'true'] } } })],
  ])('%s passes', (_form, statement) => {
    expect(evaluateKeyRequirementPolicy(policyOf(statement), BUCKET, REQUIRED)).toEqual({
      compliant: true,
      evidence: `statement "RequireKey" denies s3:PutObject unless the key is ${REQUIRED}`,
    });
  });

  it.each([
    ['no policy', undefined, 'the bucket has no bucket policy'],
    ['no key condition', policyOf(deny({ Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } })), `no Deny statement is conditioned on ${KEY_ID}`],
    ['another key', policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: OTHER } } })), `statement "RequireKey": it also lets through ${OTHER}`],
    ['two keys', policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: [REQUIRED, OTHER] } } })), `statement "RequireKey": it also lets through ${OTHER}`],
    ['an alias instead of the ARN', policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: 'alias/data' } } })), 'statement "RequireKey": it also lets through alias/data'],
    ['a wildcard', policyOf(deny({ Condition: { StringNotLike: { [KEY_ID]: 'arn:aws:kms:*' } } })), 'statement "RequireKey": it also lets through arn:aws:kms:*'],
    ['a positive operator', policyOf(deny({ Condition: { StringEquals: { [KEY_ID]: REQUIRED } } })), 'statement "RequireKey": it tests the key with StringEquals, which does not deny other keys'],
    [
      'the algorithm in the same block (AND)',
      policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: REQUIRED, 's3:x-amz-server-side-encryption': 'aws:kms' } } })),
      'statement "RequireKey": it has other conditions (StringNotEquals s3:x-amz-server-side-encryption) that narrow it',
    ],
    ['GetObject only', policyOf(deny({ Action: 's3:GetObject' })), 'statement "RequireKey": it does not cover s3:PutObject'],
    ['a prefix only', policyOf(deny({ Resource: `${BUCKET}/finance/*` })), `statement "RequireKey": it does not cover every object (${BUCKET}/*)`],
    ['keys of two characters or more', policyOf(deny({ Resource: `${BUCKET}/??*` })), `statement "RequireKey": it does not cover every object (${BUCKET}/*)`],
    [
      'HTTP only',
      policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: REQUIRED }, Bool: { 'aws:SecureTransport': 'false' } } })),
      'statement "RequireKey": it has other conditions (Bool aws:securetransport) that narrow it',
    ],
    ['one principal', policyOf(deny({ Principal: { AWS: 'arn:aws:iam::123456789012:role/Uploader' } })), 'statement "RequireKey": its principal is not "*"'],
  ])('%s fails', (_form, policy, reason) => {
    expect(evaluateKeyRequirementPolicy(policy, BUCKET, REQUIRED)).toEqual({ compliant: false, reason });
  });
});
