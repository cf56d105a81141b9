import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROJECT_ROOT,
  actionsOf,
  grantsOfRole,
  packageService,
  resource,
  resourcesOfType,
  type PackagedService,
  type PolicyStatement,
  type Template,
} from './support/packaged-template.js';

// Packaged here, in beforeAll, from the "test" stage (watchedBuckets: two named buckets).
let packaged: PackagedService;
let template: Template;
beforeAll(() => {
  packaged = packageService();
  template = packaged.template;
}, 120_000);
afterAll(() => packaged?.dispose());

const sub = (text: string) => ({ 'Fn::Sub': text });
const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const REQUIRED_KEY_ARN = { 'Fn::If': ['CreateEnforcementKey', getAtt('EnforcementKey'), { Ref: 'ExistingKmsKeyArn' }] };
const WATCHED_OBJECTS = [sub('arn:${AWS::Partition}:s3:::enforcer-example-data/*'), sub('arn:${AWS::Partition}:s3:::enforcer-example-logs/*')];
const WATCHED_BUCKETS = [sub('arn:${AWS::Partition}:s3:::enforcer-example-data'), sub('arn:${AWS::Partition}:s3:::enforcer-example-logs')];
const VIA_S3 = { StringEquals: { 'kms:ViaService': sub('s3.${AWS::Region}.amazonaws.com') } };
const VIA_SNS = { StringEquals: { 'kms:ViaService': sub('sns.${AWS::Region}.amazonaws.com') } };

/** Calls IAM cannot scope to a resource: the only ones allowed Resource '*'. */
const NO_RESOURCE_SCOPE = new Set(['s3:ListAllMyBuckets', 'kms:ListKeys', 'kms:ListAliases']);

const ROLES = { enforce: 'EnforceObjectEncryptionRole', audit: 'AuditEncryptionRole' } as const;
const FUNCTIONS = { enforce: 'EnforceDashobjectDashencryptionLambdaFunction', audit: 'AuditDashencryptionLambdaFunction' } as const;

const everyIdentityStatement = (): { role: string; policyName: string; statement: PolicyStatement }[] =>
  Object.values(ROLES).flatMap((role) =>
    grantsOfRole(template, role).flatMap(({ policyName, statements }) => statements.map((statement) => ({ role, policyName, statement }))),
  );

const baseStatements = (role: string): readonly PolicyStatement[] => {
  const unconditional = grantsOfRole(template, role).filter((grant) => grant.condition === undefined);
  expect(unconditional).toHaveLength(1);
  return unconditional[0]?.statements ?? [];
};

const conditionalGrant = (role: string, condition: string) => {
  const grants = grantsOfRole(template, role).filter((grant) => grant.condition === condition);
  expect(grants).toHaveLength(1);
  return grants[0];
};

describe('one role per function', () => {
  it('gives each function its own role, defined in infra/, and no shared default role', () => {
    expect(resource(template, FUNCTIONS.enforce).Properties['Role']).toEqual(sub('${EnforceObjectEncryptionRole.Arn}'));
    expect(resource(template, FUNCTIONS.audit).Properties['Role']).toEqual(sub('${AuditEncryptionRole.Arn}'));
    expect(resourcesOfType(template, 'AWS::IAM::Role').map(([logicalId]) => logicalId).sort()).toEqual([ROLES.audit, ROLES.enforce]);
    expect(template.Resources['IamRoleLambdaExecution']).toBeUndefined();
  });

  it('lets only Lambda assume each role', () => {
    for (const role of Object.values(ROLES)) {
      expect(resource(template, role).Properties['AssumeRolePolicyDocument']).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    }
  });
});

describe('least privilege in every role policy', () => {
  it('grants no wildcard action: neither "*" nor a whole service ("s3:*")', () => {
    const wildcards = everyIdentityStatement().flatMap(({ role, statement }) =>
      actionsOf(statement)
        .filter((action) => action === '*' || /^[a-z0-9-]+:\*$/.test(action))
        .map((action) => `${role} ${statement.Sid}: ${action}`),
    );
    expect(wildcards).toEqual([]);
  });

  it("uses Resource '*' only for calls that have no resource scope", () => {
    const unscoped = everyIdentityStatement().filter(({ statement }) => statement.Resource === '*' || (Array.isArray(statement.Resource) && statement.Resource.includes('*')));
    expect(unscoped.map(({ role, statement }) => ({ role, actions: actionsOf(statement) }))).toEqual([
      { role: ROLES.audit, actions: ['s3:ListAllMyBuckets', 'kms:ListKeys', 'kms:ListAliases'] },
    ]);
    for (const { statement } of unscoped) expect(actionsOf(statement).every((action) => NO_RESOURCE_SCOPE.has(action))).toBe(true);
  });

  it("comments every Resource '*' in the IAM fragment, and has none elsewhere in serverless.yml", () => {
    const lines = readFileSync(join(PROJECT_ROOT, 'infra', 'resources', 'iam.yml'), 'utf8').split('\n');
    const uncommented = lines.flatMap((line, index) => {
      if (!/Resource:\s*['"]\*['"]/.test(line)) return [];
      const previous = lines.slice(0, index).reverse().find((candidate) => candidate.trim() !== '') ?? '';
      return previous.trim().startsWith('#') || line.includes('#') ? [] : [`line ${index + 1}: ${line.trim()}`];
    });
    expect(uncommented).toEqual([]);
    expect(lines.filter((line) => /Resource:\s*['"]\*['"]/.test(line))).toHaveLength(1);
    expect(readFileSync(join(PROJECT_ROOT, 'serverless.yml'), 'utf8')).not.toMatch(/Resource:\s*['"]\*['"]/);
  });

  it('derives the partition of every ARN from the region instead of writing arn:aws:', () => {
    expect(JSON.stringify(everyIdentityStatement())).not.toContain('arn:aws:');
  });

  it('allows, and never needs to deny, in role policies; every statement is named', () => {
    for (const { statement } of everyIdentityStatement()) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
    }
  });
});

describe('the enforce role', () => {
  it('grants exactly: its logs, objects of the watched buckets, the required key, source keys through S3, the topic, its queue', () => {
    expect(baseStatements(ROLES.enforce)).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt('EnforceDashobjectDashencryptionLogGroup'),
      },
      {
        Sid: 'ReencryptObjectsInWatchedBuckets',
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
          's3:GetObjectAcl',
          's3:GetObjectVersionAcl',
          's3:PutObject',
          's3:PutObjectTagging',
          's3:PutObjectAcl',
          's3:AbortMultipartUpload',
          's3:UpdateObjectEncryption',
        ],
        Resource: WATCHED_OBJECTS,
      },
      { Sid: 'ReadWatchedBuckets', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketOwnershipControls'], Resource: WATCHED_BUCKETS },
      {
        Sid: 'UseTheRequiredKey',
        Effect: 'Allow',
        Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey'],
        Resource: [REQUIRED_KEY_ARN],
      },
      {
        Sid: 'DecryptSourceObjectsThroughS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:ReEncryptFrom'],
        Resource: sub('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*'),
        Condition: VIA_S3,
      },
      { Sid: 'PublishFindings', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'FindingsTopic' } },
      { Sid: 'EncryptFindingsThroughSns', Effect: 'Allow', Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: getAtt('FindingsTopicKey'), Condition: VIA_SNS },
      {
        Sid: 'ReceiveFromItsQueue',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: getAtt('EnforcerQueue'),
      },
    ]);
  });

  it('may delete prior object versions only when PriorVersionDeletion is "true"', () => {
    expect(template.Parameters['PriorVersionDeletion']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Conditions['PriorVersionDeletionAllowed']).toEqual({ 'Fn::Equals': [{ Ref: 'PriorVersionDeletion' }, 'true'] });
    expect(conditionalGrant(ROLES.enforce, 'PriorVersionDeletionAllowed')?.statements).toEqual([
      { Sid: 'DeletePriorVersionsInWatchedBuckets', Effect: 'Allow', Action: 's3:DeleteObjectVersion', Resource: WATCHED_OBJECTS },
    ]);
    expect(baseStatements(ROLES.enforce).flatMap(actionsOf)).not.toContain('s3:DeleteObjectVersion');
  });
});

describe('the audit role', () => {
  it('grants exactly: its logs, listing, bucket and key configuration reads, the reports bucket, the topic', () => {
    expect(baseStatements(ROLES.audit)).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt('AuditDashencryptionLogGroup'),
      },
      { Sid: 'ListBucketsKeysAndAliases', Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 'kms:ListKeys', 'kms:ListAliases'], Resource: '*' },
      {
        Sid: 'ReadBucketConfiguration',
        Effect: 'Allow',
        Action: [
          's3:GetBucketLocation',
          's3:GetEncryptionConfiguration',
          's3:GetBucketPolicy',
          's3:GetBucketNotification',
          's3:GetBucketOwnershipControls',
          's3:ListBucket',
        ],
        Resource: sub('arn:${AWS::Partition}:s3:::*'),
      },
      { Sid: 'ReadAndWriteReports', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: sub('${ReportsBucket.Arn}/*') },
      { Sid: 'ReportsUnderTheRequiredKey', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: REQUIRED_KEY_ARN, Condition: VIA_S3 },
      {
        Sid: 'ReadKeyConfiguration',
        Effect: 'Allow',
        Action: ['kms:DescribeKey', 'kms:GetKeyRotationStatus', 'kms:GetKeyPolicy'],
        Resource: sub('arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*'),
      },
      { Sid: 'PublishFindings', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'FindingsTopic' } },
      { Sid: 'EncryptFindingsThroughSns', Effect: 'Allow', Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: getAtt('FindingsTopicKey'), Condition: VIA_SNS },
    ]);
  });

  it('gets the fix permissions only when AuditFixes is "true" (off by default)', () => {
    expect(template.Parameters['AuditFixes']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Conditions['AuditFixesEnabled']).toEqual({ 'Fn::Equals': [{ Ref: 'AuditFixes' }, 'true'] });
    expect(conditionalGrant(ROLES.audit, 'AuditFixesEnabled')?.statements).toEqual([
      { Sid: 'SetBucketDefaultEncryption', Effect: 'Allow', Action: 's3:PutEncryptionConfiguration', Resource: sub('arn:${AWS::Partition}:s3:::*') },
      { Sid: 'TurnOnKeyRotation', Effect: 'Allow', Action: 'kms:EnableKeyRotation', Resource: sub('arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*') },
    ]);
    const base = baseStatements(ROLES.audit).flatMap(actionsOf);
    expect(base).not.toContain('s3:PutEncryptionConfiguration');
    expect(base).not.toContain('kms:EnableKeyRotation');
  });

  it('may write the policies of this account\'s buckets only when AuditGuardrails is "true" (off by default), and never delete one', () => {
    const addGuardrails: PolicyStatement = {
      Sid: 'AddBucketPolicyGuardrails',
      Effect: 'Allow',
      Action: 's3:PutBucketPolicy',
      Resource: sub('arn:${AWS::Partition}:s3:::*'),
      Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
    };
    expect(template.Parameters['AuditGuardrails']).toMatchObject({ Type: 'String', Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Parameters['AuditGuardrails']?.['Description']).toEqual(expect.stringContaining('s3:PutBucketPolicy'));
    expect(template.Parameters['AuditGuardrails']?.['Description']).toEqual(expect.stringContaining('POLICY.audit.fixes still chooses'));
    expect(template.Conditions['AuditGuardrailsEnabled']).toEqual({ 'Fn::Equals': [{ Ref: 'AuditGuardrails' }, 'true'] });
    expect(resource(template, 'AuditGuardrailsPolicy')).toMatchObject({ Type: 'AWS::IAM::RolePolicy', Condition: 'AuditGuardrailsEnabled' });
    expect(conditionalGrant(ROLES.audit, 'AuditGuardrailsEnabled')?.statements).toEqual([addGuardrails]);
    // No other statement of any role writes or deletes a bucket policy: not the fixes, not the base grant.
    const bucketPolicyWrites = everyIdentityStatement().filter(({ statement }) => actionsOf(statement).some((action) => /^s3:(Put|Delete)BucketPolicy$/.test(action)));
    expect(bucketPolicyWrites).toEqual([{ role: ROLES.audit, policyName: 'audit-encryption-guardrails', statement: addGuardrails }]);
  });

  it('may head objects outside the reports bucket only when AuditObjectSample is "true"', () => {
    expect(template.Parameters['AuditObjectSample']).toMatchObject({ Default: 'false' });
    expect(conditionalGrant(ROLES.audit, 'AuditObjectSampleEnabled')?.statements).toEqual([
      { Sid: 'HeadObjectsInEveryBucket', Effect: 'Allow', Action: 's3:GetObject', Resource: sub('arn:${AWS::Partition}:s3:::*/*') },
    ]);
  });

  it('may import findings into Security Hub CSPM, as this account\'s own default product only, only when AuditSecurityHub is "true"', () => {
    const importFindings: PolicyStatement = {
      Sid: 'ImportFindingsIntoSecurityHub',
      Effect: 'Allow',
      Action: 'securityhub:BatchImportFindings',
      Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default'),
    };
    expect(template.Parameters['AuditSecurityHub']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Conditions['AuditSecurityHubEnabled']).toEqual({ 'Fn::Equals': [{ Ref: 'AuditSecurityHub' }, 'true'] });
    expect(conditionalGrant(ROLES.audit, 'AuditSecurityHubEnabled')?.statements).toEqual([importFindings]);
    // No other statement of any role names a Security Hub action: never securityhub:*, never Resource '*'.
    const securityHub = everyIdentityStatement().filter(({ statement }) => actionsOf(statement).some((action) => action.startsWith('securityhub:')));
    expect(securityHub).toEqual([{ role: ROLES.audit, policyName: 'audit-encryption-security-hub', statement: importFindings }]);
    expect(everyIdentityStatement().flatMap(({ statement }) => actionsOf(statement))).not.toContain('securityhub:*');
  });

  it('is never granted a cryptographic use of keys other than the required one', () => {
    const kmsUse = baseStatements(ROLES.audit).filter((statement) => actionsOf(statement).some((action) => /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt)/.test(action)));
    expect(kmsUse.map((statement) => statement.Resource)).toEqual([REQUIRED_KEY_ARN, getAtt('FindingsTopicKey')]);
  });
});
