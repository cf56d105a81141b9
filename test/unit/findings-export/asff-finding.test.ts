import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../shared/audit/checks-catalogue.js';
import { errorFinding, makeFinding } from '../../../shared/audit/checks/make-finding.js';
import type { PreviousFinding } from '../../../shared/audit/diff-findings.js';
import { FINDING_STATUSES, SEVERITIES, type Finding } from '../../../shared/audit/finding.js';
import { accountResource } from '../../../shared/organization/account-result.js';
import {
  ASFF_LIMITS,
  archivedAsffFinding,
  asffRegionOf,
  toAsffFinding,
  truncateText,
  type AsffContext,
} from '../../../shared/findings-export/asff-finding.js';

const ACCOUNT = '123456789012';
const RUN = '2026-05-02T03:00:00.000Z';
const FIRST_SEEN = '2026-04-20T03:00:00.000Z';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const BUCKET = 'arn:aws:s3:::data-lake';
const CONTEXT: AsffContext = { accountId: ACCOUNT, partition: 'aws', homeRegion: 'us-east-1', updatedAt: RUN };

const TYPES = ['Software and Configuration Checks/AWS Security Best Practices'];
const PRODUCT_ARN_EU = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const PRODUCT_ARN_US = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const DEFAULT_ENCRYPTION_CONTROLS = ['AWS Config s3-default-encryption-kms', 'Security Hub S3.17', 'CIS AWS Foundations 1.4.0 2.1.1', 'PCI DSS v3.2.1 3.4', 'PCI DSS v4.0 3.5.1'];
const DEFAULT_ENCRYPTION_REMEDIATION =
  'PutBucketEncryption with one rule: SSEAlgorithm aws:kms, KMSMasterKeyID the required key ARN, BucketKeyEnabled true (or turn on POLICY.audit.fixes["s3-default-encryption-kms"]).';
const ROTATION_CONTROLS = ['AWS Config cmk-backing-key-rotation-enabled', 'Security Hub KMS.4', 'CIS AWS Foundations 1.4.0 3.8', 'CIS AWS Foundations 3.0.0 3.6', 'PCI DSS v3.2.1 3.6.4'];
const ROTATION_REMEDIATION = 'EnableKeyRotation with RotationPeriodInDays no longer than the maximum (or turn on POLICY.audit.fixes["kms-key-rotation"]).';
const PROVIDER = { ProviderName: 's3-encryption-enforcer', ProviderVersion: '0.1.0' };
const NAMES = { ProductName: 's3-encryption-enforcer', CompanyName: 's3-encryption-enforcer project' };

const bucketFinding = (overrides: Partial<Finding> = {}): Finding => ({
  ...makeFinding(CHECKS['s3-default-encryption-kms'], {
    resource: BUCKET,
    region: 'eu-west-1',
    status: 'failed',
    observed: 'default encryption is SSE-S3 (AES256)',
    expected: `SSE-KMS under ${KEY}`,
    related: [KEY],
  }),
  ...overrides,
});

describe('toAsffFinding', () => {
  it('a failed bucket finding, with a fix that failed and the key it relates to', () => {
    const finding = bucketFinding({
      fix: { action: 'PutBucketEncryption', before: 'AES256', after: `aws:kms ${KEY}`, outcome: 'failed', error: 'AccessDenied: not authorized' },
    });

    expect(toAsffFinding(finding, FIRST_SEEN, CONTEXT)).toEqual({
      SchemaVersion: '2018-10-08',
      Id: finding.id,
      ProductArn: PRODUCT_ARN_EU,
      ...NAMES,
      GeneratorId: 's3-default-encryption-kms',
      AwsAccountId: ACCOUNT,
      Types: TYPES,
      CreatedAt: FIRST_SEEN,
      UpdatedAt: RUN,
      FirstObservedAt: FIRST_SEEN,
      LastObservedAt: RUN,
      Severity: { Label: 'HIGH', Original: 'high' },
      FindingProviderFields: { Severity: { Label: 'HIGH', Original: 'high' }, Types: TYPES },
      Title: 'Bucket default encryption is SSE-KMS with the required key',
      Description: `Observed: default encryption is SSE-S3 (AES256); expected: SSE-KMS under ${KEY}`,
      Remediation: { Recommendation: { Text: DEFAULT_ENCRYPTION_REMEDIATION } },
      ProductFields: {
        ...PROVIDER,
        check: 's3-default-encryption-kms',
        status: 'failed',
        observed: 'default encryption is SSE-S3 (AES256)',
        expected: `SSE-KMS under ${KEY}`,
        fixAction: 'PutBucketEncryption',
        fixOutcome: 'failed',
        fixBefore: 'AES256',
        fixAfter: `aws:kms ${KEY}`,
        fixError: 'AccessDenied: not authorized',
        relatedResources: KEY,
        relatedResourceCount: '1',
      },
      Resources: [{ Type: 'AwsS3Bucket', Id: BUCKET, Partition: 'aws', Region: 'eu-west-1' }],
      Compliance: { Status: 'FAILED', RelatedRequirements: DEFAULT_ENCRYPTION_CONTROLS },
      RecordState: 'ACTIVE',
    });
  });

  it('an error is NOT_AVAILABLE, with its medium severity, and a title cut to 256 characters', () => {
    const finding = errorFinding(CHECKS['s3-tls-only-policy'], {
      resource: BUCKET,
      region: 'eu-west-1',
      error: { operation: 'GetBucketPolicy', code: 'AccessDenied', message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/audit is not authorized ${'x'.repeat(280)}` },
    });

    const asff = toAsffFinding(finding, FIRST_SEEN, CONTEXT);

    const title = `Bucket policy denies requests that do not use TLS: could not be checked (User: arn:aws:sts::${ACCOUNT}:assumed-role/audit is not authorized ${'x'.repeat(255)}`;
    expect(asff).toEqual({
      SchemaVersion: '2018-10-08',
      Id: finding.id,
      ProductArn: PRODUCT_ARN_EU,
      ...NAMES,
      GeneratorId: 's3-tls-only-policy',
      AwsAccountId: ACCOUNT,
      Types: TYPES,
      CreatedAt: FIRST_SEEN,
      UpdatedAt: RUN,
      FirstObservedAt: FIRST_SEEN,
      LastObservedAt: RUN,
      Severity: { Label: 'MEDIUM', Original: 'medium' },
      FindingProviderFields: { Severity: { Label: 'MEDIUM', Original: 'medium' }, Types: TYPES },
      Title: `${title.slice(0, 255)}…`,
      Description: 'Observed: GetBucketPolicy failed with AccessDenied; expected: Bucket policy denies requests that do not use TLS',
      Remediation: {
        Recommendation: { Text: 'Let the audit role call GetBucketPolicy on this resource (or find out why it failed: AccessDenied), then the check can run.' },
      },
      ProductFields: {
        ...PROVIDER,
        check: 's3-tls-only-policy',
        status: 'error',
        observed: 'GetBucketPolicy failed with AccessDenied',
        expected: 'Bucket policy denies requests that do not use TLS',
      },
      Resources: [{ Type: 'AwsS3Bucket', Id: BUCKET, Partition: 'aws', Region: 'eu-west-1' }],
      Compliance: {
        Status: 'NOT_AVAILABLE',
        RelatedRequirements: ['AWS Config s3-bucket-ssl-requests-only', 'Security Hub S3.5', 'CIS AWS Foundations 1.4.0 2.1.2', 'CIS AWS Foundations 3.0.0 2.1.1', 'PCI DSS v3.2.1 4.1'],
      },
      RecordState: 'ACTIVE',
    });
    expect(asff.Title).toHaveLength(256);
  });

  it('a passed finding is PASSED and INFORMATIONAL, keeping the check’s own severity as Original', () => {
    const finding = bucketFinding({ status: 'passed', observed: `SSE-KMS under ${KEY}`, related: undefined });

    expect(toAsffFinding(finding, RUN, CONTEXT)).toEqual({
      SchemaVersion: '2018-10-08',
      Id: finding.id,
      ProductArn: PRODUCT_ARN_EU,
      ...NAMES,
      GeneratorId: 's3-default-encryption-kms',
      AwsAccountId: ACCOUNT,
      Types: TYPES,
      CreatedAt: RUN,
      UpdatedAt: RUN,
      FirstObservedAt: RUN,
      LastObservedAt: RUN,
      Severity: { Label: 'INFORMATIONAL', Original: 'high' },
      FindingProviderFields: { Severity: { Label: 'INFORMATIONAL', Original: 'high' }, Types: TYPES },
      Title: 'Bucket default encryption is SSE-KMS with the required key',
      Description: `Observed: SSE-KMS under ${KEY}; expected: SSE-KMS under ${KEY}`,
      Remediation: { Recommendation: { Text: DEFAULT_ENCRYPTION_REMEDIATION } },
      ProductFields: { ...PROVIDER, check: 's3-default-encryption-kms', status: 'passed', observed: `SSE-KMS under ${KEY}`, expected: `SSE-KMS under ${KEY}` },
      Resources: [{ Type: 'AwsS3Bucket', Id: BUCKET, Partition: 'aws', Region: 'eu-west-1' }],
      Compliance: { Status: 'PASSED', RelatedRequirements: DEFAULT_ENCRYPTION_CONTROLS },
      RecordState: 'ACTIVE',
    });
  });

  it('a fixed KMS key finding is PASSED, names the key id parsed from its ARN, and says what the fix did', () => {
    const finding: Finding = {
      ...makeFinding(CHECKS['kms-key-rotation'], { resource: KEY, region: 'eu-west-1', status: 'fixed', observed: 'rotation was off', expected: 'rotation on, every 365 days at most' }),
      fix: { action: 'EnableKeyRotation', before: 'rotation off', after: 'rotation every 365 days', outcome: 'applied' },
    };

    expect(toAsffFinding(finding, FIRST_SEEN, CONTEXT)).toEqual({
      SchemaVersion: '2018-10-08',
      Id: finding.id,
      ProductArn: PRODUCT_ARN_EU,
      ...NAMES,
      GeneratorId: 'kms-key-rotation',
      AwsAccountId: ACCOUNT,
      Types: TYPES,
      CreatedAt: FIRST_SEEN,
      UpdatedAt: RUN,
      FirstObservedAt: FIRST_SEEN,
      LastObservedAt: RUN,
      Severity: { Label: 'INFORMATIONAL', Original: 'medium' },
      FindingProviderFields: { Severity: { Label: 'INFORMATIONAL', Original: 'medium' }, Types: TYPES },
      Title: 'Automatic rotation is on, with a period within the policy maximum',
      Description: 'Observed: rotation was off; expected: rotation on, every 365 days at most',
      Remediation: { Recommendation: { Text: ROTATION_REMEDIATION } },
      ProductFields: {
        ...PROVIDER,
        check: 'kms-key-rotation',
        status: 'fixed',
        observed: 'rotation was off',
        expected: 'rotation on, every 365 days at most',
        fixAction: 'EnableKeyRotation',
        fixOutcome: 'applied',
        fixBefore: 'rotation off',
        fixAfter: 'rotation every 365 days',
      },
      Resources: [
        { Type: 'AwsKmsKey', Id: KEY, Partition: 'aws', Region: 'eu-west-1', Details: { AwsKmsKey: { KeyId: '11111111-1111-1111-1111-111111111111' } } },
      ],
      Compliance: { Status: 'PASSED', RelatedRequirements: ROTATION_CONTROLS },
      RecordState: 'ACTIVE',
    });
  });

  it('an informational key finding is PASSED with INFORMATIONAL severity: the check does not apply, nothing failed', () => {
    const finding = makeFinding(CHECKS['kms-key-rotation'], {
      resource: KEY,
      region: 'eu-west-1',
      status: 'informational',
      observed: 'an asymmetric key: KMS cannot rotate it',
      expected: 'rotation on, every 365 days at most',
    });

    const asff = toAsffFinding(finding, FIRST_SEEN, CONTEXT);

    expect(asff.Compliance).toEqual({ Status: 'PASSED', RelatedRequirements: ROTATION_CONTROLS });
    expect(asff.Severity).toEqual({ Label: 'INFORMATIONAL', Original: 'informational' });
    expect(asff.FindingProviderFields).toEqual({ Severity: { Label: 'INFORMATIONAL', Original: 'informational' }, Types: TYPES });
  });

  it('an account finding without a region goes to the home region; a check without controls has no RelatedRequirements', () => {
    const finding = makeFinding(CHECKS['org-account-audited'], {
      resource: accountResource('222233334444'),
      region: '',
      status: 'failed',
      observed: 'not audited (role-not-assumable): AccessDenied',
      expected: 'the organization audit reads the account through its member role, in every audited region',
    });

    expect(toAsffFinding(finding, FIRST_SEEN, CONTEXT)).toEqual({
      SchemaVersion: '2018-10-08',
      Id: finding.id,
      ProductArn: PRODUCT_ARN_US,
      ...NAMES,
      GeneratorId: 'org-account-audited',
      AwsAccountId: ACCOUNT,
      Types: TYPES,
      CreatedAt: FIRST_SEEN,
      UpdatedAt: RUN,
      FirstObservedAt: FIRST_SEEN,
      LastObservedAt: RUN,
      Severity: { Label: 'HIGH', Original: 'high' },
      FindingProviderFields: { Severity: { Label: 'HIGH', Original: 'high' }, Types: TYPES },
      Title: 'Account of the organization is audited',
      Description:
        'Observed: not audited (role-not-assumable): AccessDenied; expected: the organization audit reads the account through its member role, in every audited region',
      Remediation: { Recommendation: { Text: CHECKS['org-account-audited'].remediation } },
      ProductFields: {
        ...PROVIDER,
        check: 'org-account-audited',
        status: 'failed',
        observed: 'not audited (role-not-assumable): AccessDenied',
        expected: 'the organization audit reads the account through its member role, in every audited region',
      },
      Resources: [{ Type: 'AwsAccount', Id: 'AWS::::Account:222233334444', Partition: 'aws', Region: 'us-east-1' }],
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
    });
  });

  it('an object finding, in another partition, has no Details: nothing about the object is known without guessing', () => {
    const object = 'arn:aws-cn:s3:::cn-data/reports/2026/05/q1.csv';
    const finding = makeFinding(CHECKS['s3-object-sample'], {
      resource: object,
      resourceType: 'AwsS3Object',
      region: 'cn-north-1',
      status: 'failed',
      observed: 'SSE-S3',
      expected: 'SSE-KMS',
    });

    const asff = toAsffFinding(finding, FIRST_SEEN, { ...CONTEXT, partition: 'aws-cn', homeRegion: 'cn-north-1' });

    expect(asff.ProductArn).toBe(`arn:aws-cn:securityhub:cn-north-1:${ACCOUNT}:product/${ACCOUNT}/default`);
    expect(asff.Resources).toEqual([{ Type: 'AwsS3Object', Id: object, Partition: 'aws-cn', Region: 'cn-north-1' }]);
  });

  it('an alias ARN as a key resource has no Details: the alias names no key id', () => {
    const alias = 'arn:aws:kms:eu-west-1:123456789012:alias/data';
    const finding = makeFinding(CHECKS['kms-key-state'], { resource: alias, region: 'eu-west-1', status: 'failed', observed: 'alias not found', expected: 'an enabled key' });

    expect(toAsffFinding(finding, FIRST_SEEN, CONTEXT).Resources).toEqual([{ Type: 'AwsKmsKey', Id: alias, Partition: 'aws', Region: 'eu-west-1' }]);
  });

  it('first seen after the run’s start is clamped: CreatedAt is never after UpdatedAt; an unreadable first-seen counts as this run', () => {
    const later = toAsffFinding(bucketFinding(), '2026-06-01T00:00:00Z', CONTEXT);
    const unreadable = toAsffFinding(bucketFinding(), 'not a time', CONTEXT);

    expect([later.CreatedAt, later.UpdatedAt, later.FirstObservedAt]).toEqual([RUN, RUN, RUN]);
    expect([unreadable.CreatedAt, unreadable.UpdatedAt]).toEqual([RUN, RUN]);
  });

  it('refuses a run start that is not a time: every UpdatedAt would be wrong', () => {
    expect(() => toAsffFinding(bucketFinding(), FIRST_SEEN, { ...CONTEXT, updatedAt: 'yesterday' })).toThrow(new RangeError('the run\'s start "yesterday" is not an ISO time'));
  });

  it('a description too long keeps both halves: a short expectation whole, the observation cut', () => {
    const observed = `statement ${'s'.repeat(995)}`;
    const asff = toAsffFinding(bucketFinding({ observed, expected: 'TLS only' }), FIRST_SEEN, CONTEXT);

    expect(asff.Description).toBe(`Observed: ${observed.slice(0, 1024 - 22 - 'TLS only'.length - 1)}…; expected: TLS only`);
    expect(asff.Description).toHaveLength(1024);
    expect(asff.ProductFields?.['observed']).toBe(observed);
  });

  it('two long texts share the description half and half', () => {
    const asff = toAsffFinding(bucketFinding({ observed: 'o'.repeat(1000), expected: 'e'.repeat(1000) }), FIRST_SEEN, CONTEXT);

    expect(asff.Description).toBe(`Observed: ${'o'.repeat(500)}…; expected: ${'e'.repeat(500)}…`);
  });

  it('line breaks become spaces and blank texts are left out: Security Hub refuses blank strings', () => {
    const asff = toAsffFinding(bucketFinding({ title: ' \n ', observed: 'line one\r\nline two\u2028three', expected: '   ', remediation: '\t', related: [' ', KEY] }), FIRST_SEEN, CONTEXT);

    expect(asff.Title).toBe('s3-default-encryption-kms');
    expect(asff.Description).toBe('Observed: line one line two three; expected: (nothing recorded)');
    expect(asff.Remediation).toBeUndefined();
    expect(asff.ProductFields).toEqual({
      ...PROVIDER,
      check: 's3-default-encryption-kms',
      status: 'failed',
      observed: 'line one line two three',
      relatedResources: KEY,
      relatedResourceCount: '1',
    });
  });

  it('related resources: whole ARNs within 2048 characters, then how many more there are', () => {
    const buckets = Array.from({ length: 200 }, (_, index) => `arn:aws:s3:::bucket-${String(index).padStart(3, '0')}`);
    const fields = toAsffFinding(bucketFinding({ related: buckets }), FIRST_SEEN, CONTEXT).ProductFields ?? {};

    const listed = fields['relatedResources'] ?? '';
    expect(listed.length).toBeLessThanOrEqual(2048);
    const match = /^(.*) \(and (\d+) more\)$/.exec(listed);
    expect(match).not.toBeNull();
    const shown = (match?.[1] ?? '').split(', ');
    expect(shown).toEqual(buckets.slice(0, shown.length));
    expect(shown.length + Number(match?.[2])).toBe(200);
    expect(fields['relatedResourceCount']).toBe('200');
  });

  it('a cut never leaves half of a surrogate pair', () => {
    expect(truncateText(`${'a'.repeat(254)}😀😀`, 256)).toBe(`${'a'.repeat(254)}…`);
    expect(truncateText(`${'a'.repeat(253)}😀😀`, 256)).toBe(`${'a'.repeat(253)}😀…`);
    expect(truncateText('short', 256)).toBe('short');
  });
});

describe('archivedAsffFinding', () => {
  const previous: PreviousFinding = {
    accountId: ACCOUNT,
    id: 'kms-key-rotation/0123456789abcdef0123',
    check: 'kms-key-rotation',
    severity: 'medium',
    status: 'failed',
    resource: KEY,
    region: 'eu-west-1',
    title: 'Automatic rotation is on, with a period within the policy maximum',
    observed: 'rotation is off',
    expected: 'rotation on, every 365 days at most',
    remediation: ROTATION_REMEDIATION,
  };

  it('a finding gone since the previous run is sent once more as ARCHIVED, with its last known compliance', () => {
    expect(archivedAsffFinding(previous, FIRST_SEEN, CONTEXT)).toEqual({
      SchemaVersion: '2018-10-08',
      Id: 'kms-key-rotation/0123456789abcdef0123',
      ProductArn: PRODUCT_ARN_EU,
      ...NAMES,
      GeneratorId: 'kms-key-rotation',
      AwsAccountId: ACCOUNT,
      Types: TYPES,
      CreatedAt: FIRST_SEEN,
      UpdatedAt: RUN,
      FirstObservedAt: FIRST_SEEN,
      Severity: { Label: 'MEDIUM', Original: 'medium' },
      FindingProviderFields: { Severity: { Label: 'MEDIUM', Original: 'medium' }, Types: TYPES },
      Title: 'Automatic rotation is on, with a period within the policy maximum',
      Description: 'Observed: rotation is off; expected: rotation on, every 365 days at most',
      Remediation: { Recommendation: { Text: ROTATION_REMEDIATION } },
      ProductFields: {
        ...PROVIDER,
        check: 'kms-key-rotation',
        status: 'failed',
        observed: 'rotation is off',
        expected: 'rotation on, every 365 days at most',
        archivedBecause: 'not produced by this run: the resource or its check is gone',
      },
      Resources: [
        { Type: 'AwsKmsKey', Id: KEY, Partition: 'aws', Region: 'eu-west-1', Details: { AwsKmsKey: { KeyId: '11111111-1111-1111-1111-111111111111' } } },
      ],
      Compliance: { Status: 'FAILED', RelatedRequirements: ROTATION_CONTROLS },
      RecordState: 'ARCHIVED',
    });
  });

  it.each([
    ['a bucket', BUCKET, undefined, 'AwsS3Bucket'],
    ['an object', 'arn:aws:s3:::data-lake/a/b.csv', undefined, 'AwsS3Object'],
    ['an account', 'AWS::::Account:222233334444', undefined, 'AwsAccount'],
    ['something else', 'arn:aws:iam::123456789012:role/x', undefined, 'Other'],
    ['a type the report kept', BUCKET, 'AwsS3Object', 'AwsS3Object'],
  ] as const)('the resource type of %s', (_case, resource, resourceType, type) => {
    const asff = archivedAsffFinding({ ...previous, resource, resourceType, region: '' }, FIRST_SEEN, CONTEXT);

    expect(asff.Resources).toEqual([{ Type: type, Id: resource, Partition: 'aws', Region: 'us-east-1' }]);
    expect(asff.ProductArn).toBe(PRODUCT_ARN_US);
  });

  it('a check no longer in the catalogue has no RelatedRequirements', () => {
    expect(archivedAsffFinding({ ...previous, check: 'retired-check' }, FIRST_SEEN, CONTEXT).Compliance).toEqual({ Status: 'FAILED' });
  });
});

describe('asffRegionOf', () => {
  it.each([
    ['eu-west-1', 'eu-west-1'],
    ['', 'us-east-1'],
    ['  ', 'us-east-1'],
  ])('%j → %s', (region, expected) => {
    expect(asffRegionOf({ region }, 'us-east-1')).toBe(expected);
  });
});

describe('ASFF limits, whatever a finding says', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 3000 }),
    fc.string({ unit: 'grapheme', maxLength: 1500 }),
    fc.string({ unit: fc.constantFrom('\n', '\r', ' ', '\t', '\u2028', 'x', '😀', '\u0000'), maxLength: 3000 }),
  );
  const finding = fc.record({
    check: fc.constantFrom(...(Object.keys(CHECKS) as (keyof typeof CHECKS)[])),
    status: fc.constantFrom(...FINDING_STATUSES),
    severity: fc.constantFrom(...SEVERITIES),
    region: fc.constantFrom('', 'eu-west-1', 'us-east-1'),
    title: text,
    observed: text,
    expected: text,
    remediation: text,
    controls: fc.array(text, { maxLength: 40 }),
    related: fc.option(fc.array(text, { maxLength: 60 }), { nil: undefined }),
    fix: fc.option(
      fc.record({
        action: fc.constantFrom('PutBucketEncryption' as const, 'EnableKeyRotation' as const),
        before: text,
        after: text,
        outcome: fc.constantFrom('applied' as const, 'failed' as const),
        error: fc.option(text, { nil: undefined }),
      }),
      { nil: undefined },
    ),
  });
  const time = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());

  const oneLineNonBlank = (value: string): boolean => /\S/.test(value) && !/[\n\r\u0085\u2028\u2029]/.test(value);

  it('Title, Description, Remediation, ProductFields and Compliance stay within bounds; no Workflow; CreatedAt ≤ UpdatedAt', () =>
    fc.assert(
      fc.property(finding, time, time, (drawn, firstSeen, updatedAt) => {
        const asff = toAsffFinding(
          { ...makeFinding(CHECKS[drawn.check], { resource: BUCKET, region: drawn.region, status: drawn.status, observed: '', expected: '' }), ...drawn },
          firstSeen,
          { ...CONTEXT, updatedAt },
        );

        expect(asff.Title?.length).toBeLessThanOrEqual(ASFF_LIMITS.titleChars);
        expect(asff.Description?.length).toBeLessThanOrEqual(ASFF_LIMITS.descriptionChars);
        for (const value of [asff.Title ?? '', asff.Description ?? '']) expect(oneLineNonBlank(value)).toBe(true);
        const recommendation = asff.Remediation?.Recommendation?.Text;
        if (recommendation !== undefined) {
          expect(recommendation.length).toBeLessThanOrEqual(ASFF_LIMITS.recommendationChars);
          expect(oneLineNonBlank(recommendation)).toBe(true);
        }
        const fields = Object.entries(asff.ProductFields ?? {});
        expect(fields.length).toBeLessThanOrEqual(ASFF_LIMITS.productFields);
        for (const [key, value] of fields) {
          expect(key.length).toBeLessThanOrEqual(ASFF_LIMITS.productFieldKeyChars);
          expect(value.length).toBeLessThanOrEqual(ASFF_LIMITS.productFieldValueChars);
          expect(oneLineNonBlank(value)).toBe(true);
        }
        const requirements = asff.Compliance?.RelatedRequirements ?? [];
        expect(requirements.length).toBeLessThanOrEqual(ASFF_LIMITS.relatedRequirements);
        for (const requirement of requirements) {
          expect(requirement.length).toBeLessThanOrEqual(ASFF_LIMITS.relatedRequirementChars);
          expect(oneLineNonBlank(requirement)).toBe(true);
        }
        expect(asff).not.toHaveProperty('Workflow');
        expect(asff).not.toHaveProperty('WorkflowState');
        expect(Date.parse(asff.CreatedAt ?? '')).toBeLessThanOrEqual(Date.parse(asff.UpdatedAt ?? ''));
        expect(asff.UpdatedAt).toBe(updatedAt);
        expect(asff.Resources).toHaveLength(1);
        expect(Buffer.byteLength(JSON.stringify(asff))).toBeLessThan(ASFF_LIMITS.findingBytes);
      }),
      { numRuns: 200 },
    ));

  it('an archived finding keeps the same bounds and is ARCHIVED', () =>
    fc.assert(
      fc.property(finding, time, time, (drawn, firstSeen, updatedAt) => {
        const asff = archivedAsffFinding(
          { id: `${drawn.check}/0123`, resource: BUCKET, ...drawn },
          firstSeen,
          { ...CONTEXT, updatedAt },
        );

        expect(asff.RecordState).toBe('ARCHIVED');
        expect(asff.Title?.length).toBeLessThanOrEqual(ASFF_LIMITS.titleChars);
        expect(asff.Description?.length).toBeLessThanOrEqual(ASFF_LIMITS.descriptionChars);
        expect(Object.keys(asff.ProductFields ?? {}).length).toBeLessThanOrEqual(ASFF_LIMITS.productFields);
        expect(asff).not.toHaveProperty('Workflow');
        expect(Date.parse(asff.CreatedAt ?? '')).toBeLessThanOrEqual(Date.parse(asff.UpdatedAt ?? ''));
      }),
      { numRuns: 100 },
    ));
});
