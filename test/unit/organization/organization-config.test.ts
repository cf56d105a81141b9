import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMBER_PARAMETER_NAME, DEFAULT_MEMBER_ROLE_NAME, loadOrganizationAuditConfig } from '../../../shared/config/organization-config.js';
import { DEFAULT_AUDIT_SETTINGS } from '../../../shared/config/parse-policy.js';
import { ConfigurationError } from '../../../shared/errors.js';

const REPORTS_KEY = 'arn:aws:kms:us-east-1:999999999999:key/0a1b2c3d-1111-2222-3333-444444444444';
const TOPIC = 'arn:aws:sns:us-east-1:999999999999:organization-findings';

const BASE = {
  AWS_REGION: 'us-east-1',
  REQUIRED_KMS_KEY: 'alias/data',
  REPORTS_BUCKET: 'org-reports',
  REPORTS_KMS_KEY_ARN: REPORTS_KEY,
  FINDINGS_TOPIC_ARN: TOPIC,
};

const problemsOf = (env: Record<string, string | undefined>, publishes = false): readonly string[] => {
  try {
    loadOrganizationAuditConfig({ ...BASE, ...env }, { publishes });
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadOrganizationAuditConfig', () => {
  it('reads the reports bucket and its key, with the member defaults, the home region as the only audited region and the whole organization in scope', () => {
    const config = loadOrganizationAuditConfig(BASE, { publishes: false });

    expect(config).toEqual({
      audit: expect.objectContaining({ reportsBucket: 'org-reports', reportsPrefix: 'encryption-audit/', audit: DEFAULT_AUDIT_SETTINGS, concurrency: 8, aws: { region: 'us-east-1', forcePathStyle: false } }),
      reportsBucket: 'org-reports',
      reportsKmsKeyArn: REPORTS_KEY,
      memberRoleName: 's3-encryption-enforcer-audit',
      memberParameterName: '/s3-encryption-enforcer/member',
      auditRegions: ['us-east-1'],
      scope: {},
    });
    expect(config.audit.policy.requiredKey).toBe('alias/data');
    expect([DEFAULT_MEMBER_ROLE_NAME, DEFAULT_MEMBER_PARAMETER_NAME]).toEqual(['s3-encryption-enforcer-audit', '/s3-encryption-enforcer/member']);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auditRegions)).toBe(true);
    expect(Object.isFrozen(config.scope)).toBe(true);
  });

  it('only the step that announces gets the findings topic; the others neither need it nor keep it', () => {
    expect(loadOrganizationAuditConfig(BASE, { publishes: true }).findingsTopicArn).toBe(TOPIC);
    expect(loadOrganizationAuditConfig(BASE, { publishes: false })).not.toHaveProperty('findingsTopicArn');
    expect(loadOrganizationAuditConfig({ ...BASE, FINDINGS_TOPIC_ARN: undefined }, { publishes: false })).not.toHaveProperty('findingsTopicArn');
    // The announcing step's own settings carry no topic of their own either: it is in one place.
    expect(loadOrganizationAuditConfig(BASE, { publishes: true }).audit).not.toHaveProperty('findingsTopicArn');
    // Unsaid, a step does not announce.
    expect(loadOrganizationAuditConfig({ ...BASE, FINDINGS_TOPIC_ARN: undefined })).not.toHaveProperty('findingsTopicArn');
    expect(problemsOf({ FINDINGS_TOPIC_ARN: undefined }, true)).toEqual(['FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings']);
  });

  it('reads the member role (with a path), the parameter, the regions and the scope, trimmed and each once', () => {
    const config = loadOrganizationAuditConfig(
      {
        ...BASE,
        MEMBER_ROLE_NAME: ' audit/reader ',
        MEMBER_PARAMETER_NAME: '/platform/enforcer-member',
        AUDIT_REGIONS: 'eu-west-1, us-east-1,,eu-west-1',
        ORGANIZATION_ACCOUNTS: '111111111111, 222222222222,111111111111',
        ORGANIZATION_OUS: 'ou-ab12-cdefgh34, r-ab12',
      },
      { publishes: false },
    );

    expect(config).toMatchObject({
      memberRoleName: 'audit/reader',
      memberParameterName: '/platform/enforcer-member',
      auditRegions: ['eu-west-1', 'us-east-1'],
      scope: { accounts: ['111111111111', '222222222222'], organizationalUnits: ['ou-ab12-cdefgh34', 'r-ab12'] },
    });
  });

  it('a scope of accounts alone, or of units alone, says nothing of the other', () => {
    expect(loadOrganizationAuditConfig({ ...BASE, ORGANIZATION_ACCOUNTS: '111111111111' }, { publishes: false }).scope).toEqual({ accounts: ['111111111111'] });
    expect(loadOrganizationAuditConfig({ ...BASE, ORGANIZATION_OUS: 'r-ab12' }, { publishes: false }).scope).toEqual({ organizationalUnits: ['r-ab12'] });
  });

  it('lists every problem at once: the account audit’s first, then the organization’s', () => {
    expect(
      problemsOf({
        REQUIRED_KMS_KEY: '',
        REPORTS_BUCKET: undefined,
        REPORTS_KMS_KEY_ARN: 'alias/reports',
        MEMBER_ROLE_NAME: 'audit reader',
        MEMBER_PARAMETER_NAME: 'member parameter!',
        AUDIT_REGIONS: 'us-east-1,europe,mars-1',
        ORGANIZATION_ACCOUNTS: '111111111111,12345',
        ORGANIZATION_OUS: 'ou-x,r-ab12',
      }),
    ).toEqual([
      'REQUIRED_KMS_KEY is not set: give the KMS key (ARN, key id, alias/name or alias ARN) objects must be encrypted with',
      'REPORTS_BUCKET is not set: the organization audit keeps each account’s report, and its own, in the central reports bucket',
      'REPORTS_KMS_KEY_ARN must be the ARN of the reports bucket\'s KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID), not "alias/reports"',
      'MEMBER_ROLE_NAME "audit reader" is not an IAM role name (with an optional path)',
      'MEMBER_PARAMETER_NAME "member parameter!" is not an SSM parameter name',
      'AUDIT_REGIONS holds "europe", "mars-1", which are not a region',
      'ORGANIZATION_ACCOUNTS holds "12345", which is not a 12-digit account id',
      'ORGANIZATION_OUS holds "ou-x", which is not an organizational unit id (ou-…) or a root id (r-…)',
    ]);
  });

  it('an AUDIT_REGIONS set but empty is a mistake, not the home region', () => {
    expect(problemsOf({ AUDIT_REGIONS: ' , ' })).toEqual(['AUDIT_REGIONS is empty: name the regions the member template is deployed to']);
  });

  it('refuses a reports key that is not a key ARN, and a missing one', () => {
    expect(problemsOf({ REPORTS_KMS_KEY_ARN: undefined })).toEqual([
      'REPORTS_KMS_KEY_ARN must be the ARN of the reports bucket\'s KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID), not ""',
    ]);
    expect(problemsOf({ REPORTS_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:999999999999:alias/reports' })).toEqual([
      'REPORTS_KMS_KEY_ARN must be the ARN of the reports bucket\'s KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID), not "arn:aws:kms:us-east-1:999999999999:alias/reports"',
    ]);
  });

  it('an invalid REPORTS_BUCKET is reported once, in the account audit’s words', () => {
    expect(problemsOf({ REPORTS_BUCKET: 'Not_A_Bucket' })).toEqual(['REPORTS_BUCKET "Not_A_Bucket" is not a bucket name']);
  });
});
