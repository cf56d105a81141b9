import { NO_FIXES } from '../../../shared/config/parse-policy.js';
import { describe, expect, it } from 'vitest';
import { planFixes, withFixResults } from '../../../shared/audit/plan-fixes.js';
import { runChecks } from '../../../shared/audit/run-checks.js';
import { OTHER, REQUIRED, bucket, context, facts, found, key, rule } from './fixtures.js';

const bad = bucket('data-bucket', {
  encryption: { ok: true, value: { kind: 'configured', rules: [rule({ algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: ['SSE-C'] })] } },
});
const otherKeyBucket = bucket('other-bucket', { encryption: { ok: true, value: { kind: 'configured', rules: [rule({ kmsKeyReference: OTHER, bucketKeyEnabled: false, blockedEncryptionTypes: [] })] } } });
const keys = (): Parameters<typeof facts>[1] => [
  ['us-east-1', REQUIRED, found(key(REQUIRED, { rotation: { ok: true, value: { enabled: true, periodDays: 90 } } }))],
  ['us-east-1', OTHER, found(key(OTHER, { rotation: { ok: true, value: { enabled: false } } }))],
];
const fixing = context({ settings: { maxRotationPeriodDays: 180, fixes: { ...NO_FIXES, 's3-default-encryption-kms': true, 'kms-key-rotation': true } } });

describe('planFixes', () => {
  it('plans nothing unless POLICY turns fixes on', () => {
    const audit = facts([bad], keys());
    expect(planFixes(runChecks(audit, context()), audit, context())).toEqual([]);
  });

  it('puts the required key as the default, keeping the SSE-C block, and turns rotation on at the maximum period', () => {
    const audit = facts([bad, otherKeyBucket], keys());
    const findings = runChecks(audit, fixing);
    const plans = planFixes(findings, audit, fixing);
    const idOf = (check: string, resource: string): string => findings.find((item) => item.check === check && item.resource === resource)?.id ?? '';
    expect(plans).toEqual([
      {
        kind: 'put-bucket-encryption',
        findingIds: [idOf('s3-default-encryption-kms', 'arn:aws:s3:::data-bucket')],
        bucket: 'data-bucket',
        region: 'us-east-1',
        rule: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true, blockedEncryptionTypes: ['SSE-C'] },
        before: 'rule 1: SSE-S3 (AES256)',
      },
      {
        kind: 'put-bucket-encryption',
        findingIds: [idOf('s3-default-encryption-kms', 'arn:aws:s3:::other-bucket'), idOf('s3-bucket-key-enabled', 'arn:aws:s3:::other-bucket')],
        bucket: 'other-bucket',
        region: 'us-east-1',
        rule: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true, blockedEncryptionTypes: [] },
        before: `rule 1: SSE-KMS with ${OTHER}`,
      },
      {
        kind: 'enable-key-rotation',
        findingIds: [idOf('kms-key-rotation', OTHER)],
        keyArn: OTHER,
        region: 'us-east-1',
        periodDays: 180,
        before: 'automatic rotation is off',
      },
    ]);
  });

  it('never lowers a DSSE-KMS default, and does not fix where the fix cannot help', () => {
    const dsse = bucket('dsse-bucket', { encryption: { ok: true, value: { kind: 'configured', rules: [rule({ algorithm: 'aws:kms:dsse', kmsKeyReference: OTHER, bucketKeyEnabled: false, blockedEncryptionTypes: [] })] } } });
    const eu = bucket('eu-bucket', { region: 'eu-west-1', arn: 'arn:aws:s3:::eu-bucket', encryption: { ok: true, value: { kind: 'none' } } });
    const audit = facts(
      [dsse, eu],
      [
        ['us-east-1', REQUIRED, found(key(REQUIRED, { rotation: { ok: true, value: { enabled: true, periodDays: 90 } } }))],
        ['us-east-1', OTHER, found(key(OTHER, { keySpec: 'RSA_2048', rotation: undefined }))],
      ],
    );
    const plans = planFixes(runChecks(audit, fixing), audit, fixing);
    expect(plans).toEqual([expect.objectContaining({ bucket: 'dsse-bucket', rule: { algorithm: 'aws:kms:dsse', keyArn: REQUIRED, bucketKeyEnabled: false, blockedEncryptionTypes: [] } })]);
  });

  it('does not fix toward a disabled required key, or rotate a replica', () => {
    const audit = facts(
      [bad],
      [
        ['us-east-1', REQUIRED, found(key(REQUIRED, { state: 'Disabled', rotation: { ok: true, value: { enabled: false } }, multiRegionType: 'REPLICA' }))],
      ],
    );
    expect(planFixes(runChecks(audit, fixing), audit, fixing)).toEqual([]);
  });

  it('marks applied fixes as fixed with the state before, and keeps failed ones failing with the error', () => {
    const audit = facts([bad, otherKeyBucket], keys());
    const findings = runChecks(audit, fixing);
    const plans = planFixes(findings, audit, fixing);
    expect(plans).toHaveLength(3);
    const after = withFixResults(
      findings,
      plans.map((plan, index) => (index === 1 ? { plan, outcome: 'failed' as const, error: 'PutBucketEncryption: AccessDenied: no' } : { plan, outcome: 'applied' as const })),
    );
    const byResource = (check: string, resource: string) => after.find((item) => item.check === check && item.resource === resource);
    expect(byResource('s3-default-encryption-kms', 'arn:aws:s3:::data-bucket')).toMatchObject({
      status: 'fixed',
      fix: { action: 'PutBucketEncryption', outcome: 'applied', before: 'rule 1: SSE-S3 (AES256)', after: `SSE-KMS with ${REQUIRED}, bucket key on, blocking SSE-C` },
    });
    expect(byResource('s3-bucket-key-enabled', 'arn:aws:s3:::other-bucket')).toMatchObject({
      status: 'failed',
      fix: { outcome: 'failed', error: 'PutBucketEncryption: AccessDenied: no' },
    });
    expect(byResource('kms-key-rotation', OTHER)).toMatchObject({ status: 'fixed', fix: { action: 'EnableKeyRotation', after: 'automatic rotation on, every 180 days' } });
  });
});
