import { describe, expect, it } from 'vitest';
import { organizationRcp, type RcpOptions } from '../../../shared/prevention/resource-control-policy.js';
import { ANONYMOUS, evaluateS3Request, type Decision, type S3Request } from '../../support/iam-oracle.js';
import {
  bucketArnOf,
  DATA_BUCKET,
  objectArnOf,
  principalsOf,
  s3RequestMatrix,
  SSE,
  SSE_CUSTOMER_ALGORITHM,
  SSE_KMS_KEY_ID,
  type S3Operation,
  type UploadEncryptionName,
} from '../../support/s3-request-matrix.js';

/**
 * The organization RCP `enforcer prevention rcp` prints, judged by an IAM evaluator that is not ours over
 * the request matrix, with and without a bucket policy of the account's own: the same semantics as the
 * bucket guardrails, SSE-C denied as well, and AWS service principals spared the encryption rules.
 */

const BUCKET = DATA_BUCKET;
const WHO = principalsOf(BUCKET);
const MATRIX = s3RequestMatrix(BUCKET);
const OBJECT = objectArnOf(BUCKET, 'logs/delivery.gz');

const identityPoliciesOf = (principal: string) =>
  principal === ANONYMOUS || principal.endsWith('.amazonaws.com')
    ? []
    : principal === WHO.grantee
      ? [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }]
      : [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];

const PARTNER_GRANT = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'PartnerReadOnly',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${BUCKET.granteeAccount}:root` },
      Action: 's3:GetObject',
      Resource: `${bucketArnOf(BUCKET)}/*`,
    },
  ],
};

const BUCKET_POLICIES: Readonly<Record<string, object | undefined>> = {
  'no bucket policy': undefined,
  "a partner's read grant": PARTNER_GRANT,
};

const RCP_OPTIONS: Readonly<Record<string, RcpOptions>> = {
  'with the required key': { requiredKeyArn: BUCKET.requiredKey.arn, acceptDsseKms: false },
  'with the required key, accepting DSSE-KMS': { requiredKeyArn: BUCKET.requiredKey.arn, acceptDsseKms: true },
  'without a required key': { acceptDsseKms: false },
};

/**
 * Issue 15's rule for the RCP, in terms of what an upload sends (never of how the policy is written):
 * refused when it carries a customer-provided key, asks for an encryption other than SSE-KMS (or DSSE-KMS
 * when accepted), asks for one without a key id (the AWS-managed aws/s3 key), or, with a required key,
 * names any key id but its ARN, as sent. Nothing asked for is let through: each bucket's default applies.
 */
const refusedByRcpRule = (operation: S3Operation, { requiredKeyArn, acceptDsseKms }: RcpOptions): boolean => {
  const headers = operation.requests[0]?.context ?? {};
  const algorithm = headers[SSE] as string | undefined;
  const keyId = headers[SSE_KMS_KEY_ID] as string | undefined;
  const accepted = acceptDsseKms ? ['aws:kms', 'aws:kms:dsse'] : ['aws:kms'];
  if (headers[SSE_CUSTOMER_ALGORITHM] !== undefined) return true;
  if (algorithm !== undefined && (!accepted.includes(algorithm) || keyId === undefined)) return true;
  return requiredKeyArn !== undefined && keyId !== undefined && keyId !== requiredKeyArn;
};

const decideRequest = async (request: S3Request, bucketPolicy: object | undefined, rcp?: object): Promise<Decision> =>
  (
    await evaluateS3Request({
      bucketPolicy: bucketPolicy as Record<string, unknown> | undefined,
      identityPolicies: identityPoliciesOf(request.principal),
      rcps: rcp ? [{ policies: [rcp as Record<string, unknown>] }] : [],
      request,
    })
  ).decision;

const decideOperation = async (operation: S3Operation, bucketPolicy: object | undefined, rcp?: object): Promise<Decision> => {
  const decisions = await Promise.all(operation.requests.map((request) => decideRequest(request, bucketPolicy, rcp)));
  if (decisions.includes('ExplicitlyDenied')) return 'ExplicitlyDenied';
  return decisions.includes('ImplicitlyDenied') ? 'ImplicitlyDenied' : 'Allowed';
};

const expectedDecision = (operation: S3Operation, options: RcpOptions, before: Decision): Decision => {
  if (operation.transport === 'HTTP') return 'ExplicitlyDenied';
  if (operation.kind === 'upload' && refusedByRcpRule(operation, options)) return 'ExplicitlyDenied';
  return before;
};

describe.each(Object.entries(RCP_OPTIONS))('the organization RCP %s, judged by the evaluator', (_, options) => {
  const rcp = organizationRcp(options);

  it.each(Object.entries(BUCKET_POLICIES))('over a bucket with %s: every operation gets the verdict the specification gives', async (__, bucketPolicy) => {
    const table = await Promise.all(
      MATRIX.map(async (operation) => {
        const before = await decideOperation(operation, bucketPolicy);
        return { operation: operation.name, before, expected: expectedDecision(operation, options, before), actual: await decideOperation(operation, bucketPolicy, rcp) };
      }),
    );
    expect(table.filter((row) => row.actual !== row.expected)).toEqual([]);
  });

  it('lets a header-less upload, the administrator, the enforcer copy and the partner read through over HTTPS', async () => {
    const mustPass = MATRIX.filter(
      (operation) => operation.transport === 'HTTPS' && (operation.kind !== 'upload' || operation.encryption === 'no encryption headers'),
    );
    const verdicts = await Promise.all(mustPass.map(async (operation) => [operation.name, await decideOperation(operation, PARTNER_GRANT, rcp)] as const));
    expect(verdicts.length).toBe(6);
    expect(verdicts.filter(([, decision]) => decision !== 'Allowed')).toEqual([]);
  });
});

describe("issue 15's named cases, over HTTPS, for the RCP with the required key", () => {
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
    'SSE-C (customer algorithm AES256)': 'ExplicitlyDenied',
  });

  it.each([false, true])('accepting DSSE-KMS: %s', async (acceptDsseKms) => {
    const rcp = organizationRcp({ requiredKeyArn: BUCKET.requiredKey.arn, acceptDsseKms });
    const expected = named(acceptDsseKms);
    const uploads = MATRIX.filter((operation) => operation.kind === 'upload' && operation.transport === 'HTTPS' && operation.encryption !== undefined && operation.encryption in expected);
    const verdicts = Object.fromEntries(await Promise.all(uploads.map(async (operation) => [operation.encryption, await decideOperation(operation, undefined, rcp)] as const)));
    expect(verdicts).toEqual(expected);
  });
});

describe('the organization RCP and callers that are not people or roles', () => {
  const rcp = organizationRcp({ requiredKeyArn: BUCKET.requiredKey.arn, acceptDsseKms: false });
  const logDelivery = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'S3ServerAccessLogs', Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: `${bucketArnOf(BUCKET)}/*` }],
  };
  const upload = (principal: string, context: Record<string, string>): S3Request => ({
    principal,
    action: 's3:PutObject',
    resource: OBJECT,
    resourceAccount: BUCKET.account,
    context: { 'aws:SecureTransport': 'true', [SSE]: 'AES256', ...context },
  });

  it('an AWS service delivering under its own principal with its own encryption choice is spared the encryption rules', async () => {
    const service = upload('logging.s3.amazonaws.com', { 'aws:PrincipalIsAWSService': 'true' });
    expect(await decideRequest(service, logDelivery, rcp)).toBe('Allowed');
  });

  it('but not TLS', async () => {
    const overHttp = upload('logging.s3.amazonaws.com', { 'aws:PrincipalIsAWSService': 'true', 'aws:SecureTransport': 'false' });
    expect(await decideRequest(overHttp, logDelivery, rcp)).toBe('ExplicitlyDenied');
  });

  it('a role is denied whether the request says it is not a service or says nothing (IfExists)', async () => {
    expect(await decideRequest(upload(WHO.uploader, { 'aws:PrincipalIsAWSService': 'false' }), undefined, rcp)).toBe('ExplicitlyDenied');
    expect(await decideRequest(upload(WHO.uploader, {}), undefined, rcp)).toBe('ExplicitlyDenied');
  });

  it('an anonymous upload into a publicly writable bucket is denied too', async () => {
    const publicWrite = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `${bucketArnOf(BUCKET)}/*` }] };
    expect(await decideRequest(upload(ANONYMOUS, {}), publicWrite, undefined)).toBe('Allowed');
    expect(await decideRequest(upload(ANONYMOUS, {}), publicWrite, rcp)).toBe('ExplicitlyDenied');
  });
});
