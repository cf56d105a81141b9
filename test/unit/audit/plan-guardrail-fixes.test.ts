import { S3Client, PutBucketEncryptionCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { applyFixes, type FixWriters } from '../../../functions/audit-encryption/apply-fixes.js';
import { S3BucketEncryptionWriter } from '../../../shared/adapters/s3-bucket-encryption-writer.js';
import type { BucketFacts } from '../../../shared/audit/audit-facts.js';
import { fixRecordOf, planFixes, withFixResults, type FixPlan } from '../../../shared/audit/plan-fixes.js';
import { runChecks } from '../../../shared/audit/run-checks.js';
import { NO_FIXES } from '../../../shared/config/parse-policy.js';
import { tlsOnlyDenyStatement, wrongKeyDenyStatements } from '../../../shared/prevention/guardrail-statements.js';
import { refusedSafeRequest } from '../../../shared/prevention/upload-safety.js';
import { ALLOWED_UNDER_BUCKET_GUARDRAILS, operationsAllowedBy } from '../../support/guardrail-verdicts.js';
import { DATA_BUCKET, type BucketUnderTest } from '../../support/s3-request-matrix.js';
import { ACCOUNT, OTHER, REQUIRED, awsError, bucket, context, facts, found, key, rule } from './fixtures.js';

/**
 * The three guardrail fixes as the audit plans them: the exact policy it writes (judged by the independent
 * evaluator), one write per bucket, a second run that changes nothing, the refusals, and the
 * PutBucketPolicy/PutBucketEncryption inputs S3 receives.
 */

const ALL_GUARDRAILS = { ...NO_FIXES, 's3-policy-denies-wrong-key': true, 's3-tls-only-policy': true, 's3-sse-c-blocked': true };
const fixing = (fixes = ALL_GUARDRAILS, policy = {}) => context({ settings: { fixes }, policy });
const KEYS = (): Parameters<typeof facts>[1] => [['us-east-1', REQUIRED, found(key(REQUIRED))]];

const PARTNER_GRANT = {
  Sid: 'PartnerRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::444455556666:root' },
  Action: ['s3:GetObject', 's3:ListBucket'],
  Resource: ['arn:aws:s3:::data-bucket', 'arn:aws:s3:::data-bucket/*'],
};
const OWNER_POLICY = JSON.stringify({ Version: '2012-10-17', Id: 'owner', Statement: [PARTNER_GRANT] });

/** A bucket that fails all three: SSE-S3 default without the SSE-C block, the partner's grant only. */
const exposed = (overrides: Partial<Extract<BucketFacts, { kind: 'inspected' }>> = {}) =>
  bucket('data-bucket', {
    encryption: { ok: true, value: { kind: 'configured', rules: [rule({ algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: [] })] } },
    policy: { ok: true, value: OWNER_POLICY },
    ...overrides,
  });

const planned = (buckets: BucketFacts[], ctx = fixing()) => {
  const audit = facts(buckets, KEYS());
  const findings = runChecks(audit, ctx);
  return { findings, plans: planFixes(findings, audit, ctx) };
};
const idOf = (findings: ReturnType<typeof runChecks>, check: string): string => findings.find((finding) => finding.check === check)?.id ?? '';

const UNDER_TEST: BucketUnderTest = {
  ...DATA_BUCKET,
  account: ACCOUNT,
  requiredKey: { arn: REQUIRED, keyId: REQUIRED.split('/')[1] ?? '', aliasName: 'alias/data-bucket', aliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/data-bucket` },
  otherKeyArn: OTHER,
};

describe('the guardrail fixes', () => {
  it('write ONE bucket policy: the owner’s statement byte for byte, then the three key Denies and the TLS Deny; SSE-C blocked keeping the rule', () => {
    const { findings, plans } = planned([exposed()]);
    const statements = [PARTNER_GRANT, ...wrongKeyDenyStatements({ bucket: 'data-bucket', partition: 'aws', requiredKeyArn: REQUIRED, acceptDsseKms: true }), tlsOnlyDenyStatement({ bucket: 'data-bucket', partition: 'aws' })];
    const policy = JSON.stringify({ Version: '2012-10-17', Id: 'owner', Statement: statements });
    expect(plans).toEqual<FixPlan[]>([
      {
        kind: 'block-sse-c',
        findingIds: [idOf(findings, 's3-sse-c-blocked')],
        bucket: 'data-bucket',
        region: 'us-east-1',
        rules: [{ algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: ['SSE-C'] }],
        before: 'no encryption type is blocked',
      },
      {
        kind: 'put-bucket-policy',
        findingIds: [idOf(findings, 's3-policy-denies-wrong-key'), idOf(findings, 's3-tls-only-policy')],
        bucket: 'data-bucket',
        region: 'us-east-1',
        policy,
        added: ['EnforcerDenyNonKmsEncryption', 'EnforcerDenyAwsManagedKey', 'EnforcerDenyOtherKmsKeys', 'EnforcerDenyInsecureTransport'],
        before: OWNER_POLICY,
      },
    ]);
  });

  it('write a policy the independent evaluator judges as promised over the request matrix', async () => {
    const { plans } = planned([exposed()]);
    const plan = plans.find((candidate) => candidate.kind === 'put-bucket-policy');
    if (plan?.kind !== 'put-bucket-policy') throw new Error('no policy planned');
    expect(await operationsAllowedBy(UNDER_TEST, plan.policy)).toEqual(ALLOWED_UNDER_BUCKET_GUARDRAILS);
  });

  it('change nothing on the next run: the written policy passes both checks, and no fix is planned', () => {
    const first = planned([exposed()]).plans;
    const policy = first.find((plan) => plan.kind === 'put-bucket-policy');
    if (policy?.kind !== 'put-bucket-policy') throw new Error('no policy planned');
    const after = exposed({
      policy: { ok: true, value: policy.policy },
      encryption: { ok: true, value: { kind: 'configured', rules: [rule({ algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: ['SSE-C'] })] } },
    });
    const { findings, plans } = planned([after]);
    expect(findings.filter((finding) => ['s3-policy-denies-wrong-key', 's3-tls-only-policy', 's3-sse-c-blocked'].includes(finding.check)).map((finding) => [finding.check, finding.status]).sort()).toEqual([
      ['s3-policy-denies-wrong-key', 'passed'],
      ['s3-sse-c-blocked', 'passed'],
      ['s3-tls-only-policy', 'passed'],
    ]);
    expect(plans).toEqual([]);
  });

  it('block SSE-C inside the default-encryption fix when both run on one bucket: one PutBucketEncryption', () => {
    const { findings, plans } = planned([exposed()], fixing({ ...NO_FIXES, 's3-default-encryption-kms': true, 's3-sse-c-blocked': true }));
    expect(plans).toEqual([
      expect.objectContaining({
        kind: 'put-bucket-encryption',
        findingIds: [idOf(findings, 's3-default-encryption-kms'), idOf(findings, 's3-sse-c-blocked')],
        rule: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true, blockedEncryptionTypes: ['SSE-C'] },
      }),
    ]);
  });

  it('plan only what POLICY turns on', () => {
    expect(planned([exposed()], fixing({ ...NO_FIXES, 's3-tls-only-policy': true })).plans).toEqual([
      expect.objectContaining({ kind: 'put-bucket-policy', added: ['EnforcerDenyInsecureTransport'] }),
    ]);
    expect(planned([exposed()], fixing(NO_FIXES)).plans).toEqual([]);
  });

  it.each([
    [
      'someone’s statement under a guardrail’s Sid',
      exposed({ policy: { ok: true, value: JSON.stringify({ Statement: [{ ...PARTNER_GRANT, Sid: 'EnforcerDenyInsecureTransport' }] }) } }),
      'the bucket policy already has a statement "EnforcerDenyInsecureTransport" (statement 1) that differs from the guardrail of that name; it is left as it is: remove or rename it to let the guardrail be added',
    ],
    [
      'a policy that is not JSON',
      exposed({ policy: { ok: true, value: '{"Statement": [' } }),
      'the bucket policy is not valid JSON',
    ],
    [
      'a policy that would be over 20 KB',
      exposed({
        policy: {
          ok: true,
          value: JSON.stringify({ Statement: Array.from({ length: 60 }, (_, n) => ({ ...PARTNER_GRANT, Sid: `Grant${n}`, Principal: { AWS: `arn:aws:iam::${String(n).padStart(12, '4')}:role/${'r'.repeat(200)}` } })) }),
        },
      }),
      expect.stringMatching(/^the bucket policy with the guardrails would be \d+ bytes, over S3's limit of 20480 bytes \(20 KB\)$/),
    ],
  ])('refuse, writing nothing, %s: the finding keeps failing with the reason', async (_case, facts_, reason) => {
    const { findings, plans } = planned([facts_]);
    const refused = plans.filter((plan) => plan.kind === 'refused');
    expect(refused).toEqual([expect.objectContaining({ action: 'PutBucketPolicy', findingIds: [idOf(findings, 's3-policy-denies-wrong-key'), idOf(findings, 's3-tls-only-policy')], reason })]);
    const s3 = mockClient(S3Client);
    const writer = new S3BucketEncryptionWriter(() => s3 as unknown as S3Client, ACCOUNT);
    const results = await applyFixes(refused, { mode: 'apply', bucketEncryption: writer, bucketPolicy: writer, keyRotation: { enableRotation: () => Promise.reject(new Error('no')) } }, 1);
    expect(s3.calls()).toEqual([]);
    const after = withFixResults(findings, results).find((finding) => finding.check === 's3-tls-only-policy');
    expect(after).toMatchObject({ status: 'failed', fix: { action: 'PutBucketPolicy', outcome: 'refused', after: 'nothing written' } });
  });

  it('refuse the key Denies, but still add TLS only, when POLICY has rules for part of the bucket', () => {
    const ctx = fixing(ALL_GUARDRAILS, { overrides: [{ bucket: 'data-bucket', prefix: 'legacy/', requiredKey: OTHER }] });
    const { findings, plans } = planned([exposed()], ctx);
    expect(plans.filter((plan) => plan.kind !== 'block-sse-c')).toEqual([
      expect.objectContaining({
        kind: 'refused',
        findingIds: [idOf(findings, 's3-policy-denies-wrong-key')],
        reason: 'POLICY has rules for part of the bucket (override of legacy/): a bucket-wide Deny of other keys would refuse their uploads',
      }),
      expect.objectContaining({ kind: 'put-bucket-policy', findingIds: [idOf(findings, 's3-tls-only-policy')], added: ['EnforcerDenyInsecureTransport'] }),
    ]);
  });

  it("leave the audit's own reports bucket to the stack that made it", () => {
    const ctx = { ...fixing(), reportsBucket: 'data-bucket' };
    const { findings, plans } = planned([exposed()], ctx);
    expect(plans.filter((plan) => plan.kind !== 'block-sse-c')).toEqual([
      {
        kind: 'refused',
        action: 'PutBucketPolicy',
        findingIds: [idOf(findings, 's3-policy-denies-wrong-key'), idOf(findings, 's3-tls-only-policy')],
        bucket: 'data-bucket',
        region: 'us-east-1',
        reason: "this is the audit's reports bucket (REPORTS_BUCKET): its policy belongs to the stack that made it, which already denies plain HTTP and other keys",
        before: OWNER_POLICY,
      },
    ]);
  });

  it('never write a statement that would refuse an upload without encryption headers or the enforcer’s copy', () => {
    const target = { bucket: 'data-bucket', partition: 'aws' };
    const classic = { ...tlsOnlyDenyStatement(target), Sid: 'ClassicKeyDeny', Action: 's3:PutObject', Resource: 'arn:aws:s3:::data-bucket/*', Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED } } };
    expect(refusedSafeRequest([classic], target, REQUIRED)).toBe('ClassicKeyDeny would refuse an upload without encryption headers');
    const wrongCopyKey = wrongKeyDenyStatements({ ...target, requiredKeyArn: OTHER, acceptDsseKms: false });
    expect(refusedSafeRequest(wrongCopyKey, target, REQUIRED)).toBe("EnforcerDenyOtherKmsKeys would refuse the enforcer's remediation copy (s3:PutObject under the required key)");
    expect(refusedSafeRequest([...wrongKeyDenyStatements({ ...target, requiredKeyArn: REQUIRED, acceptDsseKms: false }), tlsOnlyDenyStatement(target)], target, REQUIRED)).toBeUndefined();
  });

  it('as a dry run, report each fix as planned and send nothing; applied, send the whole documents', async () => {
    const { findings, plans } = planned([exposed()]);
    const s3 = mockClient(S3Client);
    s3.on(PutBucketPolicyCommand).resolves({});
    s3.on(PutBucketEncryptionCommand).resolves({});
    const writer = new S3BucketEncryptionWriter(() => s3 as unknown as S3Client, ACCOUNT);
    const writers = (mode: FixWriters['mode']): FixWriters => ({ mode, bucketEncryption: writer, bucketPolicy: writer, keyRotation: { enableRotation: () => Promise.reject(new Error('no')) } });

    const dry = await applyFixes(plans, writers('plan'), 1);
    expect(s3.calls()).toEqual([]);
    expect(dry.map((result) => fixRecordOf(result))).toEqual([
      { action: 'PutBucketEncryption', before: 'no encryption type is blocked', after: 'SSE-C blocked (BlockedEncryptionTypes), the rule otherwise as they were', outcome: 'planned' },
      expect.objectContaining({ action: 'PutBucketPolicy', before: OWNER_POLICY, outcome: 'planned', after: expect.stringMatching(/^the bucket policy with EnforcerDenyNonKmsEncryption, EnforcerDenyAwsManagedKey, EnforcerDenyOtherKmsKeys, EnforcerDenyInsecureTransport added, every existing statement kept \(\d+ bytes\)$/) }),
    ]);
    expect(withFixResults(findings, dry).filter((finding) => finding.fix).map((finding) => finding.status)).toEqual(['failed', 'failed', 'failed']);

    const applied = await applyFixes(plans, writers('apply'), 1);
    expect(applied.map((result) => result.outcome)).toEqual(['applied', 'applied']);
    const policy = plans.find((plan) => plan.kind === 'put-bucket-policy');
    expect(s3.commandCalls(PutBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'data-bucket',
        ExpectedBucketOwner: ACCOUNT,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
        },
      },
    ]);
    expect(s3.commandCalls(PutBucketPolicyCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'data-bucket', ExpectedBucketOwner: ACCOUNT, Policy: policy?.kind === 'put-bucket-policy' ? policy.policy : '' },
    ]);
    expect(withFixResults(findings, applied).filter((finding) => finding.fix).map((finding) => [finding.check, finding.status]).sort()).toEqual([
      ['s3-policy-denies-wrong-key', 'fixed'],
      ['s3-sse-c-blocked', 'fixed'],
      ['s3-tls-only-policy', 'fixed'],
    ]);
  });

  it('report a PutBucketPolicy that S3 refuses (no AuditGuardrails grant) as failed with its error, the finding still failing', async () => {
    const { findings, plans } = planned([exposed()], fixing({ ...NO_FIXES, 's3-tls-only-policy': true }));
    const s3 = mockClient(S3Client);
    s3.on(PutBucketPolicyCommand).rejects(awsError('AccessDenied', 403, 'User is not authorized to perform: s3:PutBucketPolicy'));
    const writer = new S3BucketEncryptionWriter(() => s3 as unknown as S3Client, ACCOUNT);
    const results = await applyFixes(plans, { mode: 'apply', bucketEncryption: writer, bucketPolicy: writer, keyRotation: { enableRotation: () => Promise.reject(new Error('no')) } }, 1);
    expect(withFixResults(findings, results).find((finding) => finding.check === 's3-tls-only-policy')).toMatchObject({
      status: 'failed',
      fix: { action: 'PutBucketPolicy', outcome: 'failed', error: 'PutBucketPolicy: AccessDenied: PutBucketPolicy failed: AccessDenied (HTTP 403): User is not authorized to perform: s3:PutBucketPolicy' },
    });
  });

  it('keep every rule of a KMS default, with its key and bucket key, when only SSE-C is blocked', async () => {
    const kmsDefault = exposed({ encryption: { ok: true, value: { kind: 'configured', rules: [rule({ kmsKeyReference: REQUIRED, bucketKeyEnabled: true, blockedEncryptionTypes: [] })] } } });
    const { plans } = planned([kmsDefault], fixing({ ...NO_FIXES, 's3-sse-c-blocked': true }));
    const s3 = mockClient(S3Client);
    s3.on(PutBucketEncryptionCommand).resolves({});
    const writer = new S3BucketEncryptionWriter(() => s3 as unknown as S3Client, ACCOUNT);
    await applyFixes(plans, { mode: 'apply', bucketEncryption: writer, bucketPolicy: writer, keyRotation: { enableRotation: () => Promise.reject(new Error('no')) } }, 1);
    expect(s3.commandCalls(PutBucketEncryptionCommand).map((call) => call.args[0].input.ServerSideEncryptionConfiguration)).toEqual([
      { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] },
    ]);
  });
});
