import { describe, expect, it } from 'vitest';
import { evaluateKeyRequirementPolicy } from '../../../shared/audit/key-requirement-policy.js';
import { wrongKeyDenyStatements } from '../../../shared/prevention/guardrail-statements.js';
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
const policyOf = (...statements: object[]): string => JSON.stringify({ Statement: statements });

const SSE = 's3:x-amz-server-side-encryption';
const ANOTHER = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000';
const GUARDRAILS = wrongKeyDenyStatements({ bucket: 'data-bucket', partition: 'aws', requiredKeyArn: REQUIRED, acceptDsseKms: false });
const REFUSED_TOO = `statement "RequireKey" denies s3:PutObject naming any encryption but aws:kms with ${REQUIRED}; uploads without encryption headers are refused too`;

describe('evaluateKeyRequirementPolicy', () => {
  it("passes the enforcer's three guardrails, which let header-less uploads through to the bucket default", () => {
    expect(evaluateKeyRequirementPolicy(policyOf(...GUARDRAILS), BUCKET, REQUIRED)).toEqual({
      compliant: true,
      evidence:
        `statement "EnforcerDenyNonKmsEncryption" and statement "EnforcerDenyAwsManagedKey" and statement "EnforcerDenyOtherKmsKeys" deny s3:PutObject ` +
        `naming any encryption but aws:kms with ${REQUIRED}; uploads without encryption headers pass and get the bucket default`,
    });
  });

  it('passes the guardrails beside the owner’s own statements, and with DSSE-KMS accepted', () => {
    const grant = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 's3:GetObject', Resource: `${BUCKET}/*` };
    const dsse = wrongKeyDenyStatements({ bucket: 'data-bucket', partition: 'aws', requiredKeyArn: REQUIRED, acceptDsseKms: true });
    expect(evaluateKeyRequirementPolicy(policyOf(grant, ...dsse), BUCKET, REQUIRED)).toMatchObject({ compliant: true });
  });

  it.each([
    ['without the aws/s3 Deny, aws:kms without a key id gets through', [0, 2], 'aws:kms without a key id'],
    ['without the non-KMS Deny, AES256 gets through', [1, 2], 'AES256; aws:kms:dsse without a key id'],
    ['without the other-keys Deny, any key gets through', [0, 1], `aws:kms with key id ${ANOTHER}; aws:kms with key id 11111111-1111-1111-1111-111111111111`],
  ])('fails when one guardrail is missing: %s', (_case, kept, letThrough) => {
    const statements = kept.map((index) => GUARDRAILS[index] as object);
    expect(evaluateKeyRequirementPolicy(policyOf(...statements), BUCKET, REQUIRED)).toEqual({
      compliant: false,
      reason: `uploads asking for ${letThrough} are not denied`,
    });
  });

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
  ])('%s passes, and the evidence says it also refuses header-less uploads (an absent key matches a negated operator)', (_form, statement) => {
    expect(evaluateKeyRequirementPolicy(policyOf(statement), BUCKET, REQUIRED)).toEqual({ compliant: true, evidence: REFUSED_TOO });
  });

  const REQUIRED_DENIED = `statement "RequireKey": it also denies uploads that name the required key (aws:kms with ${REQUIRED})`;
  it.each([
    ['no policy', undefined, 'the bucket has no bucket policy'],
    ['no encryption condition', policyOf(deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })), `no Deny statement is conditioned on ${SSE} or ${KEY_ID}`],
    ['another key', policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: OTHER } } })), `${REQUIRED_DENIED}; uploads asking for AES256; aws:kms without a key id; aws:kms:dsse without a key id; aws:kms with key id ${ANOTHER} and 5 more are not denied`],
    ['two keys', policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: [REQUIRED, OTHER] } } })), `uploads asking for aws:kms with key id ${OTHER}; aws:kms:dsse with key id ${OTHER} are not denied`],
    ['a wildcard', policyOf(deny({ Condition: { StringNotLike: { [KEY_ID]: 'arn:aws:kms:*' } } })), `uploads asking for aws:kms with key id ${ANOTHER}; aws:kms with key id arn:aws:kms:*; aws:kms:dsse with key id ${ANOTHER}; aws:kms:dsse with key id arn:aws:kms:* are not denied`],
    [
      'the algorithm in the same block (AND): only aws:kms uploads are judged by key',
      policyOf(deny({ Condition: { StringNotEquals: { [KEY_ID]: REQUIRED }, StringEquals: { [SSE]: 'aws:kms' } } })),
      'uploads asking for AES256; aws:kms:dsse without a key id; aws:kms:dsse with key id ' + ANOTHER + '; aws:kms:dsse with key id 11111111-1111-1111-1111-111111111111 are not denied',
    ],
    ['GetObject only', policyOf(deny({ Action: 's3:GetObject' })), 'statement "RequireKey": it does not cover s3:PutObject; uploads asking for AES256; aws:kms without a key id; aws:kms:dsse without a key id; aws:kms with key id ' + ANOTHER + ' and 3 more are not denied'],
    ['one principal', policyOf(deny({ Principal: { AWS: 'arn:aws:iam::123456789012:role/Uploader' } })), 'statement "RequireKey": its principal is not "*"; uploads asking for AES256; aws:kms without a key id; aws:kms:dsse without a key id; aws:kms with key id ' + ANOTHER + ' and 3 more are not denied'],
  ])('%s fails', (_form, policy, reason) => {
    expect(evaluateKeyRequirementPolicy(policy, BUCKET, REQUIRED)).toEqual({ compliant: false, reason });
  });

  it.each([
    ['an alias instead of the ARN', deny({ Condition: { StringNotEquals: { [KEY_ID]: 'alias/data' } } }), REQUIRED_DENIED],
    ['a positive operator', deny({ Condition: { StringEquals: { [KEY_ID]: REQUIRED } } }), REQUIRED_DENIED],
    ['a prefix only', deny({ Resource: `${BUCKET}/finance/*` }), `statement "RequireKey": it does not cover every object (${BUCKET}/*)`],
    ['keys of two characters or more', deny({ Resource: `${BUCKET}/??*` }), `statement "RequireKey": it does not cover every object (${BUCKET}/*)`],
    ['HTTP only', deny({ Condition: { StringNotEquals: { [KEY_ID]: REQUIRED }, Bool: { 'aws:SecureTransport': 'false' } } }), 'statement "RequireKey": it has other conditions (Bool aws:securetransport) that narrow it'],
    ['an operator the audit does not evaluate', deny({ Condition: { 'ForAnyValue:StringNotEquals': { [KEY_ID]: REQUIRED } } }), 'statement "RequireKey": it tests the encryption headers with ForAnyValue:StringNotEquals, which the audit does not evaluate'],
  ])('%s fails, saying why the statement does not count', (_form, statement, why) => {
    const evaluation = evaluateKeyRequirementPolicy(policyOf(statement), BUCKET, REQUIRED);
    expect(evaluation.compliant).toBe(false);
    expect(evaluation).toMatchObject({ reason: expect.stringMatching(new RegExp(`^${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; uploads asking for AES256; `)) });
  });
});
