import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditStateMachineDefinition } from '../../../../infra/organization/audit-state-machine.mjs';
import { PROJECT_ROOT, type PolicyStatement, type Template } from './packaged-template.js';

/**
 * Organization mode's templates are generated here by the same functions `npm run package` calls
 * (infra/organization/), not read from dist/: the tests need no prior packaging of them. The member
 * template is derived from the template osls packages with watchedBuckets=* (packageService).
 */
export const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export const sub = (text: string) => ({ 'Fn::Sub': text });
export const ref = (name: string) => ({ Ref: name });
export const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
export const ACCOUNT_ROOT = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root');
export const VIA_S3 = { StringEquals: { 'kms:ViaService': sub('s3.${AWS::Region}.amazonaws.com') } };
export const VIA_SNS = { StringEquals: { 'kms:ViaService': sub('sns.${AWS::Region}.amazonaws.com') } };
export const ORGANIZATION_ONLY = { StringEquals: { 'aws:PrincipalOrgID': ref('OrganizationId') } };

/** The generators answer plain objects; the tests read them through the deploy tests' Template type. */
export const asTemplate = (template: unknown): Template => template as Template;

/** Calls IAM cannot scope to a resource: the only ones allowed Resource '*' in a role policy. */
export const NO_RESOURCE_SCOPE = new Set([
  's3:ListAllMyBuckets',
  'kms:ListKeys',
  'kms:ListAliases',
  'organizations:ListAccounts',
  'organizations:DescribeOrganization',
  'organizations:ListRoots',
  'organizations:ListPolicies',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** Today's audit reads of an account (infra/resources/iam.yml), plus the member parameter. */
export const ACCOUNT_AUDIT_READS: PolicyStatement[] = [
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
  {
    Sid: 'ReadKeyConfiguration',
    Effect: 'Allow',
    Action: ['kms:DescribeKey', 'kms:GetKeyRotationStatus', 'kms:GetKeyPolicy'],
    Resource: sub('arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*'),
  },
  { Sid: 'ReadMemberParameter', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: sub('arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter${MemberParameterName}') },
];

export const AUDIT_FIX_STATEMENTS: PolicyStatement[] = [
  { Sid: 'SetBucketDefaultEncryption', Effect: 'Allow', Action: 's3:PutEncryptionConfiguration', Resource: sub('arn:${AWS::Partition}:s3:::*') },
  { Sid: 'TurnOnKeyRotation', Effect: 'Allow', Action: 'kms:EnableKeyRotation', Resource: sub('arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*') },
];

/** Bucket policy guardrails: PutBucketPolicy, and only on the buckets of the stack's own account. */
export const AUDIT_GUARDRAIL_STATEMENTS: PolicyStatement[] = [
  {
    Sid: 'AddBucketPolicyGuardrails',
    Effect: 'Allow',
    Action: 's3:PutBucketPolicy',
    Resource: sub('arn:${AWS::Partition}:s3:::*'),
    Condition: { StringEquals: { 'aws:ResourceAccount': ref('AWS::AccountId') } },
  },
];

export const AUDIT_OBJECT_SAMPLE_STATEMENTS: PolicyStatement[] = [
  { Sid: 'HeadObjectsInEveryBucket', Effect: 'Allow', Action: 's3:GetObject', Resource: sub('arn:${AWS::Partition}:s3:::*/*') },
];

/** The account's own default product, in any region: the resource BatchImportFindings is authorized on. */
export const SECURITY_HUB_IMPORT_STATEMENTS: PolicyStatement[] = [
  {
    Sid: 'ImportFindingsIntoSecurityHub',
    Effect: 'Allow',
    Action: 'securityhub:BatchImportFindings',
    Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default'),
  },
];

/** Whether a string matches a CloudFormation parameter's AllowedPattern (anchored, as CloudFormation does). */
export const allowedBy = (parameter: Readonly<Record<string, unknown>> | undefined, value: string): boolean =>
  new RegExp(`^(?:${String(parameter?.['AllowedPattern'])})$`).test(value);

/** The `${…}` placeholders a state machine definition uses. */
export const placeholdersOf = (definition: unknown): string[] =>
  [...new Set([...JSON.stringify(definition).matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] ?? ''))].sort();

/**
 * The definition as Step Functions receives it: every `${name}` replaced, as CloudFormation does
 * (textually, in the JSON text).
 */
export const substitutedDefinition = (values: Readonly<Record<string, string>>, definition: unknown = auditStateMachineDefinition()): Record<string, unknown> => {
  let text = JSON.stringify(definition);
  for (const [name, value] of Object.entries(values)) text = text.split(`\${${name}}`).join(value);
  return JSON.parse(text) as Record<string, unknown>;
};

/** Sample substitution values, in the aws partition. */
export const SAMPLE_SUBSTITUTIONS = {
  LambdaInvoke: 'arn:aws:states:::lambda:invoke',
  S3GetObject: 'arn:aws:states:::s3:getObject',
  S3PutObject: 'arn:aws:states:::s3:putObject',
  ListAccountsFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:s3-encryption-enforcer-list-organization-accounts',
  AuditMemberFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:s3-encryption-enforcer-audit-member-account',
  MergeFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:s3-encryption-enforcer-merge-organization-audit',
  MaxConcurrencyExpression: '{% 40 %}',
} as const;
