// The member template: what a service-managed StackSet rolls out to every account and region of the
// chosen OUs. It is today's enforce path, derived from the osls-packaged single-account template
// (packaged with watchedBuckets=*) so that it stays today's stack, with:
//   - the audit function, its schedule, the reports bucket, the findings topic and its key, the
//     email subscription and the osls deployment bucket dropped: the organization audit and the
//     findings topic live in the central stack (central-template.mjs);
//   - code read from <ArtifactsBucketPrefix>-<region> under a versioned key (a StackSet spans
//     regions, and Lambda reads code only from its own region);
//   - alerts published to the central findings topic, whose key is used through SNS in the topic's
//     region;
//   - alarms forwarded to the central alarm event bus: a CloudWatch alarm can notify a topic of
//     another account, but only one in its own region (docs/ORGANIZATION.md, "Alarms");
//   - the read-only audit role the central audit assumes, created in PrimaryRegion only (IAM is
//     global: a named role in two regions of one account collides), with the fix, bucket policy
//     guardrail, object-sample and Security Hub CSPM import permissions as separate, switched-off
//     policies;
//   - an SSM parameter per region telling the central audit which key, queue and function this
//     region's enforcer uses.
// Anything in the packaged template that is neither kept nor dropped on purpose stops the
// derivation: a resource added to today's stack must be placed on one side or the other.
import {
  ACCOUNT_AUDIT_READS,
  ACCOUNT_ROOT,
  AUDIT_FIX_STATEMENTS,
  AUDIT_GUARDRAIL_STATEMENTS,
  AUDIT_OBJECT_SAMPLE_STATEMENTS,
  DEFAULT_MEMBER_ROLE_NAME,
  HANDLER,
  MEMBER_KEY_ALIAS,
  ROLE_NAME,
  SECURITY_HUB_IMPORT_STATEMENTS,
  SERVICE,
  SHARED_PARAMETERS,
  cloneJson,
  functionCode,
  logsUseTheKey,
} from './release.mjs';
import { assertReferencesResolve } from './template-references.mjs';

/** @typedef {{ Type: string, Condition?: string, DependsOn?: string | string[], DeletionPolicy?: string, UpdateReplacePolicy?: string, Properties: Record<string, any> }} Resource */
/** @typedef {{ Sid?: string, Effect: string, Principal?: unknown, Action: string | string[], Resource: unknown, Condition?: Record<string, Record<string, unknown>> }} PolicyStatement */
/**
 * @typedef {{
 *   AWSTemplateFormatVersion: string,
 *   Description: string,
 *   Parameters: Record<string, Record<string, unknown>>,
 *   Conditions: Record<string, unknown>,
 *   Resources: Record<string, Resource>,
 *   Outputs: Record<string, Record<string, unknown>>,
 * }} Template
 */

export const MEMBER_FUNCTION_NAME = `${SERVICE}-enforce-object-encryption`;
export const MEMBER_LOG_GROUP_NAME = `/aws/lambda/${MEMBER_FUNCTION_NAME}`;

/** osls's logical ids of today's stack. */
const ENFORCE_FUNCTION = 'EnforceDashobjectDashencryptionLambdaFunction';
const ENFORCE_LOG_GROUP = 'EnforceDashobjectDashencryptionLogGroup';
const ENFORCE_ROLE = 'EnforceObjectEncryptionRole';
const ALARMS = ['DeadLetterQueueAlarm', 'EnforcerBacklogAlarm', 'ObjectsGoneAlarm'];

/** Kept as today's stack has them. */
const KEPT_UNCHANGED = [
  'EnforceDashobjectDashencryptionEventSourceMappingSQSEnforcerQueue',
  'ObjectCreatedRule',
  'EnforcerQueue',
  'EnforcerDeadLetterQueue',
  'EnforcerQueuePolicy',
  'EnforcerDeadLetterQueuePolicy',
  'EnforcePriorVersionDeletionPolicy',
];

/** The single-account audit and findings side, replaced by the central stack; and osls's own bucket. */
export const DROPPED_RESOURCES = [
  'ServerlessDeploymentBucket',
  'ServerlessDeploymentBucketPolicy',
  'AuditDashencryptionLogGroup',
  'AuditDashencryptionLambdaFunction',
  'AuditDashencryptionLambdaEvConf',
  'AuditDashencryptionEventsRuleSchedule1',
  'AuditDashencryptionLambdaPermissionEventsRuleSchedule1',
  'AuditErrorsAlarm',
  'AuditEncryptionRole',
  'AuditObjectSamplePolicy',
  'AuditFixesPolicy',
  'AuditGuardrailsPolicy',
  'AuditSecurityHubPolicy',
  'ReportsBucket',
  'ReportsBucketPolicy',
  'FindingsTopicKey',
  'FindingsTopicKeyAlias',
  'FindingsTopic',
  'FindingsTopicPolicy',
  'FindingsEmailSubscription',
];

const KEPT_PARAMETERS = ['ExistingKmsKeyArn', 'EnforcementMode', 'Policy', 'PriorVersionDeletion', 'AllowS3Notifications', 'KeyRotationPeriodInDays'];
/**
 * KeyAdministratorArns is dropped: in a StackSet the principal that creates and later updates each
 * key is the StackSets execution role of that account, which the template cannot name, and KMS
 * refuses a key policy that would lock its creator out. Administration is delegated to IAM in the
 * member account instead (AWS's default key policy), where SCPs can restrict it.
 */
const DROPPED_PARAMETERS = ['KeyAdministratorArns', 'FindingsEmail', 'AuditSchedule', 'AuditFixes', 'AuditGuardrails', 'AuditObjectSample', 'AuditSecurityHub', 'ReportRetentionDays'];
const KEPT_CONDITIONS = ['CreateEnforcementKey', 'PriorVersionDeletionAllowed', 'S3NotificationsAllowed'];
const KEPT_OUTPUTS = ['RequiredKmsKeyArn', 'EnforcerQueueArn', 'EnforcerQueueUrl', 'EnforcerDeadLetterQueueUrl', 'ObjectCreatedRuleArn'];

export const REQUIRED_KEY_ARN = { 'Fn::If': ['CreateEnforcementKey', { 'Fn::GetAtt': ['EnforcementKey', 'Arn'] }, { Ref: 'ExistingKmsKeyArn' }] };
/** The findings topic's region: SNS uses the topic's key there, whichever region publishes. */
export const FINDINGS_TOPIC_REGION = { 'Fn::Select': [3, { 'Fn::Split': [':', { Ref: 'FindingsTopicArn' }] }] };

/** @param {unknown} value */
const clone = (value) => /** @type {any} */ (cloneJson(value));

/**
 * @param {Template} packaged
 * @param {string} logicalId
 * @returns {Resource}
 */
const take = (packaged, logicalId) => {
  const found = packaged.Resources[logicalId];
  if (!found) throw new Error(`the packaged template has no ${logicalId}: infra/organization/member-template.mjs must follow today's stack`);
  return clone(found);
};

/**
 * @param {PolicyStatement[]} statements
 * @param {string} sid
 */
const statementNamed = (statements, sid) => {
  const found = statements.find((statement) => statement.Sid === sid);
  if (!found) throw new Error(`the packaged enforce role has no statement ${sid}`);
  return found;
};

/** @param {Template} packaged */
const enforceFunction = (packaged, /** @type {string} */ version) => {
  const fn = take(packaged, ENFORCE_FUNCTION);
  const variables = fn.Properties['Environment']?.Variables;
  if (!variables || !('FINDINGS_TOPIC_ARN' in variables)) throw new Error(`${ENFORCE_FUNCTION} has no FINDINGS_TOPIC_ARN`);
  fn.Properties = {
    ...fn.Properties,
    Code: functionCode(version, 'enforce-object-encryption'),
    Handler: HANDLER,
    FunctionName: MEMBER_FUNCTION_NAME,
    Environment: { Variables: { ...variables, FINDINGS_TOPIC_ARN: { Ref: 'FindingsTopicArn' } } },
  };
  return fn;
};

/** @param {Template} packaged */
const enforceRole = (packaged) => {
  const role = take(packaged, ENFORCE_ROLE);
  const policies = /** @type {{ PolicyName: string, PolicyDocument: { Statement: PolicyStatement[] } }[]} */ (role.Properties['Policies']);
  const statements = policies[0]?.PolicyDocument.Statement;
  if (policies.length !== 1 || !statements) throw new Error(`${ENFORCE_ROLE} should have one inline policy`);
  // Alerts go to the central topic: publish to exactly that ARN, and use its key through SNS in the
  // topic's region (a cross-account key: the key policy and this policy must both allow it).
  statementNamed(statements, 'PublishFindings').Resource = { Ref: 'FindingsTopicArn' };
  const encrypt = statementNamed(statements, 'EncryptFindingsThroughSns');
  encrypt.Resource = { Ref: 'FindingsTopicKeyArn' };
  encrypt.Condition = { StringEquals: { 'kms:ViaService': { 'Fn::Sub': ['sns.${TopicRegion}.amazonaws.com', { TopicRegion: FINDINGS_TOPIC_REGION }] } } };
  return role;
};

/** @param {Template} packaged */
const enforcementKey = (packaged) => {
  const key = take(packaged, 'EnforcementKey');
  const statements = /** @type {PolicyStatement[]} */ (key.Properties['KeyPolicy'].Statement);
  statementNamed(statements, 'KeyAdministration').Principal = { AWS: ACCOUNT_ROOT };
  statements.push(logsUseTheKey([MEMBER_LOG_GROUP_NAME]));
  return key;
};

/** @param {Template} packaged */
const enforceLogGroup = (packaged) => {
  const logGroup = take(packaged, ENFORCE_LOG_GROUP);
  logGroup.Properties = {
    ...logGroup.Properties,
    LogGroupName: MEMBER_LOG_GROUP_NAME,
    // Under the enforcement key when the stack creates it; an existing key's policy is not this
    // stack's to extend, so with one the log group keeps CloudWatch Logs' own encryption at rest.
    KmsKeyId: { 'Fn::If': ['CreateEnforcementKey', { 'Fn::GetAtt': ['EnforcementKey', 'Arn'] }, { Ref: 'AWS::NoValue' }] },
  };
  return logGroup;
};

/**
 * Alarms keep their metrics and thresholds; their state changes travel by EventBridge instead of
 * alarm actions (AlarmForwardingRule).
 * @param {Template} packaged
 * @param {string} logicalId
 */
const alarm = (packaged, logicalId) => {
  const found = take(packaged, logicalId);
  delete found.Properties['AlarmActions'];
  delete found.Properties['OKActions'];
  return found;
};

const parameters = () => ({
  ArtifactsBucketPrefix: SHARED_PARAMETERS.ArtifactsBucketPrefix,
  OrganizationId: SHARED_PARAMETERS.OrganizationId,
  FindingsTopicArn: {
    Type: 'String',
    AllowedPattern: '^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$',
    ConstraintDescription: 'an SNS topic ARN',
    Description: 'The central findings topic (central stack output FindingsTopicArn): the enforcer publishes its alerts there.',
  },
  FindingsTopicKeyArn: {
    Type: 'String',
    AllowedPattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$',
    ConstraintDescription: 'a KMS key ARN',
    Description: 'The key of the central findings topic (central stack output FindingsTopicKeyArn).',
  },
  AlarmEventBusArn: {
    Type: 'String',
    AllowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._-]+$',
    ConstraintDescription: 'an EventBridge event bus ARN',
    Description: "The central alarm event bus (central stack output AlarmEventBusArn): this stack's alarm state changes are sent there.",
  },
  AuditorRoleArn: {
    Type: 'String',
    AllowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$',
    ConstraintDescription: 'an IAM role ARN',
    Description: 'The central audit function\'s role (central stack output AuditorRoleArn): the only principal that may assume the audit role.',
  },
  AuditRoleName: {
    Type: 'String',
    Default: DEFAULT_MEMBER_ROLE_NAME,
    ...ROLE_NAME,
    Description: 'Name of the read-only audit role (the central stack\'s MemberRoleName).',
  },
  PrimaryRegion: {
    Type: 'String',
    AllowedPattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
    ConstraintDescription: 'a region name, such as eu-west-1',
    Description: 'The one region of each account where the audit role is created (IAM is global). Must be one of the StackSet\'s regions.',
  },
  MemberParameterName: SHARED_PARAMETERS.MemberParameterName,
  AllowAuditFixes: SHARED_PARAMETERS.AllowAuditFixes,
  AllowAuditGuardrails: SHARED_PARAMETERS.AllowAuditGuardrails,
  AllowAuditObjectSample: SHARED_PARAMETERS.AllowAuditObjectSample,
  AllowSecurityHubImport: SHARED_PARAMETERS.AllowSecurityHubImport,
});

/** @param {string} version */
const memberParameterValue = (version) => ({
  'Fn::Sub': [
    `{"schemaVersion":1,"region":"\${AWS::Region}","requiredKeyArn":"\${RequiredKeyArn}","enforcerQueueArn":"\${EnforcerQueue.Arn}","enforcerFunctionArn":"\${${ENFORCE_FUNCTION}.Arn}","version":"${version}"}`,
    { RequiredKeyArn: REQUIRED_KEY_ARN },
  ],
});

/** @param {string} version */
const addedResources = (version) => ({
  AlarmForwardingRule: {
    Type: 'AWS::Events::Rule',
    Properties: {
      Description: { 'Fn::Sub': 'State changes of the alarms of ${AWS::StackName}, to the central alarm event bus' },
      EventBusName: 'default',
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: ALARMS.map((logicalId) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] })),
      },
      Targets: [{ Id: 'central-alarm-bus', Arn: { Ref: 'AlarmEventBusArn' }, RoleArn: { 'Fn::GetAtt': ['AlarmForwardingRole', 'Arn'] } }],
    },
  },
  AlarmForwardingRole: {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: { 'Fn::Sub': 'EventBridge rule of ${AWS::StackName}: sends alarm state changes to the central alarm event bus' },
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'forward-alarm-state-changes',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Sid: 'SendToTheCentralAlarmBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'AlarmEventBusArn' } }],
          },
        },
      ],
    },
  },
  // Holds ARNs only, nothing secret: a String parameter, readable by the audit role.
  MemberParameter: {
    Type: 'AWS::SSM::Parameter',
    Properties: {
      Name: { Ref: 'MemberParameterName' },
      Type: 'String',
      Tier: 'Standard',
      Description: 'S3 encryption enforcer in this region: the required key, the enforcer queue and function (read by the organization audit)',
      Value: memberParameterValue(version),
    },
  },
  AuditRole: {
    Type: 'AWS::IAM::Role',
    Condition: 'IsPrimaryRegion',
    Properties: {
      RoleName: { Ref: 'AuditRoleName' },
      Description: 'Read-only S3 and KMS encryption audit of this account, assumed by the organization audit',
      // Role chaining caps the session at an hour whatever this says; the audit re-assumes before expiry.
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: { Ref: 'AuditorRoleArn' } },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
          },
        ],
      },
      Policies: [{ PolicyName: 'audit-encryption-reads', PolicyDocument: { Version: '2012-10-17', Statement: clone(ACCOUNT_AUDIT_READS) } }],
    },
  },
  AuditFixesPolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'AuditFixesAllowed',
    Properties: {
      RoleName: { Ref: 'AuditRole' },
      PolicyName: 'audit-encryption-fixes',
      PolicyDocument: { Version: '2012-10-17', Statement: clone(AUDIT_FIX_STATEMENTS) },
    },
  },
  // Bucket policy guardrails on this (the member) account's buckets only: aws:ResourceAccount is
  // the id of the account the StackSet deploys this stack to.
  AuditGuardrailsPolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'AuditGuardrailsAllowed',
    Properties: {
      RoleName: { Ref: 'AuditRole' },
      PolicyName: 'audit-encryption-guardrails',
      PolicyDocument: { Version: '2012-10-17', Statement: clone(AUDIT_GUARDRAIL_STATEMENTS) },
    },
  },
  AuditObjectSamplePolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'AuditObjectSampleAllowed',
    Properties: {
      RoleName: { Ref: 'AuditRole' },
      PolicyName: 'audit-encryption-object-sample',
      PolicyDocument: { Version: '2012-10-17', Statement: clone(AUDIT_OBJECT_SAMPLE_STATEMENTS) },
    },
  },
  // The audit imports each account's findings through that account's role: Security Hub CSPM
  // accepts findings of an account only from the account itself.
  AuditSecurityHubPolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'SecurityHubImportAllowed',
    Properties: {
      RoleName: { Ref: 'AuditRole' },
      PolicyName: 'audit-encryption-security-hub',
      PolicyDocument: { Version: '2012-10-17', Statement: clone(SECURITY_HUB_IMPORT_STATEMENTS) },
    },
  },
});

/**
 * @param {Record<string, unknown>} source
 * @param {string[]} kept
 * @param {string[]} dropped
 * @param {string} what
 */
const select = (source, kept, dropped, what) => {
  const unplaced = Object.keys(source).filter((name) => !kept.includes(name) && !dropped.includes(name));
  if (unplaced.length > 0) {
    throw new Error(`the packaged template has ${what} the member template neither keeps nor drops: ${unplaced.join(', ')} (infra/organization/member-template.mjs)`);
  }
  return Object.fromEntries(kept.map((name) => {
    if (!(name in source)) throw new Error(`the packaged template has no ${what.replace(/s$/, '')} ${name}`);
    return [name, clone(source[name])];
  }));
};

/**
 * The member template, from the template osls packaged with watchedBuckets=*.
 * @param {Template} packaged
 * @param {{ version: string }} release
 * @returns {Template}
 */
export const memberTemplate = (packaged, { version }) => {
  const rule = packaged.Resources['ObjectCreatedRule'];
  if (!rule || 'detail' in (rule.Properties['EventPattern'] ?? {})) {
    throw new Error('the member template watches every bucket with EventBridge notifications on: package it with watchedBuckets=*');
  }
  const keptByHand = ['EnforcementKey', 'EnforcementKeyAlias', ENFORCE_FUNCTION, ENFORCE_LOG_GROUP, ENFORCE_ROLE, ...ALARMS];
  select(packaged.Resources, [...KEPT_UNCHANGED, ...keptByHand], DROPPED_RESOURCES, 'resources');

  /** @type {Record<string, Resource>} */
  const resources = {
    EnforcementKey: enforcementKey(packaged),
    EnforcementKeyAlias: { ...take(packaged, 'EnforcementKeyAlias'), Properties: { AliasName: MEMBER_KEY_ALIAS, TargetKeyId: { Ref: 'EnforcementKey' } } },
    [ENFORCE_LOG_GROUP]: enforceLogGroup(packaged),
    [ENFORCE_FUNCTION]: enforceFunction(packaged, version),
    [ENFORCE_ROLE]: enforceRole(packaged),
    ...Object.fromEntries(KEPT_UNCHANGED.map((logicalId) => [logicalId, take(packaged, logicalId)])),
    ...Object.fromEntries(ALARMS.map((logicalId) => [logicalId, alarm(packaged, logicalId)])),
    ...addedResources(version),
  };

  /** @type {Template} */
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `S3 encryption enforcer ${version}, organization member: re-encrypts new objects of this account and region under the required key, and lets the organization audit read its configuration.`,
    Parameters: { ...parameters(), ...select(packaged.Parameters, KEPT_PARAMETERS, DROPPED_PARAMETERS, 'parameters') },
    Conditions: {
      ...select(packaged.Conditions, KEPT_CONDITIONS, ['HasFindingsEmail', 'AuditFixesEnabled', 'AuditGuardrailsEnabled', 'AuditObjectSampleEnabled', 'AuditSecurityHubEnabled'], 'conditions'),
      IsPrimaryRegion: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'PrimaryRegion' }] },
      AuditFixesAllowed: { 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [{ Ref: 'AllowAuditFixes' }, 'true'] }] },
      AuditGuardrailsAllowed: { 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [{ Ref: 'AllowAuditGuardrails' }, 'true'] }] },
      AuditObjectSampleAllowed: { 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [{ Ref: 'AllowAuditObjectSample' }, 'true'] }] },
      SecurityHubImportAllowed: { 'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Equals': [{ Ref: 'AllowSecurityHubImport' }, 'true'] }] },
    },
    Resources: resources,
    Outputs: {
      ...select(packaged.Outputs, KEPT_OUTPUTS, ['ServerlessDeploymentBucketName', 'FindingsTopicArn', 'ReportsBucketName'], 'outputs'),
      MemberParameterName: { Description: 'The SSM parameter the organization audit reads in this region', Value: { Ref: 'MemberParameter' } },
      AuditRoleArn: { Condition: 'IsPrimaryRegion', Description: 'The role the organization audit assumes in this account', Value: { 'Fn::GetAtt': ['AuditRole', 'Arn'] } },
    },
  };
  assertReferencesResolve(template, 'the member template');
  return template;
};
