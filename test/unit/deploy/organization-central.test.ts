import { Buffer } from 'node:buffer';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { centralTemplate } from '../../../infra/organization/central-template.mjs';
import { TEMPLATE_BODY_LIMIT, templateBody } from '../../../infra/organization/package-organization.mjs';
import { writeFunctionZips } from '../../../infra/organization/function-zips.mjs';
import { actionsOf, grantsOfRole, resource, resourcesOfType, statementsOf, zipEntries, type PolicyStatement } from './support/packaged-template.js';
import {
  ACCOUNT_AUDIT_READS,
  ACCOUNT_ROOT,
  AUDIT_FIX_STATEMENTS,
  AUDIT_GUARDRAIL_STATEMENTS,
  AUDIT_OBJECT_SAMPLE_STATEMENTS,
  NO_RESOURCE_SCOPE,
  SECURITY_HUB_IMPORT_STATEMENTS,
  ORGANIZATION_ONLY,
  VERSION,
  VIA_S3,
  VIA_SNS,
  allowedBy,
  asTemplate,
  getAtt,
  ref,
  sub,
} from './support/organization-templates.js';

// Generated here, as `npm run package` generates dist/cloudformation/organization-central.json.
const template = asTemplate(centralTemplate({ version: VERSION }));

const ROLES = {
  list: 'ListAccountsRole',
  audit: 'AuditMemberRole',
  merge: 'MergeRole',
  stateMachine: 'StateMachineRole',
  schedule: 'ScheduleRole',
} as const;
const FUNCTIONS = {
  'list-organization-accounts': { id: 'ListAccountsFunction', role: ROLES.list, logGroup: 'ListAccountsLogGroup' },
  'audit-member-account': { id: 'AuditMemberFunction', role: ROLES.audit, logGroup: 'AuditMemberLogGroup' },
  'merge-organization-audit': { id: 'MergeFunction', role: ROLES.merge, logGroup: 'MergeLogGroup' },
} as const;
const LOG_GROUPS = {
  ListAccountsLogGroup: '/aws/lambda/s3-encryption-enforcer-list-organization-accounts',
  AuditMemberLogGroup: '/aws/lambda/s3-encryption-enforcer-audit-member-account',
  MergeLogGroup: '/aws/lambda/s3-encryption-enforcer-merge-organization-audit',
  StateMachineLogGroup: '/aws/vendedlogs/states/s3-encryption-enforcer-organization-audit',
} as const;

const REPORT_OBJECTS = sub('${ReportsBucket.Arn}/${ReportsPrefix}*');
const REPORTS_KEY_USE = { Sid: 'ReportsUnderTheReportsKey', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: getAtt('ReportsKey'), Condition: VIA_S3 };
const writeOwnLogs = (logGroup: string) => ({ Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(logGroup) });

const baseStatements = (role: string): readonly PolicyStatement[] => {
  const unconditional = grantsOfRole(template, role).filter((grant) => grant.condition === undefined);
  expect(unconditional).toHaveLength(1);
  return unconditional[0]?.statements ?? [];
};
const everyIdentityStatement = () =>
  Object.values(ROLES).flatMap((role) => grantsOfRole(template, role).flatMap(({ statements }) => statements.map((statement) => ({ role, statement }))));
const trustOf = (role: string) => resource(template, role).Properties['AssumeRolePolicyDocument'];

describe('parameters', () => {
  it('declares exactly the settings of the organization audit', () => {
    expect(Object.keys(template.Parameters).sort()).toEqual(
      [
        'AccountIds',
        'AllowAuditFixes',
        'AllowAuditGuardrails',
        'AllowAuditObjectSample',
        'AllowSecurityHubImport',
        'ArtifactsBucketPrefix',
        'AuditConcurrency',
        'AuditRegions',
        'FindingsEmail',
        'KeyAdministratorArns',
        'KeyRotationPeriodInDays',
        'LogRetentionInDays',
        'MaxConcurrency',
        'MemberParameterName',
        'MemberRoleName',
        'OrganizationId',
        'OrganizationalUnitIds',
        'Policy',
        'ReportRetentionDays',
        'ReportsPrefix',
        'RequiredKmsKey',
        'Schedule',
      ].sort(),
    );
  });

  it('validates the organization id, the scope and the regions', () => {
    const { OrganizationId, AccountIds, OrganizationalUnitIds, AuditRegions, RequiredKmsKey, ArtifactsBucketPrefix } = template.Parameters;
    expect(OrganizationId).not.toHaveProperty('Default');
    for (const good of ['o-a1b2c3d4e5', 'o-exampleorgid12345']) expect(allowedBy(OrganizationId, good), good).toBe(true);
    for (const bad of ['', '*', 'o-short', 'O-A1B2C3D4E5', 'r-a1b2', 'o-a1b2c3d4e5,o-f6g7h8i9j0']) expect(allowedBy(OrganizationId, bad), bad).toBe(false);
    expect(allowedBy(AccountIds, '')).toBe(true);
    expect(allowedBy(AccountIds, '111122223333,444455556666')).toBe(true);
    expect(allowedBy(AccountIds, '1111')).toBe(false);
    expect(allowedBy(OrganizationalUnitIds, 'ou-ab12-cdefgh34,r-ab12')).toBe(true);
    expect(allowedBy(OrganizationalUnitIds, 'o-a1b2c3d4e5')).toBe(false);
    expect(allowedBy(AuditRegions, 'eu-west-1,us-east-1,us-gov-west-1')).toBe(true);
    expect(allowedBy(AuditRegions, '')).toBe(false);
    expect(allowedBy(AuditRegions, 'eu-west-1,')).toBe(false);
    expect(RequiredKmsKey).toMatchObject({ Default: 'alias/s3-encryption-enforcer-enforcement' });
    expect(allowedBy(RequiredKmsKey, 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(true);
    expect(allowedBy(RequiredKmsKey, 'alias/aws/s3')).toBe(true);
    expect(allowedBy(ArtifactsBucketPrefix, 'my-artifacts')).toBe(true);
    expect(allowedBy(ArtifactsBucketPrefix, 'My_Artifacts')).toBe(false);
    expect(template.Parameters['MaxConcurrency']).toMatchObject({ Type: 'Number', MinValue: 1, MaxValue: 1000 });
    expect(template.Parameters['Schedule']).toMatchObject({ Default: 'cron(0 3 * * ? *)' });
    expect(template.Parameters['ReportsPrefix']).toMatchObject({ Default: 'encryption-audit/' });
  });
});

describe('the functions', () => {
  it.each(Object.entries(FUNCTIONS))('%s runs from the artifacts bucket of its region, on nodejs22.x and arm64, with its own role and log group', (name, { id, role, logGroup }) => {
    expect(resource(template, id).Properties).toMatchObject({
      FunctionName: `s3-encryption-enforcer-${name}`,
      Code: { S3Bucket: sub('${ArtifactsBucketPrefix}-${AWS::Region}'), S3Key: `s3-encryption-enforcer/${VERSION}/${name}.zip` },
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Role: getAtt(role),
      LoggingConfig: { LogGroup: ref(logGroup) },
    });
  });

  it('gives the three functions the same configuration', () => {
    for (const { id } of Object.values(FUNCTIONS)) {
      expect(resource(template, id).Properties['Environment']).toEqual({
        Variables: {
          REQUIRED_KMS_KEY: ref('RequiredKmsKey'),
          POLICY: ref('Policy'),
          FINDINGS_TOPIC_ARN: ref('FindingsTopic'),
          REPORTS_BUCKET: ref('ReportsBucket'),
          REPORTS_PREFIX: ref('ReportsPrefix'),
          REPORTS_KMS_KEY_ARN: getAtt('ReportsKey'),
          MEMBER_ROLE_NAME: ref('MemberRoleName'),
          MEMBER_PARAMETER_NAME: ref('MemberParameterName'),
          AUDIT_REGIONS: ref('AuditRegions'),
          ORGANIZATION_ACCOUNTS: ref('AccountIds'),
          ORGANIZATION_OUS: ref('OrganizationalUnitIds'),
          AUDIT_CONCURRENCY: ref('AuditConcurrency'),
        },
      });
    }
  });
});

/** Each file of a zip archive and its text, read through the central directory and the local headers it points at. */
const unzipped = (zip: Buffer): Map<string, string> => {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  const files = new Map<string, string>();
  let offset = zip.readUInt32LE(end + 16);
  for (let index = 0; index < zip.readUInt16LE(end + 10); index += 1) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const local = zip.readUInt32LE(offset + 42);
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(dataStart, dataStart + zip.readUInt32LE(offset + 20)));
    expect(crc32(data)).toBe(zip.readUInt32LE(offset + 16));
    files.set(zip.toString('utf8', offset + 46, offset + 46 + nameLength), data.toString('utf8'));
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return files;
};

describe('the release zips', () => {
  it('hold each bundle as index.mjs at the root and its chunks under chunks/, under <service>/<version>/, the same bytes every time; a missing bundle is reported', () => {
    const root = mkdtempSync(join(tmpdir(), 'organization-zips-'));
    try {
      for (const name of ['enforce-object-encryption', 'list-organization-accounts']) {
        mkdirSync(join(root, 'dist', name), { recursive: true });
        writeFileSync(join(root, 'dist', name, 'index.mjs'), `export const handler = async () => (await import('./chunks/answer-B2.mjs')).answer('${name}');\n`);
      }
      // The zip orders the chunks by name, whatever order they were written in; only chunks/*.mjs ship.
      const chunks = join(root, 'dist', 'list-organization-accounts', 'chunks');
      mkdirSync(chunks);
      writeFileSync(join(chunks, 'chunk-A1.mjs'), 'export const name = (n) => n;\n');
      writeFileSync(join(chunks, 'answer-B2.mjs'), "import { name } from './chunk-A1.mjs';\nexport const answer = (n) => name(n);\n");
      writeFileSync(join(chunks, 'notes.txt'), 'not part of the bundle\n');
      const write = () =>
        writeFunctionZips({ projectRoot: root, artifactsDir: join(root, 'out'), version: VERSION, functions: ['enforce-object-encryption', 'list-organization-accounts', 'merge-organization-audit'] });
      const first = write();
      expect(first.missing).toEqual(['merge-organization-audit']);
      expect(first.written).toEqual(['enforce-object-encryption', 'list-organization-accounts'].map((name) => join(root, 'out', 's3-encryption-enforcer', VERSION, `${name}.zip`)));
      expect(first.written.map((zip) => zipEntries(zip))).toEqual([['index.mjs'], ['index.mjs', 'chunks/answer-B2.mjs', 'chunks/chunk-A1.mjs']]);
      const listAccounts = join(root, 'dist', 'list-organization-accounts');
      expect(unzipped(readFileSync(first.written[1] ?? ''))).toEqual(
        new Map(['index.mjs', 'chunks/answer-B2.mjs', 'chunks/chunk-A1.mjs'].map((name) => [name, readFileSync(join(listAccounts, name), 'utf8')])),
      );
      const bytes = first.written.map((zip) => readFileSync(zip));
      expect(write().written.map((zip) => readFileSync(zip))).toEqual(bytes);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('least privilege in every role', () => {
  it('has one role per function, one for the state machine and one for the schedule', () => {
    expect(resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id).sort()).toEqual(Object.values(ROLES).sort());
  });

  it('grants no wildcard action and only allows', () => {
    for (const { role, statement } of everyIdentityStatement()) {
      expect(statement.Effect, `${role} ${statement.Sid}`).toBe('Allow');
      expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
      for (const action of actionsOf(statement)) expect(action === '*' || /^[a-z0-9-]+:\*$/.test(action), `${role}: ${action}`).toBe(false);
    }
  });

  it("uses Resource '*' only for calls that have no resource scope", () => {
    const unscoped = everyIdentityStatement().filter(({ statement }) => statement.Resource === '*');
    expect(unscoped.map(({ role, statement }) => `${role} ${statement.Sid}`)).toEqual([
      'ListAccountsRole ListOrganizationAccounts',
      'AuditMemberRole ListBucketsKeysAndAliases',
      'StateMachineRole DeliverExecutionLogs',
    ]);
    for (const { statement } of unscoped) expect(actionsOf(statement).filter((action) => !NO_RESOURCE_SCOPE.has(action))).toEqual([]);
  });

  it('derives the partition of every ARN instead of writing arn:aws:', () => {
    expect(JSON.stringify(everyIdentityStatement())).not.toContain('arn:aws:');
    expect(JSON.stringify(template.Resources)).not.toMatch(/"arn:aws:/);
  });

  it('lets only the intended service assume each role, on behalf of this account where the service supports it', () => {
    const lambdaOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    for (const role of [ROLES.list, ROLES.audit, ROLES.merge]) expect(trustOf(role)).toEqual(lambdaOnly);
    expect(trustOf(ROLES.stateMachine)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } } },
      ],
    });
    expect(trustOf(ROLES.schedule)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
            ArnEquals: { 'aws:SourceArn': sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/s3-encryption-enforcer-organization-audit-schedule') },
          },
        },
      ],
    });
    expect(resource(template, 'AuditScheduleRule').Properties['Name']).toBe('s3-encryption-enforcer-organization-audit-schedule');
  });
});

describe('the list function role', () => {
  it('grants exactly: its logs, organization reads (structure and RCP reads scoped to this organization), the run files under the prefix, the reports key', () => {
    expect(baseStatements(ROLES.list)).toEqual([
      writeOwnLogs('ListAccountsLogGroup'),
      {
        Sid: 'ListOrganizationAccounts',
        Effect: 'Allow',
        Action: ['organizations:ListAccounts', 'organizations:DescribeOrganization', 'organizations:ListRoots', 'organizations:ListPolicies'],
        Resource: '*',
      },
      {
        Sid: 'ReadOrganizationStructure',
        Effect: 'Allow',
        Action: ['organizations:ListChildren', 'organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
        Resource: [sub('arn:${AWS::Partition}:organizations::*:root/${OrganizationId}/r-*'), sub('arn:${AWS::Partition}:organizations::*:ou/${OrganizationId}/ou-*')],
      },
      {
        Sid: 'ReadResourceControlPolicies',
        Effect: 'Allow',
        Action: ['organizations:DescribePolicy', 'organizations:ListTargetsForPolicy'],
        Resource: [
          sub('arn:${AWS::Partition}:organizations::*:policy/${OrganizationId}/resource_control_policy/p-*'),
          sub('arn:${AWS::Partition}:organizations::aws:policy/resource_control_policy/p-*'),
        ],
      },
      { Sid: 'WriteRunFiles', Effect: 'Allow', Action: 's3:PutObject', Resource: REPORT_OBJECTS },
      REPORTS_KEY_USE,
    ]);
  });
});

describe('the audit-member function role (the members\' AuditorRoleArn)', () => {
  it('has a fixed name, so that the ARN the members trust survives a replacement', () => {
    expect(resource(template, ROLES.audit).Properties['RoleName']).toBe('s3-encryption-enforcer-organization-auditor');
    expect(template.Outputs['AuditorRoleArn']).toMatchObject({ Value: getAtt(ROLES.audit) });
  });

  it("grants exactly: its logs, the members' audit roles inside the organization, this account's audit reads, the reports under the prefix, the reports key", () => {
    expect(baseStatements(ROLES.audit)).toEqual([
      writeOwnLogs('AuditMemberLogGroup'),
      {
        Sid: 'AssumeMemberAuditRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: sub('arn:${AWS::Partition}:iam::*:role/${MemberRoleName}'),
        Condition: { StringEquals: { 'aws:ResourceOrgID': ref('OrganizationId') } },
      },
      ...ACCOUNT_AUDIT_READS,
      { Sid: 'ReadAndWriteReports', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: REPORT_OBJECTS },
      REPORTS_KEY_USE,
    ]);
  });

  it('gets the fix and object-sample permissions in this account only when switched on', () => {
    const grant = (condition: string) => grantsOfRole(template, ROLES.audit).filter((candidate) => candidate.condition === condition);
    expect(grant('AuditFixesAllowed').map(({ statements }) => statements)).toEqual([AUDIT_FIX_STATEMENTS]);
    expect(grant('AuditObjectSampleAllowed').map(({ statements }) => statements)).toEqual([AUDIT_OBJECT_SAMPLE_STATEMENTS]);
    expect(template.Conditions['AuditFixesAllowed']).toEqual({ 'Fn::Equals': [ref('AllowAuditFixes'), 'true'] });
    expect(template.Conditions['AuditObjectSampleAllowed']).toEqual({ 'Fn::Equals': [ref('AllowAuditObjectSample'), 'true'] });
    expect(template.Parameters['AllowAuditFixes']).toMatchObject({ Default: 'false' });
    expect(template.Parameters['AllowAuditObjectSample']).toMatchObject({ Default: 'false' });
  });

  it('may write the policies of this (the central) account\'s buckets only when AllowAuditGuardrails is "true" (off by default), and never delete one', () => {
    const grants = grantsOfRole(template, ROLES.audit).filter((candidate) => candidate.condition === 'AuditGuardrailsAllowed');
    expect(grants.map(({ statements }) => statements)).toEqual([AUDIT_GUARDRAIL_STATEMENTS]);
    expect(AUDIT_GUARDRAIL_STATEMENTS).toEqual([
      {
        Sid: 'AddBucketPolicyGuardrails',
        Effect: 'Allow',
        Action: 's3:PutBucketPolicy',
        Resource: sub('arn:${AWS::Partition}:s3:::*'),
        Condition: { StringEquals: { 'aws:ResourceAccount': ref('AWS::AccountId') } },
      },
    ]);
    expect(resource(template, 'AuditGuardrailsPolicy')).toMatchObject({ Type: 'AWS::IAM::RolePolicy', Condition: 'AuditGuardrailsAllowed' });
    expect(template.Conditions['AuditGuardrailsAllowed']).toEqual({ 'Fn::Equals': [ref('AllowAuditGuardrails'), 'true'] });
    expect(template.Parameters['AllowAuditGuardrails']).toMatchObject({ Type: 'String', Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Parameters['AllowAuditGuardrails']?.['Description']).toEqual(expect.stringContaining('s3:PutBucketPolicy'));
    // No other statement of any role writes or deletes a bucket policy.
    const bucketPolicyWrites = everyIdentityStatement().filter(({ statement }) => actionsOf(statement).some((action) => /^s3:(Put|Delete)BucketPolicy$/.test(action)));
    expect(bucketPolicyWrites).toEqual(AUDIT_GUARDRAIL_STATEMENTS.map((statement) => ({ role: ROLES.audit, statement })));
  });

  it('may import this account\'s findings into Security Hub CSPM, as its own default product only, only when AllowSecurityHubImport is "true"', () => {
    const grants = grantsOfRole(template, ROLES.audit).filter((candidate) => candidate.condition === 'SecurityHubImportAllowed');
    expect(grants.map(({ statements }) => statements)).toEqual([SECURITY_HUB_IMPORT_STATEMENTS]);
    expect(template.Conditions['SecurityHubImportAllowed']).toEqual({ 'Fn::Equals': [ref('AllowSecurityHubImport'), 'true'] });
    expect(template.Parameters['AllowSecurityHubImport']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    // No other statement of any role names a Security Hub action: never securityhub:*, never Resource '*'.
    const securityHub = everyIdentityStatement().filter(({ statement }) => actionsOf(statement).some((action) => action.startsWith('securityhub:')));
    expect(securityHub).toEqual(SECURITY_HUB_IMPORT_STATEMENTS.map((statement) => ({ role: ROLES.audit, statement })));
  });
});

describe('the merge function role', () => {
  it('grants exactly: its logs, the reports bucket (list, read, write under the prefix), the reports key, the findings topic and its key through SNS', () => {
    expect(baseStatements(ROLES.merge)).toEqual([
      writeOwnLogs('MergeLogGroup'),
      { Sid: 'ListReports', Effect: 'Allow', Action: 's3:ListBucket', Resource: getAtt('ReportsBucket') },
      { Sid: 'ReadAndWriteReports', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: REPORT_OBJECTS },
      REPORTS_KEY_USE,
      { Sid: 'PublishFindings', Effect: 'Allow', Action: 'sns:Publish', Resource: ref('FindingsTopic') },
      { Sid: 'EncryptFindingsThroughSns', Effect: 'Allow', Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: getAtt('FindingsTopicKey'), Condition: VIA_SNS },
    ]);
  });
});

describe('the state machine and its role', () => {
  it('is a standard state machine with every state logged (without payloads) to an encrypted log group', () => {
    expect(resource(template, 'AuditStateMachine').Properties).toMatchObject({
      StateMachineName: 's3-encryption-enforcer-organization-audit',
      StateMachineType: 'STANDARD',
      RoleArn: getAtt(ROLES.stateMachine),
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt('StateMachineLogGroup') } }] },
    });
  });

  it('grants exactly: the three functions, its own child executions, the account list and map results under the prefix, the reports key, log delivery', () => {
    expect(baseStatements(ROLES.stateMachine)).toEqual([
      {
        Sid: 'InvokeAuditFunctions',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [getAtt('ListAccountsFunction'), getAtt('AuditMemberFunction'), getAtt('MergeFunction')],
      },
      {
        Sid: 'StartMapChildExecutions',
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:s3-encryption-enforcer-organization-audit'),
      },
      {
        Sid: 'ManageMapChildExecutions',
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:s3-encryption-enforcer-organization-audit/*'),
      },
      { Sid: 'ReadAccountList', Effect: 'Allow', Action: 's3:GetObject', Resource: REPORT_OBJECTS },
      { Sid: 'WriteMapResults', Effect: 'Allow', Action: ['s3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], Resource: REPORT_OBJECTS },
      REPORTS_KEY_USE,
      {
        Sid: 'DeliverExecutionLogs',
        Effect: 'Allow',
        Action: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        Resource: '*',
      },
    ]);
  });

  it('runs nightly from a schedule whose role may only start this state machine', () => {
    expect(resource(template, 'AuditScheduleRule').Properties).toMatchObject({
      ScheduleExpression: ref('Schedule'),
      State: 'ENABLED',
      Targets: [{ Id: 'organization-audit', Arn: ref('AuditStateMachine'), RoleArn: getAtt(ROLES.schedule) }],
    });
    expect(baseStatements(ROLES.schedule)).toEqual([{ Sid: 'StartAuditRun', Effect: 'Allow', Action: 'states:StartExecution', Resource: ref('AuditStateMachine') }]);
  });

  it('alarms on the findings topic when a run fails or times out', () => {
    const alarm = resource(template, 'AuditRunFailedAlarm').Properties;
    expect(alarm['AlarmActions']).toEqual([ref('FindingsTopic')]);
    expect(alarm['Metrics']).toEqual([
      expect.objectContaining({ Id: 'failed', MetricStat: expect.objectContaining({ Metric: expect.objectContaining({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' }) }) }),
      expect.objectContaining({ Id: 'timedOut', MetricStat: expect.objectContaining({ Metric: expect.objectContaining({ Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut' }) }) }),
      expect.objectContaining({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)', ReturnData: true }),
    ]);
    for (const metric of alarm['Metrics'] as { MetricStat?: { Metric: { Dimensions: unknown } } }[]) {
      if (metric.MetricStat) expect(metric.MetricStat.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: ref('AuditStateMachine') }]);
    }
  });
});

describe('the findings topic and its key accept the organization only', () => {
  it('is encrypted with its own customer-managed key', () => {
    expect(resource(template, 'FindingsTopic').Properties['KmsMasterKeyId']).toEqual(getAtt('FindingsTopicKey'));
  });

  it('lets principals of the organization publish, this account\'s alarms and the alarm rule too, and nobody without TLS', () => {
    expect(statementsOf(resource(template, 'FindingsTopicPolicy'))).toEqual([
      { Sid: 'OrganizationPublishes', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: ref('FindingsTopic'), Condition: ORGANIZATION_ONLY },
      {
        Sid: 'CloudWatchAlarmsInThisAccountPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref('FindingsTopic'),
        Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
      },
      {
        Sid: 'AlarmNotificationRulePublishes',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref('FindingsTopic'),
        Condition: { ArnEquals: { 'aws:SourceArn': getAtt('AlarmNotificationRule') } },
      },
      { Sid: 'DenyPublishWithoutTls', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: ref('FindingsTopic'), Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  it('lets principals of the organization use the topic key through SNS only, and separates administration from use', () => {
    const statements = statementsOf(resource(template, 'FindingsTopicKey'), 'KeyPolicy');
    expect(statements.map((statement) => statement.Sid)).toEqual([
      'KeyAdministration',
      'OrganizationPublishesThroughSns',
      'ReadKeyMetadataByIamPolicyInThisAccount',
      'CloudWatchAlarmsPublishToTheEncryptedTopic',
      'EventBridgePublishesToTheEncryptedTopic',
    ]);
    expect(statements[1]).toEqual({
      Sid: 'OrganizationPublishesThroughSns',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ref('OrganizationId'), 'kms:ViaService': sub('sns.${AWS::Region}.amazonaws.com') } },
    });
    expect(statements[0]).toMatchObject({ Principal: { AWS: ref('KeyAdministratorArns') } });
    expect(actionsOf(statements[0] as PolicyStatement).filter((action) => /Encrypt|Decrypt|GenerateDataKey|CreateGrant/.test(action))).toEqual([]);
    expect(statements.slice(3).map((statement) => statement.Principal)).toEqual([{ Service: 'cloudwatch.amazonaws.com' }, { Service: 'events.amazonaws.com' }]);
  });

  it('never allows a bare "*" principal without the organization condition, in any policy of the template', () => {
    const allPolicies = [
      ...statementsOf(resource(template, 'FindingsTopicPolicy')),
      ...statementsOf(resource(template, 'FindingsTopicKey'), 'KeyPolicy'),
      ...statementsOf(resource(template, 'ReportsKey'), 'KeyPolicy'),
      ...((resource(template, 'AlarmEventBus').Properties['Policy'] as { Statement: PolicyStatement[] }).Statement),
    ];
    const open = allPolicies.filter(
      (statement) => statement.Effect === 'Allow' && (statement.Principal === '*' || (statement.Principal as { AWS?: unknown } | undefined)?.AWS === '*'),
    );
    expect(open.length).toBeGreaterThan(0);
    for (const statement of open) expect(statement.Condition?.['StringEquals']?.['aws:PrincipalOrgID'], statement.Sid).toEqual(ref('OrganizationId'));
  });

  it('receives the members\' alarm state changes on an event bus the organization may send to, and turns them into findings', () => {
    expect(resource(template, 'AlarmEventBus').Properties).toEqual({
      Name: 's3-encryption-enforcer-alarms',
      Description: expect.any(String),
      Policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OrganizationSendsAlarmStateChanges',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'events:PutEvents',
            Resource: sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/s3-encryption-enforcer-alarms'),
            Condition: ORGANIZATION_ONLY,
          },
        ],
      },
    });
    const rule = resource(template, 'AlarmNotificationRule').Properties;
    expect(rule).toMatchObject({
      EventBusName: ref('AlarmEventBus'),
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] },
      Targets: [{ Id: 'findings-topic', Arn: ref('FindingsTopic') }],
    });
    const { InputTemplate, InputPathsMap } = (rule['Targets'] as { InputTransformer: { InputTemplate: string; InputPathsMap: Record<string, string> } }[])[0]?.InputTransformer ?? {
      InputTemplate: '',
      InputPathsMap: {},
    };
    // Every value is inserted as a JSON string: the message is valid JSON whatever the alarm's reason says.
    const filled = Object.keys(InputPathsMap).reduce((text, name) => text.split(`<${name}>`).join(JSON.stringify(`"${name}" \\ value`)), InputTemplate);
    expect(JSON.parse(filled)).toMatchObject({ kind: 'alarm-state-change', alarm: '"alarm" \\ value', state: '"state" \\ value' });
  });

  it('subscribes the on-call email only when one is given', () => {
    expect(resource(template, 'FindingsEmailSubscription')).toMatchObject({ Condition: 'HasFindingsEmail', Properties: { Protocol: 'email', Endpoint: ref('FindingsEmail') } });
  });
});

describe('encryption at rest', () => {
  it('keeps the reports in a KMS-encrypted bucket with a bucket key, SSE-C blocked, public access blocked, ACLs off, versioned, expiring, retained', () => {
    const bucket = resource(template, 'ReportsBucket');
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucket.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt('ReportsKey') },
            BucketKeyEnabled: true,
            BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] },
          },
        ],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-reports',
            Status: 'Enabled',
            ExpirationInDays: ref('ReportRetentionDays'),
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
  });

  it('denies requests without TLS and uploads that ask for another encryption or key, but not uploads that ask for none (the bucket default applies)', () => {
    const objects = sub('${ReportsBucket.Arn}/*');
    expect(statementsOf(resource(template, 'ReportsBucketPolicy'))).toEqual([
      {
        Sid: 'DenyWithoutTls',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [getAtt('ReportsBucket'), objects],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'DenyOtherEncryption',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: objects,
        Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' }, Null: { 's3:x-amz-server-side-encryption': 'false' } },
      },
      {
        Sid: 'DenyOtherKmsKeys',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: objects,
        Condition: {
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': getAtt('ReportsKey') },
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        },
      },
      {
        Sid: 'DenyAwsManagedKey',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: objects,
        Condition: { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' } },
      },
    ]);
  });

  it('encrypts every log group with the reports key, which lets CloudWatch Logs use it for exactly those log groups', () => {
    const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(Object.fromEntries(logGroups.map(([id, logGroup]) => [id, logGroup.Properties['LogGroupName']]))).toEqual(LOG_GROUPS);
    for (const [, logGroup] of logGroups) expect(logGroup.Properties).toMatchObject({ KmsKeyId: getAtt('ReportsKey'), RetentionInDays: ref('LogRetentionInDays') });
    expect(statementsOf(resource(template, 'ReportsKey'), 'KeyPolicy').find((statement) => statement.Sid === 'CloudWatchLogsEncryptTheLogGroups')).toEqual({
      Sid: 'CloudWatchLogsEncryptTheLogGroups',
      Effect: 'Allow',
      Principal: { Service: sub('logs.${AWS::Region}.amazonaws.com') },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': Object.values(LOG_GROUPS).map((name) => sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${name}`)),
        },
      },
    });
  });

  it('lets IAM in this account use the reports key through S3 only', () => {
    expect(statementsOf(resource(template, 'ReportsKey'), 'KeyPolicy').find((statement) => statement.Sid === 'UseThroughS3ByIamPolicyInThisAccount')).toEqual({
      Sid: 'UseThroughS3ByIamPolicyInThisAccount',
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ROOT },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': sub('s3.${AWS::Region}.amazonaws.com'), 'kms:CallerAccount': ref('AWS::AccountId') } },
    });
  });

  it('retains the reports key with the reports bucket: the retained reports stay readable', () => {
    expect(resource(template, 'ReportsKey')).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('creates only customer-managed keys with rotation on', () => {
    for (const [, key] of resourcesOfType(template, 'AWS::KMS::Key')) {
      expect(key.Properties).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', EnableKeyRotation: true, RotationPeriodInDays: ref('KeyRotationPeriodInDays') });
    }
  });
});

describe('the template', () => {
  it('fits in an inline template body (51,200 bytes), as written to dist/cloudformation/', () => {
    expect(Buffer.byteLength(templateBody(template, 'central'), 'utf8')).toBeLessThanOrEqual(TEMPLATE_BODY_LIMIT);
  });
});

describe('outputs', () => {
  it('give the values the member StackSet takes', () => {
    expect(template.Outputs).toMatchObject({
      StateMachineArn: { Value: ref('AuditStateMachine') },
      FindingsTopicArn: { Value: ref('FindingsTopic') },
      FindingsTopicKeyArn: { Value: getAtt('FindingsTopicKey') },
      AuditorRoleArn: { Value: getAtt(ROLES.audit) },
      AlarmEventBusArn: { Value: getAtt('AlarmEventBus') },
      ReportsBucketName: { Value: ref('ReportsBucket') },
      OrganizationId: { Value: ref('OrganizationId') },
      MemberRoleName: { Value: ref('MemberRoleName') },
      MemberParameterName: { Value: ref('MemberParameterName') },
    });
  });
});
