import { describe, expect, it } from 'vitest';
import { organizationRcp, rcpSemantics } from '../../../shared/prevention/resource-control-policy.js';
import { ANONYMOUS, evaluateS3Request, type Decision, type S3Request } from '../../support/iam-oracle.js';
import { DATA_BUCKET, objectArnOf, principalsOf, s3RequestOf, SSE, SSE_KMS_KEY_ID, type RequestParts } from '../../support/s3-request-matrix.js';

/**
 * What rcpSemantics read wrong until the RCP differential (test/property/rcp-differential.test.ts) compared it with an
 * independent evaluator, each case with the evaluator's decision on the request that shows it, the caller's identity
 * policy and the bucket's policy allowing everything so that only the RCP decides.
 */

const REQUIRED = DATA_BUCKET.requiredKey.arn;
const OTHER_KEY = DATA_BUCKET.otherKeyArn;
const WHO = principalsOf(DATA_BUCKET);
const PARTNER = `arn:aws:iam::${DATA_BUCKET.granteeAccount}:role/Reader`;
const OBJECT = objectArnOf(DATA_BUCKET, 'report.csv');
const KEY_ID_DENY = (values: string | string[], extra: Record<string, unknown> = {}) => ({
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: '*',
  Condition: { StringNotEquals: { [SSE_KMS_KEY_ID]: values }, Null: { [SSE_KMS_KEY_ID]: 'false' }, ...extra },
});

const rcpOf = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });

const decide = async (rcp: object, parts: Omit<RequestParts, 'resource'> & { resource?: string }): Promise<Decision> => {
  const request: S3Request = s3RequestOf(DATA_BUCKET, { resource: OBJECT, ...parts });
  const signed = request.principal !== ANONYMOUS && !request.principal.endsWith('.amazonaws.com');
  const bucket = `arn:aws:s3:::${DATA_BUCKET.name}`;
  const verdict = await evaluateS3Request({
    rcps: [{ policies: [rcp as Record<string, unknown>] }],
    identityPolicies: signed ? [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }] : [],
    bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: [bucket, `${bucket}/*`] }] },
    request,
  });
  return verdict.decision;
};

const upload = (principal: string, headers: Record<string, string>, resource = OBJECT) => ({ principal, action: 's3:PutObject', resource, transport: 'HTTPS' as const, headers });

describe('rcpSemantics and the callers an exception for AWS services spares', () => {
  it('a TLS Deny that spares AWS service principals is not TLS only: it covers whoever the caller, services included', async () => {
    const [tls] = organizationRcp({ acceptDsseKms: false }).Statement;
    const sparing = rcpOf({ ...tls, Condition: { ...tls?.Condition, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } } });
    expect(rcpSemantics(sparing).tlsOnly).toBe(false);
    expect(await decide(sparing, { principal: 'cloudtrail.amazonaws.com', action: 's3:GetObject', transport: 'HTTP' })).toBe('Allowed');
  });

  it('Bool, not BoolIfExists, on aws:PrincipalIsAWSService spares anonymous callers too: AWS leaves the key out of unsigned requests', async () => {
    const withBool = rcpOf(
      ...organizationRcp({ acceptDsseKms: false }).Statement.map((statement) => {
        const { BoolIfExists: exception, ...condition } = statement.Condition;
        return exception === undefined ? statement : { ...statement, Condition: { ...condition, Bool: exception } };
      }),
    );
    expect(rcpSemantics(withBool)).toMatchObject({ tlsOnly: true, kmsRequired: false, awsManagedKeyDenied: false, sseCDenied: true });
    expect(await decide(withBool, upload(ANONYMOUS, { [SSE]: 'AES256' }))).toBe('Allowed');
    expect(await decide(withBool, upload(WHO.uploader, { [SSE]: 'AES256' }))).toBe('ExplicitlyDenied');
    // As written by organizationRcp (BoolIfExists), the anonymous upload is refused.
    expect(await decide(organizationRcp({ acceptDsseKms: false }), upload(ANONYMOUS, { [SSE]: 'AES256' }))).toBe('ExplicitlyDenied');

    const tlsWithBool = rcpOf({ ...organizationRcp({ acceptDsseKms: false }).Statement[0], Condition: { Bool: { 'aws:SecureTransport': 'false', 'aws:PrincipalIsAWSService': 'false' } } });
    expect(rcpSemantics(tlsWithBool).tlsOnly).toBe(false);
    expect(await decide(tlsWithBool, { principal: ANONYMOUS, action: 's3:GetObject', transport: 'HTTP' })).toBe('Allowed');
  });
});

describe('rcpSemantics and the required key', () => {
  it.each([
    ['an alias name', DATA_BUCKET.requiredKey.aliasName],
    ['"arn:aws:kms:*", compared literally by StringNotEquals', 'arn:aws:kms:*'],
  ])('is a key ARN: a key-id Deny that lets only %s through requires no key', async (_case, value) => {
    const rcp = rcpOf(KEY_ID_DENY(value));
    expect(rcpSemantics(rcp).requiredKey).toBeUndefined();
    expect(await decide(rcp, upload(WHO.uploader, { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: REQUIRED }))).toBe('ExplicitlyDenied');
  });

  it('is the only key let through: a Deny that lets two key ARNs through requires neither', async () => {
    const rcp = rcpOf(KEY_ID_DENY([REQUIRED, OTHER_KEY]));
    expect(rcpSemantics(rcp).requiredKey).toBeUndefined();
    expect(await decide(rcp, upload(WHO.uploader, { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: OTHER_KEY }))).toBe('Allowed');
    expect(rcpSemantics(rcpOf(KEY_ID_DENY(REQUIRED))).requiredKey).toBe(REQUIRED);
  });

  it('is let through to every caller: a Deny of key ids for other accounts takes it away from them, a Deny of every upload from outside the organization does not', async () => {
    const otherAccountsNoKeyIds = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: '*',
      Condition: { Null: { [SSE_KMS_KEY_ID]: 'false' }, StringNotEquals: { 'aws:PrincipalAccount': DATA_BUCKET.account } },
    };
    const narrowed = rcpOf(KEY_ID_DENY(REQUIRED), otherAccountsNoKeyIds);
    expect(rcpSemantics(narrowed).requiredKey).toBeUndefined();
    expect(await decide(narrowed, upload(PARTNER, { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: REQUIRED }))).toBe('ExplicitlyDenied');
    expect(await decide(narrowed, upload(PARTNER, {}))).toBe('Allowed');

    const perimeter = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: '*',
      Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-exampleorgid' }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
    };
    expect(rcpSemantics(rcpOf(KEY_ID_DENY(REQUIRED), perimeter)).requiredKey).toBe(REQUIRED);
  });

  it('is still let through where it is refused only to callers whose every upload is denied anyway', async () => {
    // Without Null, the key-id Deny refuses uploads that send no key id too: every upload must name the key.
    const everyUploadNamesTheKey = { ...KEY_ID_DENY(REQUIRED), Condition: { StringNotEquals: { [SSE_KMS_KEY_ID]: REQUIRED } } };
    const noKmsForOutsiders = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: '*',
      Condition: { StringEquals: { [SSE]: 'aws:kms' }, StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-exampleorgid' } },
    };
    const rcp = rcpOf(everyUploadNamesTheKey, noKmsForOutsiders);
    expect(rcpSemantics(rcp).requiredKey).toBe(REQUIRED);
    expect(await decide(rcp, upload(WHO.stranger, { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: REQUIRED }))).toBe('ExplicitlyDenied');
    expect(await decide(rcp, upload(WHO.stranger, {}))).toBe('ExplicitlyDenied');
    // A role of the organization: AWS puts aws:PrincipalOrgID in its requests.
    expect(await decide(rcp, upload(WHO.uploader, { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: REQUIRED, 'aws:PrincipalOrgID': 'o-exampleorgid' }))).toBe('Allowed');
  });
});

describe('rcpSemantics and DSSE-KMS', () => {
  const accepting = organizationRcp({ requiredKeyArn: REQUIRED, acceptDsseKms: true }).Statement;
  const noDsse = (Resource: string) => ({ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource, Condition: { StringEquals: { [SSE]: 'aws:kms:dsse' } } });
  const dsseUpload = upload(WHO.uploader, { [SSE]: 'aws:kms:dsse', [SSE_KMS_KEY_ID]: REQUIRED });

  it("is not accepted where a Deny refuses it in one bucket, though that Deny covers no other bucket", async () => {
    const rcp = rcpOf(...accepting, noDsse(`arn:aws:s3:::${DATA_BUCKET.name}/*`));
    expect(rcpSemantics(rcp)).toMatchObject({ kmsRequired: true, dsseKmsAccepted: false, requiredKey: REQUIRED });
    expect(await decide(rcp, dsseUpload)).toBe('ExplicitlyDenied');
  });

  it("is still accepted beside a Deny written on the bucket's ARN, which names none of its objects", async () => {
    const rcp = rcpOf(...accepting, noDsse(`arn:aws:s3:::${DATA_BUCKET.name}`));
    expect(rcpSemantics(rcp)).toMatchObject({ kmsRequired: true, dsseKmsAccepted: true, requiredKey: REQUIRED });
    expect(await decide(rcp, dsseUpload)).toBe('Allowed');
  });
});
