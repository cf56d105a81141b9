// The central template: the organization audit, deployed as one plain stack in the delegated
// administrator (security) account and region.
//
//   schedule ──▶ AuditStateMachine: list-organization-accounts ──▶ Distributed Map of
//                audit-member-account (assumes <MemberRoleName> in each account) ──▶ merge-organization-audit
//                                │ reports, account list, map results                     │ one summary
//                                ▼                                                         ▼
//                      ReportsBucket (SSE-KMS, ReportsKey)                      FindingsTopic (SSE-KMS, FindingsTopicKey)
//                                                                                  ▲ alerts of every member's enforcer
//   members' alarm state changes ──▶ AlarmEventBus ──▶ AlarmNotificationRule ──────┘
//
// Least privilege: one role per function and one for the state machine and the schedule; no
// Action '*'; Resource '*' only for calls IAM cannot scope, each said so where it is granted; the
// partition of every ARN comes from the region. Cross-account access (topic, topic key, alarm bus,
// member roles) is granted to principals of OrganizationId only.
import { DEFINITION_PLACEHOLDERS, INTEGRATIONS, auditStateMachineDefinition } from './audit-state-machine.mjs';
import {
  ACCOUNT_AUDIT_READS,
  ARCHITECTURES,
  AUDIT_FIX_STATEMENTS,
  AUDIT_GUARDRAIL_STATEMENTS,
  AUDIT_OBJECT_SAMPLE_STATEMENTS,
  CENTRAL_FUNCTIONS,
  DEFAULT_MEMBER_ROLE_NAME,
  HANDLER,
  KEY_ADMINISTRATION_ACTIONS,
  LOG_RETENTION_DAYS,
  MEMBER_KEY_ALIAS,
  READ_KEY_METADATA_BY_IAM,
  ROLE_NAME,
  RUNTIME,
  SECURITY_HUB_IMPORT_STATEMENTS,
  SERVICE,
  SHARED_PARAMETERS,
  ACCOUNT_ROOT,
  cloneJson,
  functionCode,
  logsUseTheKey,
  viaService,
} from './release.mjs';
import { assertReferencesResolve } from './template-references.mjs';

/** @typedef {import('./member-template.mjs').Template} Template */
/** @typedef {import('./member-template.mjs').Resource} Resource */
/** @typedef {typeof CENTRAL_FUNCTIONS[number]} CentralFunction */

export const STATE_MACHINE_NAME = `${SERVICE}-organization-audit`;
export const AUDITOR_ROLE_NAME = `${SERVICE}-organization-auditor`;
export const ALARM_EVENT_BUS_NAME = `${SERVICE}-alarms`;
export const SCHEDULE_RULE_NAME = `${SERVICE}-organization-audit-schedule`;
export const STATE_MACHINE_LOG_GROUP_NAME = `/aws/vendedlogs/states/${STATE_MACHINE_NAME}`;

/**
 * Each function's logical ids, log group, size and time limit.
 * @type {Record<CentralFunction, { id: string, role: string, logGroup: string, memorySize: number, timeout: number, ephemeralStorageMb: number, description: string }>}
 */
export const CENTRAL_FUNCTION_SETTINGS = {
  'list-organization-accounts': {
    id: 'ListAccountsFunction',
    role: 'ListAccountsRole',
    logGroup: 'ListAccountsLogGroup',
    memorySize: 512,
    // Up to 10,000 accounts at 20 a page, with backoff when Organizations throttles.
    timeout: 900,
    ephemeralStorageMb: 512,
    description: "Lists the organization's accounts in scope for the S3 encryption audit and writes the list to the reports bucket.",
  },
  'audit-member-account': {
    id: 'AuditMemberFunction',
    role: 'AuditMemberRole',
    logGroup: 'AuditMemberLogGroup',
    memorySize: 1024,
    timeout: 900,
    // One account's report is spooled to /tmp: about 0.8 KB a finding, so 512 MB holds 600,000.
    ephemeralStorageMb: 512,
    description: "Audits one account's buckets and keys in every audited region through its read-only audit role.",
  },
  'merge-organization-audit': {
    id: 'MergeFunction',
    role: 'MergeRole',
    logGroup: 'MergeLogGroup',
    memorySize: 1024,
    timeout: 900,
    // The organization report is spooled to /tmp before its header is known: about 0.8 KB a
    // finding, so 819 MB at 10,000 accounts of 100 findings; 4 GB holds about 5 million.
    ephemeralStorageMb: 4096,
    description: "Merges the accounts' results into the organization report and publishes one summary.",
  },
};

/** @param {string} name */
export const functionName = (name) => `${SERVICE}-${name}`;
/** @param {string} name */
export const functionLogGroupName = (name) => `/aws/lambda/${functionName(name)}`;

const sub = (/** @type {string} */ text) => ({ 'Fn::Sub': text });
const ref = (/** @type {string} */ name) => ({ Ref: name });
const getAtt = (/** @type {string} */ logicalId, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });

const REPORT_OBJECTS = sub('${ReportsBucket.Arn}/${ReportsPrefix}*');
const STATE_MACHINE_ARN = sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`);
const VIA_S3 = viaService('s3');
const VIA_SNS = viaService('sns');
const ORGANIZATION_ONLY = { StringEquals: { 'aws:PrincipalOrgID': ref('OrganizationId') } };

const parameters = () => ({
  OrganizationId: SHARED_PARAMETERS.OrganizationId,
  KeyAdministratorArns: {
    Type: 'CommaDelimitedList',
    Description: 'IAM principals that administer the keys this stack creates (never use them). Include the deploying principal: KMS refuses a key policy that locks its creator out.',
  },
  ArtifactsBucketPrefix: SHARED_PARAMETERS.ArtifactsBucketPrefix,
  AuditRegions: {
    Type: 'String',
    AllowedPattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+(,[a-z]{2}(-[a-z]+)+-[0-9]+)*$',
    ConstraintDescription: 'a comma-separated list of region names, such as eu-west-1,us-east-1',
    Description: "The regions audited in every account: the StackSet's regions, where the member template writes its parameter.",
  },
  AccountIds: {
    Type: 'String',
    Default: '',
    AllowedPattern: '^$|^[0-9]{12}(,[0-9]{12})*$',
    ConstraintDescription: 'empty or a comma-separated list of 12-digit account ids',
    Description: 'Optional: audit only these accounts. Empty (and no OrganizationalUnitIds): every active account.',
  },
  OrganizationalUnitIds: {
    Type: 'String',
    Default: '',
    AllowedPattern: '^$|^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})(,(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}))*$',
    ConstraintDescription: 'empty or a comma-separated list of OU ids (ou-…) or the root id (r-…)',
    Description: 'Optional: audit only the accounts under these OUs (and their child OUs).',
  },
  MemberRoleName: {
    Type: 'String',
    Default: DEFAULT_MEMBER_ROLE_NAME,
    ...ROLE_NAME,
    Description: "The read-only audit role the member template creates in each account (its AuditRoleName).",
  },
  MemberParameterName: SHARED_PARAMETERS.MemberParameterName,
  RequiredKmsKey: {
    Type: 'String',
    Default: MEMBER_KEY_ALIAS,
    AllowedPattern: '^(alias/[a-zA-Z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+)$',
    ConstraintDescription: 'alias/NAME, or a key ARN',
    Description: 'The key objects must be under: alias/NAME is resolved in each account and region (the member template creates alias/s3-encryption-enforcer-enforcement); a key ARN is the same key for every account.',
  },
  Policy: {
    Type: 'String',
    Default: '',
    Description: 'Optional POLICY JSON of the audit (the same as the members\' Policy, plus its "audit" settings).',
  },
  Schedule: {
    Type: 'String',
    Default: 'cron(0 3 * * ? *)',
    AllowedPattern: '^(rate\\(.+\\)|cron\\(.+\\))$',
    ConstraintDescription: 'an EventBridge schedule expression, rate(...) or cron(...)',
    Description: 'When the organization audit runs (UTC). Nightly by default.',
  },
  MaxConcurrency: {
    Type: 'Number',
    Default: 40,
    MinValue: 1,
    MaxValue: 1000,
    Description: 'Accounts audited at once (child executions of the Distributed Map).',
  },
  AuditConcurrency: {
    Type: 'Number',
    Default: 8,
    MinValue: 1,
    MaxValue: 64,
    Description: 'Buckets and keys inspected at once within one account.',
  },
  FindingsEmail: {
    Type: 'String',
    Default: '',
    AllowedPattern: '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
    ConstraintDescription: 'empty or one email address',
    Description: 'Optional on-call address subscribed to the findings topic (confirm the email AWS sends).',
  },
  ReportsPrefix: {
    Type: 'String',
    Default: 'encryption-audit/',
    AllowedPattern: '^([A-Za-z0-9!_.*\'()-]+/)+$',
    ConstraintDescription: 'a key prefix ending with a slash, such as encryption-audit/',
    Description: 'Where in the reports bucket the audit writes (runs, account lists, results, reports).',
  },
  ReportRetentionDays: {
    Type: 'Number',
    Default: 400,
    MinValue: 1,
    MaxValue: 3650,
    Description: 'Days audit reports are kept in the reports bucket.',
  },
  LogRetentionInDays: {
    Type: 'Number',
    Default: 30,
    AllowedValues: LOG_RETENTION_DAYS,
    Description: 'Retention of the functions\' and the state machine\'s log groups.',
  },
  KeyRotationPeriodInDays: SHARED_PARAMETERS.KeyRotationPeriodInDays,
  AllowAuditFixes: SHARED_PARAMETERS.AllowAuditFixes,
  AllowAuditGuardrails: SHARED_PARAMETERS.AllowAuditGuardrails,
  AllowAuditObjectSample: SHARED_PARAMETERS.AllowAuditObjectSample,
  AllowSecurityHubImport: SHARED_PARAMETERS.AllowSecurityHubImport,
});

/** @param {string} description @param {unknown[]} statements */
const customerManagedKey = (description, statements) => ({
  Type: 'AWS::KMS::Key',
  Properties: {
    Description: sub(description),
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyUsage: 'ENCRYPT_DECRYPT',
    EnableKeyRotation: true,
    RotationPeriodInDays: ref('KeyRotationPeriodInDays'),
    PendingWindowInDays: 30,
    KeyPolicy: {
      Version: '2012-10-17',
      Statement: [{ Sid: 'KeyAdministration', Effect: 'Allow', Principal: { AWS: ref('KeyAdministratorArns') }, Action: [...KEY_ADMINISTRATION_ACTIONS], Resource: '*' }, ...statements],
    },
  },
});

/**
 * @template {object} R
 * @param {R} resource
 */
const retained = (resource) => ({ ...resource, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });

const LOG_GROUP_NAMES = [...CENTRAL_FUNCTIONS.map(functionLogGroupName), STATE_MACHINE_LOG_GROUP_NAME];

const keys = () => ({
  // Encrypts the reports bucket and the log groups. IAM in this account may use it through S3 only;
  // CloudWatch Logs may use it for this stack's log groups only. Retained with the reports bucket:
  // deleting it would make the retained reports unreadable.
  ReportsKey: retained(customerManagedKey('Encrypts the organization audit reports and logs of ${AWS::StackName}', [
    {
      Sid: 'UseThroughS3ByIamPolicyInThisAccount',
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ROOT },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': sub('s3.${AWS::Region}.amazonaws.com'), 'kms:CallerAccount': ref('AWS::AccountId') } },
    },
    READ_KEY_METADATA_BY_IAM,
    logsUseTheKey(LOG_GROUP_NAMES),
  ])),
  ReportsKeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: `alias/${SERVICE}-organization-reports`, TargetKeyId: ref('ReportsKey') } },
  // Encrypts the findings topic, which every member's enforcer publishes to: principals of the
  // organization may use it through SNS only; CloudWatch (this account's alarm) and EventBridge
  // (the alarm notification rule) may use it to publish to the encrypted topic.
  FindingsTopicKey: customerManagedKey('Encrypts the organization findings topic of ${AWS::StackName}', [
    {
      Sid: 'OrganizationPublishesThroughSns',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ref('OrganizationId'), 'kms:ViaService': sub('sns.${AWS::Region}.amazonaws.com') } },
    },
    READ_KEY_METADATA_BY_IAM,
    {
      Sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    },
    {
      Sid: 'EventBridgePublishesToTheEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    },
  ]),
  FindingsTopicKeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: `alias/${SERVICE}-organization-findings`, TargetKeyId: ref('FindingsTopicKey') } },
});

const findings = () => ({
  FindingsTopic: {
    Type: 'AWS::SNS::Topic',
    Properties: { DisplayName: 'S3 encryption findings (organization)', KmsMasterKeyId: getAtt('FindingsTopicKey') },
  },
  FindingsTopicPolicy: {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [ref('FindingsTopic')],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          // Every member's enforcer publishes its alerts here (its own IAM policy names this topic).
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
          {
            Sid: 'DenyPublishWithoutTls',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: ref('FindingsTopic'),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  },
  FindingsEmailSubscription: {
    Type: 'AWS::SNS::Subscription',
    Condition: 'HasFindingsEmail',
    Properties: { TopicArn: ref('FindingsTopic'), Protocol: 'email', Endpoint: ref('FindingsEmail') },
  },
  // A CloudWatch alarm can notify a topic of another account only in its own region, and a
  // StackSet spans regions: members send their alarms' state changes here instead, from any region.
  AlarmEventBus: {
    Type: 'AWS::Events::EventBus',
    Properties: {
      Name: ALARM_EVENT_BUS_NAME,
      Description: 'State changes of the S3 encryption enforcer alarms of every member account and region',
      Policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OrganizationSendsAlarmStateChanges',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'events:PutEvents',
            Resource: sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${ALARM_EVENT_BUS_NAME}`),
            Condition: ORGANIZATION_ONLY,
          },
        ],
      },
    },
  },
  AlarmNotificationRule: {
    Type: 'AWS::Events::Rule',
    Properties: {
      Description: 'Member alarm state changes, to the findings topic',
      EventBusName: ref('AlarmEventBus'),
      State: 'ENABLED',
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] },
      Targets: [
        {
          Id: 'findings-topic',
          Arn: ref('FindingsTopic'),
          // A JSON document like the other findings: the values are inserted as JSON strings.
          InputTransformer: {
            InputPathsMap: {
              account: '$.account',
              region: '$.region',
              alarm: '$.detail.alarmName',
              state: '$.detail.state.value',
              previousState: '$.detail.previousState.value',
              reason: '$.detail.state.reason',
              time: '$.time',
            },
            InputTemplate:
              '{"kind":"alarm-state-change","account":<account>,"region":<region>,"alarm":<alarm>,"state":<state>,"previousState":<previousState>,"reason":<reason>,"time":<time>}',
          },
        },
      ],
    },
  },
  AuditRunFailedAlarm: {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: "The organization audit's run failed or timed out; tonight's organization report is missing. Read the execution in the Step Functions console and the functions' log groups.",
      Metrics: [
        { Id: 'failed', ReturnData: false, MetricStat: { Metric: stateMachineMetric('ExecutionsFailed'), Period: 3600, Stat: 'Sum' } },
        { Id: 'timedOut', ReturnData: false, MetricStat: { Metric: stateMachineMetric('ExecutionsTimedOut'), Period: 3600, Stat: 'Sum' } },
        { Id: 'unfinished', Label: 'Runs failed or timed out', Expression: 'FILL(failed, 0) + FILL(timedOut, 0)', ReturnData: true },
      ],
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref('FindingsTopic')],
    },
  },
});

/** @param {string} metricName */
function stateMachineMetric(metricName) {
  return { Namespace: 'AWS/States', MetricName: metricName, Dimensions: [{ Name: 'StateMachineArn', Value: ref('AuditStateMachine') }] };
}

const reportsBucket = () => ({
  // Retained when the stack is removed: it is the history.
  ReportsBucket: retained({
    Type: 'AWS::S3::Bucket',
    Properties: {
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
    },
  }),
  // Conditions on the encryption headers are evaluated on what a request sends, before the bucket
  // default applies: each Deny pairs its comparison with a Null test, so that an upload sending no
  // header (the Map's ResultWriter) gets the bucket default instead of a refusal.
  ReportsBucketPolicy: {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: ref('ReportsBucket'),
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyWithoutTls',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [getAtt('ReportsBucket'), sub('${ReportsBucket.Arn}/*')],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Sid: 'DenyOtherEncryption',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:PutObject',
            Resource: sub('${ReportsBucket.Arn}/*'),
            Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' }, Null: { 's3:x-amz-server-side-encryption': 'false' } },
          },
          {
            Sid: 'DenyOtherKmsKeys',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:PutObject',
            Resource: sub('${ReportsBucket.Arn}/*'),
            Condition: {
              StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': getAtt('ReportsKey') },
              Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
            },
          },
          // aws:kms without a key id means the AWS-managed aws/s3 key.
          {
            Sid: 'DenyAwsManagedKey',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:PutObject',
            Resource: sub('${ReportsBucket.Arn}/*'),
            Condition: {
              StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
              Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
            },
          },
        ],
      },
    },
  },
});

/** @param {string} logGroupLogicalId */
const writeOwnLogs = (logGroupLogicalId) => ({ Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(logGroupLogicalId) });
const REPORTS_UNDER_THE_REPORTS_KEY = { Sid: 'ReportsUnderTheReportsKey', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: getAtt('ReportsKey'), Condition: VIA_S3 };
const READ_AND_WRITE_REPORTS = { Sid: 'ReadAndWriteReports', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: REPORT_OBJECTS };

/**
 * @param {string} description
 * @param {string} service
 * @param {unknown[]} statements
 * @param {{ roleName?: unknown, trustCondition?: unknown }} [options]
 */
const role = (description, service, statements, { roleName, trustCondition } = {}) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    ...(roleName ? { RoleName: roleName } : {}),
    Description: sub(description),
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(trustCondition ? { Condition: trustCondition } : {}) }],
    },
    Policies: [{ PolicyName: 'least-privilege', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
  },
});

const SAME_ACCOUNT = { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } };

const roles = () => ({
  ListAccountsRole: role("list-organization-accounts of ${AWS::StackName}: reads the organization's accounts, writes the run's account list", 'lambda.amazonaws.com', [
    writeOwnLogs('ListAccountsLogGroup'),
    {
      Sid: 'ListOrganizationAccounts',
      Effect: 'Allow',
      Action: ['organizations:ListAccounts', 'organizations:DescribeOrganization', 'organizations:ListRoots', 'organizations:ListPolicies'],
      // None of these calls has a resource-level scope: IAM accepts only Resource '*' for them.
      Resource: '*',
    },
    {
      Sid: 'ReadOrganizationStructure',
      Effect: 'Allow',
      Action: ['organizations:ListChildren', 'organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
      Resource: [sub('arn:${AWS::Partition}:organizations::*:root/${OrganizationId}/r-*'), sub('arn:${AWS::Partition}:organizations::*:ou/${OrganizationId}/ou-*')],
    },
    {
      // The org-rcp-coverage check: each RCP's document and targets, this organization's and AWS's own (RCPFullAWSAccess).
      Sid: 'ReadResourceControlPolicies',
      Effect: 'Allow',
      Action: ['organizations:DescribePolicy', 'organizations:ListTargetsForPolicy'],
      Resource: [
        sub('arn:${AWS::Partition}:organizations::*:policy/${OrganizationId}/resource_control_policy/p-*'),
        sub('arn:${AWS::Partition}:organizations::aws:policy/resource_control_policy/p-*'),
      ],
    },
    { Sid: 'WriteRunFiles', Effect: 'Allow', Action: 's3:PutObject', Resource: REPORT_OBJECTS },
    REPORTS_UNDER_THE_REPORTS_KEY,
  ]),
  // Named, so that its ARN (the members' AuditorRoleArn) stays the same if the role is replaced.
  AuditMemberRole: role(
    "audit-member-account of ${AWS::StackName}: assumes each member's audit role; audits this account with its own credentials",
    'lambda.amazonaws.com',
    [
      writeOwnLogs('AuditMemberLogGroup'),
      {
        Sid: 'AssumeMemberAuditRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: sub('arn:${AWS::Partition}:iam::*:role/${MemberRoleName}'),
        Condition: { StringEquals: { 'aws:ResourceOrgID': ref('OrganizationId') } },
      },
      ...cloneJson(ACCOUNT_AUDIT_READS),
      READ_AND_WRITE_REPORTS,
      REPORTS_UNDER_THE_REPORTS_KEY,
    ],
    { roleName: AUDITOR_ROLE_NAME },
  ),
  MergeRole: role("merge-organization-audit of ${AWS::StackName}: reads the accounts' results, writes the organization report, publishes the summary", 'lambda.amazonaws.com', [
    writeOwnLogs('MergeLogGroup'),
    // The reports bucket only; without ListBucket, S3 answers 403 instead of 404 for a state file
    // that does not exist yet (the first night).
    { Sid: 'ListReports', Effect: 'Allow', Action: 's3:ListBucket', Resource: getAtt('ReportsBucket') },
    READ_AND_WRITE_REPORTS,
    REPORTS_UNDER_THE_REPORTS_KEY,
    { Sid: 'PublishFindings', Effect: 'Allow', Action: 'sns:Publish', Resource: ref('FindingsTopic') },
    { Sid: 'EncryptFindingsThroughSns', Effect: 'Allow', Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: getAtt('FindingsTopicKey'), Condition: VIA_SNS },
  ]),
  StateMachineRole: role(
    'organization audit state machine of ${AWS::StackName}: invokes the audit functions, runs the Distributed Map',
    'states.amazonaws.com',
    [
      {
        Sid: 'InvokeAuditFunctions',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: CENTRAL_FUNCTIONS.map((name) => getAtt(CENTRAL_FUNCTION_SETTINGS[name].id)),
      },
      // A Distributed Map runs each item as a child execution of this state machine.
      { Sid: 'StartMapChildExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: STATE_MACHINE_ARN },
      {
        Sid: 'ManageMapChildExecutions',
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${STATE_MACHINE_NAME}/*`),
      },
      { Sid: 'ReadAccountList', Effect: 'Allow', Action: 's3:GetObject', Resource: REPORT_OBJECTS },
      { Sid: 'WriteMapResults', Effect: 'Allow', Action: ['s3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], Resource: REPORT_OBJECTS },
      REPORTS_UNDER_THE_REPORTS_KEY,
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
        // Log delivery for Step Functions has no resource-level scope: IAM accepts only Resource '*'.
        Resource: '*',
      },
    ],
    { trustCondition: SAME_ACCOUNT },
  ),
  ScheduleRole: role(
    'nightly schedule of ${AWS::StackName}: starts the organization audit',
    'events.amazonaws.com',
    [{ Sid: 'StartAuditRun', Effect: 'Allow', Action: 'states:StartExecution', Resource: ref('AuditStateMachine') }],
    {
      trustCondition: {
        ...SAME_ACCOUNT,
        ArnEquals: { 'aws:SourceArn': sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${SCHEDULE_RULE_NAME}`) },
      },
    },
  ),
  // The audit's optional fixes, bucket policy guardrails, object sample and Security Hub CSPM import
  // in this account, as in the member template: this account is audited with this role's own
  // credentials (so the guardrails' aws:ResourceAccount is this, the central, account).
  AuditFixesPolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'AuditFixesAllowed',
    Properties: { RoleName: ref('AuditMemberRole'), PolicyName: 'audit-encryption-fixes', PolicyDocument: { Version: '2012-10-17', Statement: cloneJson(AUDIT_FIX_STATEMENTS) } },
  },
  AuditGuardrailsPolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'AuditGuardrailsAllowed',
    Properties: {
      RoleName: ref('AuditMemberRole'),
      PolicyName: 'audit-encryption-guardrails',
      PolicyDocument: { Version: '2012-10-17', Statement: cloneJson(AUDIT_GUARDRAIL_STATEMENTS) },
    },
  },
  AuditObjectSamplePolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'AuditObjectSampleAllowed',
    Properties: {
      RoleName: ref('AuditMemberRole'),
      PolicyName: 'audit-encryption-object-sample',
      PolicyDocument: { Version: '2012-10-17', Statement: cloneJson(AUDIT_OBJECT_SAMPLE_STATEMENTS) },
    },
  },
  AuditSecurityHubPolicy: {
    Type: 'AWS::IAM::RolePolicy',
    Condition: 'SecurityHubImportAllowed',
    Properties: {
      RoleName: ref('AuditMemberRole'),
      PolicyName: 'audit-encryption-security-hub',
      PolicyDocument: { Version: '2012-10-17', Statement: cloneJson(SECURITY_HUB_IMPORT_STATEMENTS) },
    },
  },
});

/** The same configuration for the three functions (the contract of the organization audit). */
export const CENTRAL_ENVIRONMENT = {
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
};

/** @param {string} version */
const functions = (version) =>
  Object.fromEntries(
    CENTRAL_FUNCTIONS.flatMap((name) => {
      const settings = CENTRAL_FUNCTION_SETTINGS[name];
      return [
        [
          settings.logGroup,
          {
            Type: 'AWS::Logs::LogGroup',
            Properties: { LogGroupName: functionLogGroupName(name), RetentionInDays: ref('LogRetentionInDays'), KmsKeyId: getAtt('ReportsKey') },
          },
        ],
        [
          settings.id,
          {
            Type: 'AWS::Lambda::Function',
            Properties: {
              FunctionName: functionName(name),
              Description: settings.description,
              Code: functionCode(version, name),
              Handler: HANDLER,
              Runtime: RUNTIME,
              Architectures: [...ARCHITECTURES],
              MemorySize: settings.memorySize,
              Timeout: settings.timeout,
              EphemeralStorage: { Size: settings.ephemeralStorageMb },
              Role: getAtt(settings.role),
              LoggingConfig: { LogGroup: ref(settings.logGroup) },
              Environment: { Variables: cloneJson(CENTRAL_ENVIRONMENT) },
            },
          },
        ],
      ];
    }),
  );

const stateMachine = () => ({
  StateMachineLogGroup: {
    Type: 'AWS::Logs::LogGroup',
    Properties: { LogGroupName: STATE_MACHINE_LOG_GROUP_NAME, RetentionInDays: ref('LogRetentionInDays'), KmsKeyId: getAtt('ReportsKey') },
  },
  AuditStateMachine: {
    Type: 'AWS::StepFunctions::StateMachine',
    Properties: {
      StateMachineName: STATE_MACHINE_NAME,
      StateMachineType: 'STANDARD',
      RoleArn: getAtt('StateMachineRole'),
      Definition: auditStateMachineDefinition(),
      DefinitionSubstitutions: {
        ...Object.fromEntries(Object.entries(INTEGRATIONS).map(([placeholder, integration]) => [placeholder, sub(`arn:\${AWS::Partition}:states:::${integration}`)])),
        ListAccountsFunctionArn: getAtt('ListAccountsFunction'),
        AuditMemberFunctionArn: getAtt('AuditMemberFunction'),
        MergeFunctionArn: getAtt('MergeFunction'),
        MaxConcurrencyExpression: sub('{% ${MaxConcurrency} %}'),
      },
      // Every state's events, without the payloads (account names, run references).
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt('StateMachineLogGroup') } }] },
    },
  },
  AuditScheduleRule: {
    Type: 'AWS::Events::Rule',
    Properties: {
      Name: SCHEDULE_RULE_NAME,
      Description: 'Nightly S3 and KMS encryption audit of the organization',
      ScheduleExpression: ref('Schedule'),
      State: 'ENABLED',
      Targets: [{ Id: 'organization-audit', Arn: ref('AuditStateMachine'), RoleArn: getAtt('ScheduleRole') }],
    },
  },
});

/**
 * @param {{ version: string }} release
 * @returns {Template}
 */
export const centralTemplate = ({ version }) => {
  const definitionPlaceholders = [...JSON.stringify(auditStateMachineDefinition()).matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((match) => match[1]);
  const missing = definitionPlaceholders.filter((name) => !(/** @type {readonly (string | undefined)[]} */ (DEFINITION_PLACEHOLDERS)).includes(name));
  if (missing.length > 0) throw new Error(`the state machine definition uses undeclared placeholders: ${missing.join(', ')}`);

  /** @type {Template} */
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `S3 encryption enforcer ${version}, organization audit: audits the buckets and keys of every account of the organization nightly, and receives every member's alerts and alarms.`,
    Parameters: parameters(),
    Conditions: {
      HasFindingsEmail: { 'Fn::Not': [{ 'Fn::Equals': [ref('FindingsEmail'), ''] }] },
      AuditFixesAllowed: { 'Fn::Equals': [ref('AllowAuditFixes'), 'true'] },
      AuditGuardrailsAllowed: { 'Fn::Equals': [ref('AllowAuditGuardrails'), 'true'] },
      AuditObjectSampleAllowed: { 'Fn::Equals': [ref('AllowAuditObjectSample'), 'true'] },
      SecurityHubImportAllowed: { 'Fn::Equals': [ref('AllowSecurityHubImport'), 'true'] },
    },
    Resources: /** @type {Record<string, Resource>} */ ({ ...keys(), ...findings(), ...reportsBucket(), ...roles(), ...functions(version), ...stateMachine() }),
    Outputs: {
      StateMachineArn: { Description: 'The organization audit (start an execution to run it now)', Value: ref('AuditStateMachine') },
      FindingsTopicArn: { Description: "Subscribe on-call here; the members' FindingsTopicArn", Value: ref('FindingsTopic') },
      FindingsTopicKeyArn: { Description: "The members' FindingsTopicKeyArn", Value: getAtt('FindingsTopicKey') },
      AuditorRoleArn: { Description: "The members' AuditorRoleArn: the only principal their audit role trusts", Value: getAtt('AuditMemberRole') },
      AlarmEventBusArn: { Description: "The members' AlarmEventBusArn", Value: getAtt('AlarmEventBus') },
      ReportsBucketName: { Description: 'The organization report, each account\'s report and the runs\' files', Value: ref('ReportsBucket') },
      ReportsKeyArn: { Description: 'Readers of the reports need kms:Decrypt on this key', Value: getAtt('ReportsKey') },
      OrganizationId: { Description: "The members' OrganizationId", Value: ref('OrganizationId') },
      MemberRoleName: { Description: "The members' AuditRoleName", Value: ref('MemberRoleName') },
      MemberParameterName: { Description: "The members' MemberParameterName", Value: ref('MemberParameterName') },
    },
  };
  assertReferencesResolve(template, 'the central template');
  return template;
};
