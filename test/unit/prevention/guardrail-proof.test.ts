import { describe, expect, it } from 'vitest';
import { tlsOnlyDenyStatement, wrongKeyDenyStatements, type GuardrailStatement } from '../../../shared/prevention/guardrail-statements.js';
import { mergeGuardrails } from '../../../shared/prevention/merge-policy.js';
import { evaluateS3Request, type Decision, type S3Request } from '../../support/iam-oracle.js';
import {
  bucketArnOf,
  DATA_BUCKET,
  objectArnOf,
  principalsOf,
  s3RequestMatrix,
  SSE,
  SSE_KMS_KEY_ID,
  type S3Operation,
  type UploadEncryptionName,
} from '../../support/s3-request-matrix.js';

/**
 * Every bucket policy the guardrail fixes can write, judged by an IAM evaluator that is not ours over
 * the request matrix: each guardrail set merged into realistic existing policies. The guardrails must
 * refuse exactly the uploads they are for, and change no other verdict the policy gave before.
 */

const BUCKET = DATA_BUCKET;
const TARGET = { bucket: BUCKET.name, partition: 'aws' } as const;
const WHO = principalsOf(BUCKET);
const MATRIX = s3RequestMatrix(BUCKET);
const REQUIRED = BUCKET.requiredKey.arn;

/** Identity policies: the bucket's account may do anything in S3; the grantee's role may read anything. */
const identityPoliciesOf = (principal: string) =>
  principal === WHO.grantee
    ? [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }]
    : [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];

const granteeRead = {
  Sid: 'PartnerReadOnly',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${BUCKET.granteeAccount}:root` },
  Action: ['s3:GetObject', 's3:ListBucket'],
  Resource: [bucketArnOf(BUCKET), `${bucketArnOf(BUCKET)}/*`],
};

/** Bucket policies as they are found in accounts, before any guardrail. */
const EXISTING_POLICIES: Readonly<Record<string, string | undefined>> = {
  'no bucket policy': undefined,
  'a partner grant and a CloudFront origin-access grant': JSON.stringify({
    Version: '2012-10-17',
    Id: 'data-bucket-policy',
    Statement: [
      granteeRead,
      {
        Sid: 'AllowCloudFrontServicePrincipalReadOnly',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `${bucketArnOf(BUCKET)}/*`,
        Condition: { StringEquals: { 'AWS:SourceArn': `arn:aws:cloudfront::${BUCKET.account}:distribution/EDFDVBD6EXAMPLE` } },
      },
    ],
  }),
  "the owner's own TLS Deny, a partner grant and a delete guard": JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowSSLRequestsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArnOf(BUCKET), `${bucketArnOf(BUCKET)}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      granteeRead,
      {
        Sid: 'OnlyDataAdminDeletes',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:DeleteObject',
        Resource: `${bucketArnOf(BUCKET)}/*`,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${BUCKET.account}:role/DataAdmin` } },
      },
    ],
  }),
  'a single statement object granting the partner account': JSON.stringify({ Statement: granteeRead, Version: '2012-10-17' }),
};

interface GuardrailSet {
  readonly statements: readonly GuardrailStatement[];
  readonly wrongKey: boolean;
  readonly tls: boolean;
  readonly acceptDsseKms: boolean;
}

const wrongKey = (acceptDsseKms: boolean) => wrongKeyDenyStatements({ ...TARGET, requiredKeyArn: REQUIRED, acceptDsseKms });

/** What the fixes write: each fix alone, and both, with and without DSSE-KMS accepted. */
const GUARDRAIL_SETS: Readonly<Record<string, GuardrailSet>> = {
  'wrong-key Denies': { statements: wrongKey(false), wrongKey: true, tls: false, acceptDsseKms: false },
  'wrong-key Denies accepting DSSE-KMS': { statements: wrongKey(true), wrongKey: true, tls: false, acceptDsseKms: true },
  'TLS-only Deny': { statements: [tlsOnlyDenyStatement(TARGET)], wrongKey: false, tls: true, acceptDsseKms: false },
  'wrong-key and TLS-only Denies': { statements: [...wrongKey(false), tlsOnlyDenyStatement(TARGET)], wrongKey: true, tls: true, acceptDsseKms: false },
  'wrong-key Denies accepting DSSE-KMS and TLS-only Deny': {
    statements: [...wrongKey(true), tlsOnlyDenyStatement(TARGET)],
    wrongKey: true,
    tls: true,
    acceptDsseKms: true,
  },
};

/**
 * Issue 15's rule for the wrong-key Denies, in terms of what an upload sends (never of how the policy is
 * written): refused when it asks for an encryption other than SSE-KMS (or DSSE-KMS when accepted), asks for
 * one without a key id (the AWS-managed aws/s3 key), or names any key id but the required key's ARN, as
 * sent. Nothing asked for is let through: the bucket default applies. SSE-C is left to the bucket's
 * BlockedEncryptionTypes: the policy does not judge it.
 */
const refusedByWrongKeyRule = (operation: S3Operation, acceptDsseKms: boolean): boolean => {
  const headers = operation.requests[0]?.context ?? {};
  const algorithm = headers[SSE] as string | undefined;
  const keyId = headers[SSE_KMS_KEY_ID] as string | undefined;
  const accepted = acceptDsseKms ? ['aws:kms', 'aws:kms:dsse'] : ['aws:kms'];
  if (algorithm !== undefined && (!accepted.includes(algorithm) || keyId === undefined)) return true;
  return keyId !== undefined && keyId !== REQUIRED;
};

const decideRequest = async (bucketPolicy: string | undefined, request: S3Request): Promise<Decision> =>
  (await evaluateS3Request({ bucketPolicy, identityPolicies: identityPoliciesOf(request.principal), request })).decision;

/** An operation succeeds only if each of its requests is allowed; an explicit Deny outranks a missing grant. */
const decideOperation = async (bucketPolicy: string | undefined, operation: S3Operation): Promise<Decision> => {
  const decisions = await Promise.all(operation.requests.map((request) => decideRequest(bucketPolicy, request)));
  if (decisions.includes('ExplicitlyDenied')) return 'ExplicitlyDenied';
  return decisions.includes('ImplicitlyDenied') ? 'ImplicitlyDenied' : 'Allowed';
};

/** The specification: a guardrail denies what it is for and leaves every other verdict as the policy had it. */
const expectedDecision = (operation: S3Operation, guardrails: GuardrailSet, before: Decision): Decision => {
  if (guardrails.tls && operation.transport === 'HTTP') return 'ExplicitlyDenied';
  if (guardrails.wrongKey && operation.kind === 'upload' && refusedByWrongKeyRule(operation, guardrails.acceptDsseKms)) return 'ExplicitlyDenied';
  return before;
};

const mergedPolicy = (existing: string | undefined, guardrails: GuardrailSet): string => {
  const outcome = mergeGuardrails(existing, guardrails.statements, TARGET);
  if (outcome.kind !== 'changed') throw new Error(`the merge should change the policy: ${JSON.stringify(outcome)}`);
  return outcome.policy;
};

describe.each(Object.entries(EXISTING_POLICIES))('guardrails merged into a bucket with %s, judged by the evaluator', (_, existing) => {
  it.each(Object.entries(GUARDRAIL_SETS))('%s: every operation of the matrix gets the verdict the specification gives', async (__, guardrails) => {
    const policy = mergedPolicy(existing, guardrails);
    const table = await Promise.all(
      MATRIX.map(async (operation) => {
        const before = await decideOperation(existing, operation);
        return { operation: operation.name, before, expected: expectedDecision(operation, guardrails, before), actual: await decideOperation(policy, operation) };
      }),
    );
    expect(table.filter((row) => row.actual !== row.expected)).toEqual([]);
  });
});

describe("issue 15's named cases, over HTTPS, for the wrong-key and TLS-only Denies merged into the shared bucket's policy", () => {
  const shared = EXISTING_POLICIES['a partner grant and a CloudFront origin-access grant'];
  const named = (acceptDsseKms: boolean): Partial<Record<UploadEncryptionName, Decision>> => ({
    'no encryption headers': 'Allowed',
    AES256: 'ExplicitlyDenied',
    'aws:kms with no key id': 'ExplicitlyDenied',
    "aws:kms with another key's ARN": 'ExplicitlyDenied',
    "aws:kms with the required key's ARN": 'Allowed',
    "aws:kms with the required key's alias name": 'ExplicitlyDenied',
    "aws:kms with the required key's alias ARN": 'ExplicitlyDenied',
    "aws:kms with the required key's bare key id": 'ExplicitlyDenied',
    "DSSE-KMS with the required key's ARN": acceptDsseKms ? 'Allowed' : 'ExplicitlyDenied',
  });

  it.each([false, true])('accepting DSSE-KMS: %s', async (acceptDsseKms) => {
    const guardrails = GUARDRAIL_SETS[acceptDsseKms ? 'wrong-key Denies accepting DSSE-KMS and TLS-only Deny' : 'wrong-key and TLS-only Denies'] as GuardrailSet;
    const policy = mergedPolicy(shared, guardrails);
    const expected = named(acceptDsseKms);
    const uploads = MATRIX.filter((operation) => operation.kind === 'upload' && operation.transport === 'HTTPS' && operation.encryption !== undefined && operation.encryption in expected);
    const verdicts = Object.fromEntries(await Promise.all(uploads.map(async (operation) => [operation.encryption, await decideOperation(policy, operation)] as const)));
    expect(verdicts).toEqual(expected);
  });
});

describe('what every merged policy must let through, whatever the existing policy', () => {
  const mustBeAllowed = MATRIX.filter(
    (operation) =>
      (operation.kind === 'administration' || operation.kind === 'remediation' || (operation.kind === 'upload' && operation.encryption === 'no encryption headers')) &&
      operation.transport === 'HTTPS',
  );

  it('the matrix holds the header-less upload, the three administrator calls and the enforcer copy over HTTPS', () => {
    expect(mustBeAllowed.map((operation) => operation.kind)).toEqual(['upload', 'administration', 'administration', 'administration', 'remediation']);
  });

  it.each(Object.entries(GUARDRAIL_SETS))('%s: a header-less upload, the administrator and the enforcer copy are allowed', async (_, guardrails) => {
    for (const existing of Object.values(EXISTING_POLICIES)) {
      const policy = mergedPolicy(existing, guardrails);
      const verdicts = await Promise.all(mustBeAllowed.map(async (operation) => [operation.name, await decideOperation(policy, operation)] as const));
      expect(verdicts.filter(([, decision]) => decision !== 'Allowed')).toEqual([]);
    }
  });

  it("the partner's existing grant still works over HTTPS, and no longer over HTTP once TLS is required", async () => {
    const read = (transport: 'HTTPS' | 'HTTP') => MATRIX.find((operation) => operation.kind === 'read' && operation.transport === transport) as S3Operation;
    const shared = EXISTING_POLICIES['a partner grant and a CloudFront origin-access grant'];
    const policy = mergedPolicy(shared, GUARDRAIL_SETS['wrong-key and TLS-only Denies'] as GuardrailSet);
    expect(await decideOperation(shared, read('HTTP'))).toBe('Allowed');
    expect(await decideOperation(policy, read('HTTPS'))).toBe('Allowed');
    expect(await decideOperation(policy, read('HTTP'))).toBe('ExplicitlyDenied');
  });

  it('the administrator can still replace the policy over HTTPS, and the owning account root too', async () => {
    const policy = mergedPolicy(undefined, GUARDRAIL_SETS['wrong-key and TLS-only Denies'] as GuardrailSet);
    for (const principal of [WHO.administrator, WHO.ownerRoot]) {
      for (const action of ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration']) {
        const request = { principal, action, resource: bucketArnOf(BUCKET), resourceAccount: BUCKET.account, context: { 'aws:SecureTransport': 'true' } };
        expect([principal, action, await decideRequest(policy, request)]).toEqual([principal, action, 'Allowed']);
      }
    }
  });

  it('multipart parts and completion, which carry no encryption headers, are allowed', async () => {
    const policy = mergedPolicy(undefined, GUARDRAIL_SETS['wrong-key and TLS-only Denies'] as GuardrailSet);
    const part = { principal: WHO.uploader, action: 's3:PutObject', resource: objectArnOf(BUCKET, 'big/object.bin'), resourceAccount: BUCKET.account, context: { 'aws:SecureTransport': 'true' } };
    expect(await decideRequest(policy, part)).toBe('Allowed');
  });
});

describe('the bucket guardrails and AWS services delivering under their own principal', () => {
  // CloudTrail names its trail's key, which need not be the bucket's required key; the enforcer re-encrypts what it writes.
  const trailDelivery = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CloudTrailWrite', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: `${bucketArnOf(BUCKET)}/AWSLogs/*` }],
  });
  const delivery = (principal: string, context: Record<string, string>): S3Request => ({
    principal,
    action: 's3:PutObject',
    resource: objectArnOf(BUCKET, 'AWSLogs/111122223333/CloudTrail/log.json.gz'),
    resourceAccount: BUCKET.account,
    context: { 'aws:SecureTransport': 'true', [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: BUCKET.otherKeyArn, ...context },
  });
  const policy = mergedPolicy(trailDelivery, GUARDRAIL_SETS['wrong-key and TLS-only Denies'] as GuardrailSet);

  it('are spared the encryption Denies, so a trail under its own key keeps delivering', async () => {
    expect(await decideRequest(trailDelivery, delivery('cloudtrail.amazonaws.com', { 'aws:PrincipalIsAWSService': 'true' }))).toBe('Allowed');
    expect(await decideRequest(policy, delivery('cloudtrail.amazonaws.com', { 'aws:PrincipalIsAWSService': 'true' }))).toBe('Allowed');
  });

  it('but not TLS only', async () => {
    expect(await decideRequest(policy, delivery('cloudtrail.amazonaws.com', { 'aws:PrincipalIsAWSService': 'true', 'aws:SecureTransport': 'false' }))).toBe('ExplicitlyDenied');
  });

  it('while a role sending the same headers is denied, whether the request says it is not a service or says nothing (IfExists)', async () => {
    expect(await decideRequest(policy, delivery(WHO.uploader, { 'aws:PrincipalIsAWSService': 'false' }))).toBe('ExplicitlyDenied');
    expect(await decideRequest(policy, delivery(WHO.uploader, {}))).toBe('ExplicitlyDenied');
  });
});
