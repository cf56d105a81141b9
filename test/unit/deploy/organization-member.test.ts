import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centralTemplate } from '../../../infra/organization/central-template.mjs';
import { DROPPED_RESOURCES, memberTemplate } from '../../../infra/organization/member-template.mjs';
import { TEMPLATE_BODY_LIMIT, templateBody } from '../../../infra/organization/package-organization.mjs';
import {
  actionsOf,
  grantsOfRole,
  packageService,
  resource,
  resourcesOfType,
  statementsOf,
  type PackagedService,
  type PolicyStatement,
  type Template,
} from './support/packaged-template.js';
import {
  ACCOUNT_AUDIT_READS,
  ACCOUNT_ROOT,
  AUDIT_FIX_STATEMENTS,
  AUDIT_GUARDRAIL_STATEMENTS,
  AUDIT_OBJECT_SAMPLE_STATEMENTS,
  SECURITY_HUB_IMPORT_STATEMENTS,
  VERSION,
  allowedBy,
  asTemplate,
  getAtt,
  ref,
  sub,
} from './support/organization-templates.js';

// Derived here, as `npm run package` derives dist/cloudformation/organization-member.json: from
// today's stack packaged by osls with watchedBuckets=* (every bucket of every account).
let packaged: PackagedService;
let source: Template;
let template: Template;
beforeAll(() => {
  packaged = packageService({ params: { watchedBuckets: '*' } });
  source = packaged.template;
  template = asTemplate(memberTemplate(source as never, { version: VERSION }));
}, 120_000);
afterAll(() => packaged?.dispose());

const central = asTemplate(centralTemplate({ version: VERSION }));
const ENFORCE_FUNCTION = 'EnforceDashobjectDashencryptionLambdaFunction';
const ENFORCE_LOG_GROUP = 'EnforceDashobjectDashencryptionLogGroup';
const ALARMS = ['DeadLetterQueueAlarm', 'EnforcerBacklogAlarm', 'ObjectsGoneAlarm'];
const REQUIRED_KEY_ARN = { 'Fn::If': ['CreateEnforcementKey', getAtt('EnforcementKey'), ref('ExistingKmsKeyArn')] };
const UNCHANGED = [
  'EnforceDashobjectDashencryptionEventSourceMappingSQSEnforcerQueue',
  'ObjectCreatedRule',
  'EnforcerQueue',
  'EnforcerDeadLetterQueue',
  'EnforcerQueuePolicy',
  'EnforcerDeadLetterQueuePolicy',
  'EnforcePriorVersionDeletionPolicy',
];

const without = (properties: Readonly<Record<string, unknown>>, names: readonly string[]) =>
  Object.fromEntries(Object.entries(properties).filter(([name]) => !names.includes(name)));

const roleStatements = (role: string, condition?: string): readonly PolicyStatement[] => {
  const grants = grantsOfRole(template, role).filter((grant) => grant.condition === condition);
  expect(grants).toHaveLength(1);
  return grants[0]?.statements ?? [];
};

describe("today's enforce path, derived from the packaged stack", () => {
  it('keeps the enforce path, drops the single-account audit, findings and deployment bucket, and adds the organization parts', () => {
    expect(Object.keys(template.Resources).sort()).toEqual(
      [
        'EnforcementKey',
        'EnforcementKeyAlias',
        ENFORCE_LOG_GROUP,
        ENFORCE_FUNCTION,
        'EnforceObjectEncryptionRole',
        ...UNCHANGED,
        ...ALARMS,
        'AlarmForwardingRule',
        'AlarmForwardingRole',
        'MemberParameter',
        'AuditRole',
        'AuditFixesPolicy',
        'AuditGuardrailsPolicy',
        'AuditObjectSamplePolicy',
        'AuditSecurityHubPolicy',
      ].sort(),
    );
    for (const dropped of DROPPED_RESOURCES) expect(source.Resources[dropped], dropped).toBeDefined();
    expect(Object.keys(source.Resources).filter((id) => !(id in template.Resources) || DROPPED_RESOURCES.includes(id)).sort()).toEqual([...DROPPED_RESOURCES].sort());
    // Four of today's audit policies come back under their names, attached to the member's audit role.
    const recreated = DROPPED_RESOURCES.filter((id) => id in template.Resources);
    expect(recreated).toEqual(['AuditObjectSamplePolicy', 'AuditFixesPolicy', 'AuditGuardrailsPolicy', 'AuditSecurityHubPolicy']);
    for (const id of recreated) expect(resource(template, id).Properties['RoleName']).toEqual(ref('AuditRole'));
  });

  it.each(UNCHANGED)('keeps %s exactly as today', (logicalId) => {
    expect(resource(template, logicalId)).toEqual(resource(source, logicalId));
  });

  it('watches every bucket with EventBridge notifications on', () => {
    expect(resource(template, 'ObjectCreatedRule').Properties['EventPattern']).toEqual({ source: ['aws.s3'], 'detail-type': ['Object Created'] });
  });

  it('refuses a packaged template with named buckets, or with a resource it does not know', () => {
    const named = structuredClone(source) as Template & { Resources: Record<string, { Properties: Record<string, unknown> }> };
    (named.Resources['ObjectCreatedRule']?.Properties as Record<string, unknown>)['EventPattern'] = { source: ['aws.s3'], detail: { bucket: { name: ['a-bucket'] } } };
    expect(() => memberTemplate(named as never, { version: VERSION })).toThrow(/watchedBuckets=\*/);
    const grown = structuredClone(source) as Template & { Resources: Record<string, unknown> };
    grown.Resources['SomethingNew'] = { Type: 'AWS::SQS::Queue', Properties: {} };
    expect(() => memberTemplate(grown as never, { version: VERSION })).toThrow(/SomethingNew/);
  });

  it('runs the enforce function from the artifacts bucket of each region, under the release version', () => {
    const { Properties } = resource(template, ENFORCE_FUNCTION);
    expect(Properties['Code']).toEqual({
      S3Bucket: sub('${ArtifactsBucketPrefix}-${AWS::Region}'),
      S3Key: `s3-encryption-enforcer/${VERSION}/enforce-object-encryption.zip`,
    });
    expect(Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'], FunctionName: 's3-encryption-enforcer-enforce-object-encryption' });
    expect(without(Properties, ['Code', 'Handler', 'FunctionName', 'Environment'])).toEqual(
      without(resource(source, ENFORCE_FUNCTION).Properties, ['Code', 'Handler', 'FunctionName', 'Environment']),
    );
  });

  it('sends the enforcer alerts to the central findings topic', () => {
    expect(resource(template, ENFORCE_FUNCTION).Properties['Environment']).toEqual({
      Variables: { REQUIRED_KMS_KEY: REQUIRED_KEY_ARN, FINDINGS_TOPIC_ARN: ref('FindingsTopicArn'), POLICY: ref('Policy'), ENFORCEMENT_MODE: ref('EnforcementMode') },
    });
  });

  it('gives the enforce role today\'s statements, publishing to exactly the central topic and using its key through SNS in the topic\'s region', () => {
    const today = grantsOfRole(source, 'EnforceObjectEncryptionRole').filter((grant) => grant.condition === undefined)[0]?.statements ?? [];
    const topicRegion = { 'Fn::Select': [3, { 'Fn::Split': [':', ref('FindingsTopicArn')] }] };
    // Fn::Select 3 of the ARN split on ':' is its region.
    expect('arn:aws-us-gov:sns:us-gov-east-1:111122223333:findings'.split(':')[topicRegion['Fn::Select'][0] as number]).toBe('us-gov-east-1');
    const expected = today.map((statement) => {
      if (statement.Sid === 'PublishFindings') return { ...statement, Resource: ref('FindingsTopicArn') };
      if (statement.Sid === 'EncryptFindingsThroughSns') {
        return { ...statement, Resource: ref('FindingsTopicKeyArn'), Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': ['sns.${TopicRegion}.amazonaws.com', { TopicRegion: topicRegion }] } } } };
      }
      return statement;
    });
    expect(roleStatements('EnforceObjectEncryptionRole')).toEqual(expected);
    expect(expected.map((statement) => statement.Sid)).toEqual([
      'WriteOwnLogs',
      'ReencryptObjectsInWatchedBuckets',
      'ReadWatchedBuckets',
      'UseTheRequiredKey',
      'DecryptSourceObjectsThroughS3',
      'PublishFindings',
      'EncryptFindingsThroughSns',
      'ReceiveFromItsQueue',
    ]);
    expect(expected.find((statement) => statement.Sid === 'EncryptFindingsThroughSns')).toMatchObject({ Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] });
    expect(roleStatements('EnforceObjectEncryptionRole', 'PriorVersionDeletionAllowed')).toEqual([
      { Sid: 'DeletePriorVersionsInWatchedBuckets', Effect: 'Allow', Action: 's3:DeleteObjectVersion', Resource: [sub('arn:${AWS::Partition}:s3:::*/*')] },
    ]);
  });
});

describe('encryption at rest', () => {
  it('keeps both queues under SSE-SQS, as today', () => {
    for (const queue of ['EnforcerQueue', 'EnforcerDeadLetterQueue']) expect(resource(template, queue).Properties['SqsManagedSseEnabled']).toBe(true);
  });

  it('encrypts the log group under the enforcement key when the stack creates it, and keeps its retention', () => {
    expect(resource(template, ENFORCE_LOG_GROUP).Properties).toEqual({
      LogGroupName: '/aws/lambda/s3-encryption-enforcer-enforce-object-encryption',
      RetentionInDays: resource(source, ENFORCE_LOG_GROUP).Properties['RetentionInDays'],
      KmsKeyId: { 'Fn::If': ['CreateEnforcementKey', getAtt('EnforcementKey'), ref('AWS::NoValue')] },
    });
  });

  it("keeps today's enforcement key, administered through IAM in the account (the StackSet's execution role must manage it), used through S3 only, and usable by CloudWatch Logs for the enforcer's log group only", () => {
    const key = resource(template, 'EnforcementKey');
    expect(key).toMatchObject({ Condition: 'CreateEnforcementKey', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const todays = statementsOf(resource(source, 'EnforcementKey'), 'KeyPolicy');
    expect(statementsOf(key, 'KeyPolicy')).toEqual([
      { ...todays[0], Principal: { AWS: ACCOUNT_ROOT } },
      todays[1],
      todays[2],
      {
        Sid: 'CloudWatchLogsEncryptTheLogGroups',
        Effect: 'Allow',
        Principal: { Service: sub('logs.${AWS::Region}.amazonaws.com') },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': [sub('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/s3-encryption-enforcer-enforce-object-encryption')],
          },
        },
      },
    ]);
    expect(todays.map((statement) => statement.Sid)).toEqual(['KeyAdministration', 'UseThroughS3ByIamPolicyInThisAccount', 'ReadKeyMetadataByIamPolicyInThisAccount']);
    expect(actionsOf(todays[0] as PolicyStatement).filter((action) => /Encrypt|Decrypt|GenerateDataKey|CreateGrant/.test(action))).toEqual([]);
    expect(resource(template, 'EnforcementKeyAlias').Properties).toEqual({ AliasName: 'alias/s3-encryption-enforcer-enforcement', TargetKeyId: ref('EnforcementKey') });
  });

  it("creates the alias the central audit's default RequiredKmsKey resolves in each account", () => {
    expect(central.Parameters['RequiredKmsKey']?.['Default']).toBe(resource(template, 'EnforcementKeyAlias').Properties['AliasName']);
  });
});

describe('the audit role', () => {
  it('exists in the primary region only: IAM is global and a named role in two regions of one account collides', () => {
    expect(template.Conditions['IsPrimaryRegion']).toEqual({ 'Fn::Equals': [ref('AWS::Region'), ref('PrimaryRegion')] });
    const named = resourcesOfType(template, 'AWS::IAM::Role').filter(([, role]) => role.Properties['RoleName'] !== undefined);
    expect(named.map(([id, role]) => [id, role.Condition, role.Properties['RoleName']])).toEqual([['AuditRole', 'IsPrimaryRegion', ref('AuditRoleName')]]);
    for (const [, policy] of resourcesOfType(template, 'AWS::IAM::RolePolicy')) {
      if ((policy.Properties['RoleName'] as { Ref?: string }).Ref === 'AuditRole') expect(template.Conditions[policy.Condition ?? '']).toMatchObject({ 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, expect.anything()] });
    }
    expect(template.Outputs['AuditRoleArn']).toMatchObject({ Condition: 'IsPrimaryRegion' });
  });

  it("trusts only the central auditor role, and only inside the organization", () => {
    expect(resource(template, 'AuditRole').Properties['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: ref('AuditorRoleArn') }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalOrgID': ref('OrganizationId') } } },
      ],
    });
    expect(allowedBy(template.Parameters['AuditorRoleArn'], '*')).toBe(false);
    expect(allowedBy(template.Parameters['AuditorRoleArn'], 'arn:aws:iam::111122223333:root')).toBe(false);
    expect(allowedBy(template.Parameters['AuditorRoleArn'], 'arn:aws:iam::111122223333:role/s3-encryption-enforcer-organization-auditor')).toBe(true);
    expect(allowedBy(template.Parameters['OrganizationId'], '*')).toBe(false);
  });

  it("grants exactly today's audit reads of the account and the member parameter: nothing that writes", () => {
    expect(roleStatements('AuditRole')).toEqual(ACCOUNT_AUDIT_READS);
    const writes = roleStatements('AuditRole')
      .flatMap(actionsOf)
      .filter((action) => !/^[a-z0-9]+:(Get|List|Describe)/.test(action));
    expect(writes).toEqual([]);
  });

  it('gets the fix permissions only when AllowAuditFixes is "true", and the object sample only when AllowAuditObjectSample is "true"', () => {
    expect(template.Parameters['AllowAuditFixes']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Parameters['AllowAuditObjectSample']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Conditions['AuditFixesAllowed']).toEqual({ 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [ref('AllowAuditFixes'), 'true'] }] });
    expect(template.Conditions['AuditObjectSampleAllowed']).toEqual({ 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [ref('AllowAuditObjectSample'), 'true'] }] });
    expect(roleStatements('AuditRole', 'AuditFixesAllowed')).toEqual(AUDIT_FIX_STATEMENTS);
    expect(roleStatements('AuditRole', 'AuditObjectSampleAllowed')).toEqual(AUDIT_OBJECT_SAMPLE_STATEMENTS);
  });

  it('may write the policies of this (the member) account\'s buckets only when AllowAuditGuardrails is "true", in the primary region, and never delete one', () => {
    expect(template.Parameters['AllowAuditGuardrails']).toMatchObject({ Type: 'String', Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Parameters['AllowAuditGuardrails']).toEqual(central.Parameters['AllowAuditGuardrails']);
    expect(template.Conditions['AuditGuardrailsAllowed']).toEqual({ 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [ref('AllowAuditGuardrails'), 'true'] }] });
    expect(resource(template, 'AuditGuardrailsPolicy')).toMatchObject({ Type: 'AWS::IAM::RolePolicy', Condition: 'AuditGuardrailsAllowed' });
    // aws:ResourceAccount is the account the StackSet deploys to: the member's own buckets only.
    expect(roleStatements('AuditRole', 'AuditGuardrailsAllowed')).toEqual([
      {
        Sid: 'AddBucketPolicyGuardrails',
        Effect: 'Allow',
        Action: 's3:PutBucketPolicy',
        Resource: sub('arn:${AWS::Partition}:s3:::*'),
        Condition: { StringEquals: { 'aws:ResourceAccount': ref('AWS::AccountId') } },
      },
    ]);
    // The same grant as today's single-account AuditGuardrailsPolicy.
    expect(grantsOfRole(source, 'AuditEncryptionRole').filter((grant) => grant.condition === 'AuditGuardrailsEnabled').map(({ statements }) => statements)).toEqual([
      AUDIT_GUARDRAIL_STATEMENTS,
    ]);
    // No other statement of any role writes or deletes a bucket policy.
    const bucketPolicyWrites = resourcesOfType(template, 'AWS::IAM::Role')
      .flatMap(([role]) => grantsOfRole(template, role))
      .flatMap(({ statements }) => statements)
      .filter((statement) => actionsOf(statement).some((action) => /^s3:(Put|Delete)BucketPolicy$/.test(action)));
    expect(bucketPolicyWrites).toEqual(AUDIT_GUARDRAIL_STATEMENTS);
  });

  it('may import findings into Security Hub CSPM, as the account\'s own default product only, only when AllowSecurityHubImport is "true"', () => {
    expect(template.Parameters['AllowSecurityHubImport']).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(template.Conditions['SecurityHubImportAllowed']).toEqual({ 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [ref('AllowSecurityHubImport'), 'true'] }] });
    expect(roleStatements('AuditRole', 'SecurityHubImportAllowed')).toEqual(SECURITY_HUB_IMPORT_STATEMENTS);
    // The same grant as today's single-account AuditSecurityHubPolicy.
    expect(grantsOfRole(source, 'AuditEncryptionRole').filter((grant) => grant.condition === 'AuditSecurityHubEnabled').map(({ statements }) => statements)).toEqual([
      SECURITY_HUB_IMPORT_STATEMENTS,
    ]);
    // No other statement of any role names a Security Hub action: never securityhub:*, never Resource '*'.
    const securityHub = resourcesOfType(template, 'AWS::IAM::Role')
      .flatMap(([role]) => grantsOfRole(template, role))
      .flatMap(({ statements }) => statements)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('securityhub:')));
    expect(securityHub).toEqual(SECURITY_HUB_IMPORT_STATEMENTS);
  });

  it('has the name and parameter name the central audit expects by default', () => {
    expect(template.Parameters['AuditRoleName']?.['Default']).toBe(central.Parameters['MemberRoleName']?.['Default']);
    expect(template.Parameters['MemberParameterName']).toEqual(central.Parameters['MemberParameterName']);
    expect(template.Parameters['OrganizationId']).toEqual(central.Parameters['OrganizationId']);
    expect(template.Parameters['ArtifactsBucketPrefix']).toEqual(central.Parameters['ArtifactsBucketPrefix']);
  });
});

describe('the member parameter', () => {
  it('is a String parameter (ARNs only, nothing secret) named by MemberParameterName, /s3-encryption-enforcer/member by default', () => {
    expect(resource(template, 'MemberParameter').Properties).toMatchObject({ Name: ref('MemberParameterName'), Type: 'String', Tier: 'Standard' });
    expect(template.Parameters['MemberParameterName']?.['Default']).toBe('/s3-encryption-enforcer/member');
  });

  it('holds the region, the key in use, the queue, the function and the version as JSON', () => {
    const value = resource(template, 'MemberParameter').Properties['Value'] as { 'Fn::Sub': [string, Record<string, unknown>] };
    const [text, variables] = value['Fn::Sub'];
    expect(variables).toEqual({ RequiredKeyArn: REQUIRED_KEY_ARN });
    const samples: Record<string, string> = {
      'AWS::Region': 'eu-west-1',
      RequiredKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'EnforcerQueue.Arn': 'arn:aws:sqs:eu-west-1:111122223333:enforcer-queue',
      [`${ENFORCE_FUNCTION}.Arn`]: 'arn:aws:lambda:eu-west-1:111122223333:function:s3-encryption-enforcer-enforce-object-encryption',
    };
    const resolved = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => samples[name] ?? `<unresolved ${name}>`);
    expect(JSON.parse(resolved)).toEqual({
      schemaVersion: 1,
      region: 'eu-west-1',
      requiredKeyArn: samples['RequiredKeyArn'],
      enforcerQueueArn: samples['EnforcerQueue.Arn'],
      enforcerFunctionArn: samples[`${ENFORCE_FUNCTION}.Arn`],
      version: VERSION,
    });
  });
});

describe('alarms', () => {
  it.each(ALARMS)('%s keeps today\'s metric and threshold, without alarm actions', (logicalId) => {
    expect(resource(template, logicalId).Properties).toEqual(without(resource(source, logicalId).Properties, ['AlarmActions', 'OKActions']));
  });

  it('forwards exactly these alarms\' state changes to the central alarm event bus, with a role that may only put events there', () => {
    expect(resource(template, 'AlarmForwardingRule').Properties).toMatchObject({
      EventBusName: 'default',
      State: 'ENABLED',
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], resources: ALARMS.map((id) => getAtt(id)) },
      Targets: [{ Id: 'central-alarm-bus', Arn: ref('AlarmEventBusArn'), RoleArn: getAtt('AlarmForwardingRole') }],
    });
    expect(resource(template, 'AlarmForwardingRole').Properties['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } } },
      ],
    });
    expect(roleStatements('AlarmForwardingRole')).toEqual([{ Sid: 'SendToTheCentralAlarmBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: ref('AlarmEventBusArn') }]);
  });
});

describe('parameters and outputs', () => {
  it("takes the central stack's outputs, today's settings that still apply, and where the audit role lives", () => {
    expect(Object.keys(template.Parameters).sort()).toEqual(
      [
        'AlarmEventBusArn',
        'AllowAuditFixes',
        'AllowAuditGuardrails',
        'AllowAuditObjectSample',
        'AllowS3Notifications',
        'AllowSecurityHubImport',
        'ArtifactsBucketPrefix',
        'AuditRoleName',
        'AuditorRoleArn',
        'EnforcementMode',
        'ExistingKmsKeyArn',
        'FindingsTopicArn',
        'FindingsTopicKeyArn',
        'KeyRotationPeriodInDays',
        'MemberParameterName',
        'OrganizationId',
        'Policy',
        'PrimaryRegion',
        'PriorVersionDeletion',
      ].sort(),
    );
    for (const name of ['ExistingKmsKeyArn', 'EnforcementMode', 'Policy', 'PriorVersionDeletion', 'AllowS3Notifications', 'KeyRotationPeriodInDays']) {
      expect(template.Parameters[name], name).toEqual(source.Parameters[name]);
    }
    expect(allowedBy(template.Parameters['PrimaryRegion'], 'eu-west-1')).toBe(true);
    expect(allowedBy(template.Parameters['PrimaryRegion'], 'eu-west-1,us-east-1')).toBe(false);
    expect(allowedBy(template.Parameters['FindingsTopicArn'], 'arn:aws:sns:eu-west-1:111122223333:topic')).toBe(true);
    expect(allowedBy(template.Parameters['AlarmEventBusArn'], 'arn:aws:events:eu-west-1:111122223333:event-bus/s3-encryption-enforcer-alarms')).toBe(true);
  });

  it('exports nothing: every account and region holds the same stack', () => {
    for (const [name, output] of Object.entries(template.Outputs)) expect(output, name).not.toHaveProperty('Export');
    expect(Object.keys(template.Outputs).sort()).toEqual(
      ['AuditRoleArn', 'EnforcerDeadLetterQueueUrl', 'EnforcerQueueArn', 'EnforcerQueueUrl', 'MemberParameterName', 'ObjectCreatedRuleArn', 'RequiredKmsKeyArn'].sort(),
    );
  });

  it('derives the partition of every ARN instead of writing arn:aws:', () => {
    expect(JSON.stringify(template.Resources)).not.toMatch(/"arn:aws:/);
  });

  it('fits in an inline template body (51,200 bytes): a StackSet takes it without an upload', () => {
    expect(Buffer.byteLength(templateBody(template, 'member'), 'utf8')).toBeLessThanOrEqual(TEMPLATE_BODY_LIMIT);
  });
});
