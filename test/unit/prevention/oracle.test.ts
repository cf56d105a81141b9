import { describe, expect, it } from 'vitest';
import { ANONYMOUS, evaluateS3Request, OracleInputError, type S3Request } from '../../support/iam-oracle.js';
import {
  bucketArnOf,
  DATA_BUCKET,
  objectArnOf,
  principalsOf,
  s3RequestMatrix,
  s3RequestOf,
  SSE,
  SSE_KMS_KEY_ID,
  uploadEncryptionsOf,
  type Transport,
  type UploadEncryptionName,
} from '../../support/s3-request-matrix.js';

/**
 * The evaluator's answers on the cases AWS documents (docs/AWS-FACTS: condition operators, IfExists and
 * Null, aws:SecureTransport, RCPs), so that a change in the evaluator shows here before it changes a
 * verdict elsewhere.
 */

const BUCKET = bucketArnOf(DATA_BUCKET);
const OBJECT = objectArnOf(DATA_BUCKET, 'incoming/report.csv');
const REQUIRED = DATA_BUCKET.requiredKey.arn;
const WHO = principalsOf(DATA_BUCKET);
const ENCRYPTIONS = uploadEncryptionsOf(DATA_BUCKET);
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const policyOf = (...statements: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement: statements });
const deny = (statement: Record<string, unknown>) => ({ Effect: 'Deny', Principal: '*', ...statement });

const upload = (encryption: UploadEncryptionName, transport: Transport = 'HTTPS', principal: string = WHO.uploader): S3Request =>
  s3RequestOf(DATA_BUCKET, { principal, action: 's3:PutObject', resource: OBJECT, transport, headers: ENCRYPTIONS[encryption] });

const decide = async (bucketPolicy: unknown, request: S3Request, extra: { rcps?: { policies: unknown[] }[] } = {}) =>
  (
    await evaluateS3Request({
      bucketPolicy: bucketPolicy as Record<string, unknown> | undefined,
      identityPolicies: request.principal === ANONYMOUS ? [] : [ALLOW_ALL],
      rcps: extra.rcps?.map((level) => ({ policies: level.policies as Record<string, unknown>[] })),
      request,
    })
  ).decision;

describe('the evaluator on encryption-header conditions (evaluated on what the request sends)', () => {
  const requireKey = (operator: string, extra: Record<string, unknown> = {}) =>
    policyOf(deny({ Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { [operator]: { [SSE_KMS_KEY_ID]: REQUIRED }, ...extra } }));

  it('a Deny with StringNotEqualsIfExists on the key id denies a header-less upload: the absent key makes IfExists true', async () => {
    expect(await decide(requireKey('StringNotEqualsIfExists'), upload('no encryption headers'))).toBe('ExplicitlyDenied');
  });

  it('so does plain StringNotEquals: a negated operator is true when the key is absent', async () => {
    expect(await decide(requireKey('StringNotEquals'), upload('no encryption headers'))).toBe('ExplicitlyDenied');
  });

  it('StringNotEquals paired with Null "false" lets the header-less upload through and still denies a wrong key', async () => {
    const policy = requireKey('StringNotEquals', { Null: { [SSE_KMS_KEY_ID]: 'false' } });
    expect(await decide(policy, upload('no encryption headers'))).toBe('Allowed');
    expect(await decide(policy, upload("aws:kms with another key's ARN"))).toBe('ExplicitlyDenied');
    expect(await decide(policy, upload("aws:kms with the required key's ARN"))).toBe('Allowed');
  });

  it('the key id is compared as sent: the alias name, alias ARN and bare key id of the required key are all "another value"', async () => {
    const policy = requireKey('StringNotEquals');
    for (const encryption of [
      "aws:kms with the required key's alias name",
      "aws:kms with the required key's alias ARN",
      "aws:kms with the required key's bare key id",
    ] as const) {
      expect(await decide(policy, upload(encryption))).toBe('ExplicitlyDenied');
    }
  });

  it('aws:kms without a key id is caught by StringEquals aws:kms + Null "true" on the key id, and nothing else is', async () => {
    const policy = policyOf(
      deny({ Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { StringEquals: { [SSE]: 'aws:kms' }, Null: { [SSE_KMS_KEY_ID]: 'true' } } }),
    );
    expect(await decide(policy, upload('aws:kms with no key id'))).toBe('ExplicitlyDenied');
    expect(await decide(policy, upload('no encryption headers'))).toBe('Allowed');
    expect(await decide(policy, upload("aws:kms with the required key's ARN"))).toBe('Allowed');
  });

  it('the same trap on the algorithm: StringNotEqualsIfExists denies header-less and SSE-C uploads, which send no algorithm', async () => {
    const algorithm = (extra: Record<string, unknown> = {}) =>
      policyOf(deny({ Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { StringNotEqualsIfExists: { [SSE]: ['aws:kms', 'aws:kms:dsse'] }, ...extra } }));
    expect(await decide(algorithm(), upload('no encryption headers'))).toBe('ExplicitlyDenied');
    expect(await decide(algorithm(), upload('SSE-C (customer algorithm AES256)'))).toBe('ExplicitlyDenied');
    expect(await decide(algorithm(), upload('AES256'))).toBe('ExplicitlyDenied');
    expect(await decide(algorithm(), upload("DSSE-KMS with the required key's ARN"))).toBe('Allowed');
    const explicitOnly = algorithm({ Null: { [SSE]: 'false' } });
    expect(await decide(explicitOnly, upload('no encryption headers'))).toBe('Allowed');
    expect(await decide(explicitOnly, upload('AES256'))).toBe('ExplicitlyDenied');
  });
});

describe('the evaluator on aws:SecureTransport', () => {
  const tlsOnly = (value: unknown, operator = 'Bool') =>
    policyOf(deny({ Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`], Condition: { [operator]: { 'aws:SecureTransport': value } } }));
  const read = (transport: Transport, principal: string = WHO.uploader) =>
    s3RequestOf(DATA_BUCKET, { principal, action: 's3:GetObject', resource: OBJECT, transport });

  it.each([['"false"', 'false'], ['false', false], ['["false"]', ['false']]])('Bool %s denies HTTP and not HTTPS', async (_form, value) => {
    expect(await decide(tlsOnly(value), read('HTTP'))).toBe('ExplicitlyDenied');
    expect(await decide(tlsOnly(value), read('HTTPS'))).toBe('Allowed');
  });

  it('the deny reaches every principal: another account, a stranger and an unsigned caller', async () => {
    for (const principal of [WHO.grantee, WHO.stranger, ANONYMOUS]) expect(await decide(tlsOnly('false'), read('HTTP', principal))).toBe('ExplicitlyDenied');
  });

  it('Null "false" on aws:SecureTransport holds for every request (the key is always present): it is no TLS condition', async () => {
    const policy = tlsOnly('false', 'Null');
    expect(await decide(policy, read('HTTP'))).toBe('ExplicitlyDenied');
    expect(await decide(policy, read('HTTPS'))).toBe('ExplicitlyDenied');
  });

  it('compares the string form when a string operator tests the Boolean key (AWS documents Boolean operators only)', async () => {
    expect(await decide(tlsOnly('false', 'StringEquals'), read('HTTP'))).toBe('ExplicitlyDenied');
    expect(await decide(tlsOnly('false', 'StringEquals'), read('HTTPS'))).toBe('Allowed');
  });
});

describe('the evaluator on principals, grants and Resource Control Policies', () => {
  const grant = { Sid: 'GranteeReads', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DATA_BUCKET.granteeAccount}:root` }, Action: 's3:GetObject', Resource: `${BUCKET}/*` };
  const granteeRead = (transport: Transport) => s3RequestOf(DATA_BUCKET, { principal: WHO.grantee, action: 's3:GetObject', resource: OBJECT, transport });

  it('another account reads only through a bucket-policy grant, and an explicit Deny overrides it', async () => {
    expect(await decide(undefined, granteeRead('HTTPS'))).toBe('ImplicitlyDenied');
    expect(await decide(policyOf(grant), granteeRead('HTTPS'))).toBe('Allowed');
    const withTls = policyOf(grant, deny({ Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(await decide(withTls, granteeRead('HTTPS'))).toBe('Allowed');
    expect(await decide(withTls, granteeRead('HTTP'))).toBe('ExplicitlyDenied');
  });

  it('Principal "*" and {"AWS": "*"} both reach an unsigned caller; a named account does not reach a stranger', async () => {
    const anonymousPut = upload('AES256', 'HTTPS', ANONYMOUS);
    const strangerPut = upload('AES256', 'HTTPS', WHO.stranger);
    const denyAes = (principal: unknown) => policyOf({ Effect: 'Deny', Principal: principal, Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { StringEquals: { [SSE]: 'AES256' } } });
    expect(await decide(denyAes('*'), anonymousPut)).toBe('ExplicitlyDenied');
    expect(await decide(denyAes({ AWS: '*' }), anonymousPut)).toBe('ExplicitlyDenied');
    expect(await decide(denyAes({ AWS: DATA_BUCKET.account }), strangerPut)).not.toBe('ExplicitlyDenied');
  });

  it('an RCP applies to the request whoever makes it, even with every identity and bucket-policy grant in place', async () => {
    const rcp = policyOf(deny({ Action: 's3:PutObject', Resource: '*', Condition: { StringNotEqualsIfExists: { [SSE_KMS_KEY_ID]: REQUIRED }, Null: { [SSE_KMS_KEY_ID]: 'false' } } }));
    const rcps = [{ policies: [rcp] }];
    expect(await decide(undefined, upload("aws:kms with another key's ARN"), { rcps })).toBe('ExplicitlyDenied');
    expect(await decide(undefined, upload('no encryption headers'), { rcps })).toBe('Allowed');
    const verdict = await evaluateS3Request({ identityPolicies: [ALLOW_ALL], rcps: [{ orgId: 'o-exampleorgid', policies: [rcp] }], request: upload("aws:kms with another key's ARN") });
    expect(verdict).toEqual({ decision: 'ExplicitlyDenied', explain: 'explicitly denied by rcp rcp-1-1 statement 1' });
  });
});

describe('known divergences of the evaluator from AWS, pinned so that a fix upstream shows', () => {
  it('ArnNotEquals on a key id that is not an ARN: the evaluator does not match, where AWS documents "negated matching"', async () => {
    // The differential test (test/property/policy-differential.test.ts) sets these verdicts aside by name.
    const policy = policyOf(deny({ Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { ArnNotEquals: { [SSE_KMS_KEY_ID]: REQUIRED } } }));
    expect(await decide(policy, upload("aws:kms with the required key's alias name"))).toBe('Allowed');
    expect(await decide(policy, upload("aws:kms with the required key's bare key id"))).toBe('Allowed');
    expect(await decide(policy, upload("aws:kms with the required key's alias ARN"))).toBe('ExplicitlyDenied');
  });
});

describe('the request matrix', () => {
  const matrix = s3RequestMatrix();

  it('names every operation once: 12 uploads over HTTPS and HTTP, two reads, three administrator calls, the remediation copy', () => {
    expect(new Set(matrix.map((operation) => operation.name)).size).toBe(matrix.length);
    expect(matrix.map((operation) => operation.kind).reduce<Record<string, number>>((counts, kind) => ({ ...counts, [kind]: (counts[kind] ?? 0) + 1 }), {})).toEqual({
      upload: 24,
      read: 2,
      administration: 3,
      remediation: 1,
    });
  });

  it('without a bucket policy every same-account operation is allowed and the grantee is not: the matrix is well formed', async () => {
    for (const operation of matrix) {
      const decisions = await Promise.all(operation.requests.map((request) => decide(undefined, request)));
      const expected = operation.kind === 'read' ? 'ImplicitlyDenied' : 'Allowed';
      expect({ operation: operation.name, decisions }).toEqual({ operation: operation.name, decisions: operation.requests.map(() => expected) });
    }
  });

  it('the remediation copy is a PutObject under the required key plus a GetObject of the source', () => {
    const copy = matrix.find((operation) => operation.kind === 'remediation');
    expect(copy?.requests.map((request) => [request.principal, request.action, request.context[SSE_KMS_KEY_ID]])).toEqual([
      [WHO.enforcer, 's3:PutObject', REQUIRED],
      [WHO.enforcer, 's3:GetObject', undefined],
    ]);
  });
});

describe('the oracle refuses what it cannot judge', () => {
  it.each([
    ['an encryption header on GetObject (S3 never sends it: it would be dropped in silence)', { ...upload('AES256'), action: 's3:GetObject' }],
    ['a request without aws:SecureTransport (AWS always includes it)', { ...upload('AES256'), context: {} }],
    ['a wildcard resource', { ...upload('AES256'), resource: `${BUCKET}/*` }],
    ['an action S3 does not have', { ...upload('AES256'), action: 's3:CopyObject' }],
  ])('%s', async (_case, request) => {
    await expect(evaluateS3Request({ request })).rejects.toThrow(OracleInputError);
  });

  it('an invalid policy', async () => {
    await expect(evaluateS3Request({ bucketPolicy: policyOf({ Effect: 'Deny', Principal: '*', Action: 's3*', Resource: '*' }), request: upload('AES256') })).rejects.toThrow(
      OracleInputError,
    );
  });
});
