import { NO_FIXES } from '../../../shared/config/parse-policy.js';
import { describe, expect, it } from 'vitest';
import { loadAuditConfig } from '../../../shared/config/audit-config.js';
import { DEFAULT_AUDIT_SETTINGS, parseAuditSettings, parsePolicy } from '../../../shared/config/parse-policy.js';
import { ConfigurationError } from '../../../shared/errors.js';
import { REQUIRED } from './fixtures.js';

const BASE = {
  REQUIRED_KMS_KEY: REQUIRED,
  FINDINGS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:findings',
  AWS_REGION: 'us-east-1',
};

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadAuditConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadAuditConfig', () => {
  it('reads the enforcer settings plus the audit ones, with defaults, frozen', () => {
    const config = loadAuditConfig({ ...BASE, REPORTS_BUCKET: 'audit-reports', ENFORCER_QUEUE_ARN: 'arn:aws:sqs:us-east-1:123456789012:enforcer', S3_FORCE_PATH_STYLE: 'true' });
    expect(config).toMatchObject({
      findingsTopicArn: BASE.FINDINGS_TOPIC_ARN,
      policy: { requiredKey: REQUIRED, bucketKey: true, acceptDsseKms: true, exemptions: [], overrides: [] },
      audit: DEFAULT_AUDIT_SETTINGS,
      aws: { region: 'us-east-1', forcePathStyle: true },
      reportsBucket: 'audit-reports',
      reportsPrefix: 'encryption-audit/',
      enforcer: { queueArns: ['arn:aws:sqs:us-east-1:123456789012:enforcer'], functionArns: [], topicArns: [] },
      concurrency: 8,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('an audit that publishes nothing neither needs FINDINGS_TOPIC_ARN nor fails on it, and gets no topic', () => {
    const withoutTopic = { ...BASE, FINDINGS_TOPIC_ARN: undefined };
    const settings = loadAuditConfig(withoutTopic, { publishes: false });
    expect(settings).not.toHaveProperty('findingsTopicArn');
    expect(settings).toMatchObject({ policy: { requiredKey: REQUIRED }, audit: DEFAULT_AUDIT_SETTINGS, concurrency: 8 });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(loadAuditConfig({ ...BASE, FINDINGS_TOPIC_ARN: 'findings' }, { publishes: false })).not.toHaveProperty('findingsTopicArn');
    expect(() => loadAuditConfig(withoutTopic)).toThrow(ConfigurationError);
  });

  it('REPORTS_BUCKET and the enforcer targets are optional', () => {
    expect(loadAuditConfig(BASE)).toMatchObject({ reportsBucket: undefined, enforcer: { queueArns: [], functionArns: [], topicArns: [] } });
  });

  it('lists every problem at once, shared settings in the enforcer wording', () => {
    expect(
      problemsOf({
        REQUIRED_KMS_KEY: '',
        REPORTS_BUCKET: 'Not_A_Bucket',
        ENFORCER_FUNCTION_ARN: 'enforcer',
        AUDIT_CONCURRENCY: '0',
        POLICY: JSON.stringify({ audit: { maxRotationPeriodDays: 30, objectSampleSize: -1, fixes: { 's3-tls-only': true }, speed: 'fast' } }),
      }),
    ).toEqual([
      'REQUIRED_KMS_KEY is not set: give the KMS key (ARN, key id, alias/name or alias ARN) objects must be encrypted with',
      'POLICY.audit has an unknown field "speed" (allowed: maxRotationPeriodDays, objectSampleSize, fixes, securityHub)',
      'POLICY.audit.fixes has an unknown check "s3-tls-only" (fixable: s3-default-encryption-kms, kms-key-rotation, s3-sse-c-blocked, s3-policy-denies-wrong-key, s3-tls-only-policy)',
      'POLICY.audit.maxRotationPeriodDays must be a whole number from 90 to 2560',
      'POLICY.audit.objectSampleSize must be a whole number from 0 to 1000',
      'REPORTS_BUCKET "Not_A_Bucket" is not a bucket name',
      'ENFORCER_FUNCTION_ARN "enforcer" is not a valid ARN of that kind',
      'AUDIT_CONCURRENCY must be a whole number from 1 to 64, not "0"',
    ]);
  });
});

describe('POLICY.audit', () => {
  it('reads the audit section with its defaults', () => {
    expect(parseAuditSettings(undefined)).toEqual({ audit: DEFAULT_AUDIT_SETTINGS, problems: [] });
    expect(parseAuditSettings(JSON.stringify({ audit: { maxRotationPeriodDays: 180, objectSampleSize: 25, fixes: { 'kms-key-rotation': true } } }))).toEqual({
      audit: { maxRotationPeriodDays: 180, objectSampleSize: 25, fixes: { ...NO_FIXES, 'kms-key-rotation': true }, securityHub: false },
      problems: [],
    });
    expect(DEFAULT_AUDIT_SETTINGS).toEqual({ maxRotationPeriodDays: 365, objectSampleSize: 0, fixes: { 's3-default-encryption-kms': false, 'kms-key-rotation': false, 's3-sse-c-blocked': false, 's3-policy-denies-wrong-key': false, 's3-tls-only-policy': false }, securityHub: false });
  });

  it('imports into Security Hub only when POLICY.audit.securityHub is true, and refuses anything but true or false', () => {
    expect(parseAuditSettings(JSON.stringify({ audit: { securityHub: true } }))).toEqual({ audit: { ...DEFAULT_AUDIT_SETTINGS, securityHub: true }, problems: [] });
    expect(parseAuditSettings(JSON.stringify({ audit: { securityHub: false } }))).toEqual({ audit: DEFAULT_AUDIT_SETTINGS, problems: [] });
    expect(parseAuditSettings(JSON.stringify({ audit: { securityHub: 'yes' } })).problems).toEqual(['POLICY.audit.securityHub must be true or false']);
    expect(problemsOf({ POLICY: JSON.stringify({ audit: { securityHub: 'yes' } }) })).toEqual(['POLICY.audit.securityHub must be true or false']);
  });

  it('parsePolicy accepts the audit section without changing what it returns, and still refuses unknown fields', () => {
    const withAudit = parsePolicy(JSON.stringify({ bucketKey: false, audit: { objectSampleSize: 5 } }));
    const without = parsePolicy(JSON.stringify({ bucketKey: false }));
    expect(withAudit).toEqual(without);
    expect(parsePolicy(JSON.stringify({ audit: 'yes' })).problems).toEqual(['POLICY.audit must be an object']);
    expect(parsePolicy(JSON.stringify({ audits: {} })).problems).toEqual([expect.stringMatching(/^POLICY has an unknown field "audits" \(allowed: .*audit/)]);
  });
});
