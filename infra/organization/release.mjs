// What the two organization templates and the artifact upload agree on: the service's name, the
// functions each template runs, where a release's zips live, and the parameters both templates
// take with the same meaning (a StackSet's members are configured from the central stack's values).
import { readFileSync } from 'node:fs';

export const SERVICE = 's3-encryption-enforcer';

/** Lambda settings every organization function shares with today's stack. */
export const RUNTIME = 'nodejs22.x';
export const ARCHITECTURES = ['arm64'];
export const HANDLER = 'index.handler';

/** The function each member account runs in every region (today's enforce path). */
export const MEMBER_FUNCTIONS = /** @type {const} */ (['enforce-object-encryption']);
/** The organization audit's functions, in the delegated administrator account. */
export const CENTRAL_FUNCTIONS = /** @type {const} */ (['list-organization-accounts', 'audit-member-account', 'merge-organization-audit']);
export const ORGANIZATION_FUNCTIONS = [...MEMBER_FUNCTIONS, ...CENTRAL_FUNCTIONS];

/**
 * A deep copy of template content (plain JSON: a template is JSON).
 * @template T
 * @param {T} value
 * @returns {T}
 */
export const cloneJson = (value) => JSON.parse(JSON.stringify(value));

/** The project's version (package.json): a release's zips live under it. */
export const projectVersion = () => {
  const manifest = /** @type {{ version?: unknown }} */ (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')));
  if (typeof manifest.version !== 'string' || manifest.version === '') throw new Error('package.json has no version');
  return manifest.version;
};

/**
 * The key of a function's zip in every artifacts bucket. Versioned: CloudFormation updates a
 * function's code only when its S3 key changes, so each release needs a version of its own.
 * @param {string} version
 * @param {string} functionName
 */
export const artifactKey = (version, functionName) => `${SERVICE}/${version}/${functionName}.zip`;

/**
 * Lambda reads code only from a bucket in the function's own region, and a StackSet spans regions:
 * one bucket per region, named <ArtifactsBucketPrefix>-<region>.
 * @param {string} version
 * @param {string} functionName
 */
export const functionCode = (version, functionName) => ({
  S3Bucket: { 'Fn::Sub': '${ArtifactsBucketPrefix}-${AWS::Region}' },
  S3Key: artifactKey(version, functionName),
});

/** Where each account's SSM parameter is written (member) and read (central), unless changed. */
export const DEFAULT_MEMBER_PARAMETER_NAME = `/${SERVICE}/member`;
/** The read-only role the central audit assumes in each member account, unless changed. */
export const DEFAULT_MEMBER_ROLE_NAME = `${SERVICE}-audit`;
/** The alias of the key each member creates: the central RequiredKmsKey default resolves it per account and region. */
export const MEMBER_KEY_ALIAS = `alias/${SERVICE}-enforcement`;

const ROLE_NAME_PATTERN = '^[\\w+=,.@-]{1,64}$';

/** Parameters both templates declare, so that one value means the same thing on both sides. */
export const SHARED_PARAMETERS = {
  OrganizationId: {
    Type: 'String',
    AllowedPattern: '^o-[a-z0-9]{10,32}$',
    ConstraintDescription: 'an organization id, o- followed by 10 to 32 lowercase letters or digits',
    Description: 'The organization (aws organizations describe-organization). Cross-account access is granted to its principals only.',
  },
  ArtifactsBucketPrefix: {
    Type: 'String',
    AllowedPattern: '^[a-z0-9][a-z0-9-]{1,45}[a-z0-9]$',
    ConstraintDescription: 'lowercase letters, digits and hyphens, 3 to 47 characters: <prefix>-<region> must be a bucket name',
    Description: `Function code is read from the bucket <prefix>-<region> of each region, under ${SERVICE}/<version>/ (scripts/upload-artifacts.mjs).`,
  },
  MemberParameterName: {
    Type: 'String',
    Default: DEFAULT_MEMBER_PARAMETER_NAME,
    AllowedPattern: '^(/[A-Za-z0-9_.-]+)+$',
    ConstraintDescription: 'an SSM parameter name with a leading slash, such as /s3-encryption-enforcer/member',
    Description: "The SSM parameter each member region writes (its key, queue and function ARNs) and the central audit reads.",
  },
  AllowAuditFixes: {
    Type: 'String',
    Default: 'false',
    AllowedValues: ['false', 'true'],
    Description: 'Grant the audit the fix permissions (s3:PutEncryptionConfiguration, kms:EnableKeyRotation); POLICY.audit.fixes still chooses which fixes run.',
  },
  AllowAuditGuardrails: {
    Type: 'String',
    Default: 'false',
    AllowedValues: ['false', 'true'],
    Description: "Grant the audit s3:PutBucketPolicy on the account's own buckets, to add Deny statements to bucket policies; POLICY.audit.fixes still chooses which fixes run.",
  },
  AllowAuditObjectSample: {
    Type: 'String',
    Default: 'false',
    AllowedValues: ['false', 'true'],
    Description: 'Grant the audit s3:GetObject (HeadObject) on every bucket, for POLICY.audit.objectSampleSize.',
  },
  AllowSecurityHubImport: {
    Type: 'String',
    Default: 'false',
    AllowedValues: ['false', 'true'],
    Description: "Grant the audit securityhub:BatchImportFindings to each account's own default Security Hub CSPM product, to import that account's findings there; POLICY.audit.securityHub must also be true.",
  },
  KeyRotationPeriodInDays: {
    Type: 'Number',
    Default: 365,
    MinValue: 90,
    MaxValue: 2560,
    Description: 'Automatic rotation period of the keys this stack creates.',
  },
};

export const ROLE_NAME = { AllowedPattern: ROLE_NAME_PATTERN, ConstraintDescription: 'an IAM role name (letters, digits and +=,.@_-, at most 64 characters)' };

/** Partition-neutral ARN building blocks. */
export const ACCOUNT_ROOT = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' };
/** @param {string} service */
export const viaService = (service) => ({ StringEquals: { 'kms:ViaService': { 'Fn::Sub': `${service}.\${AWS::Region}.amazonaws.com` } } });

/**
 * The reads of an account that the audit needs, exactly as today's audit role has them
 * (infra/resources/iam.yml): bucket and key configuration, never object data, never a write.
 */
export const ACCOUNT_AUDIT_READS = [
  {
    Sid: 'ListBucketsKeysAndAliases',
    Effect: 'Allow',
    Action: ['s3:ListAllMyBuckets', 'kms:ListKeys', 'kms:ListAliases'],
    // These three calls have no resource-level scope: IAM accepts only Resource '*' for them.
    Resource: '*',
  },
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
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' },
  },
  {
    Sid: 'ReadKeyConfiguration',
    Effect: 'Allow',
    Action: ['kms:DescribeKey', 'kms:GetKeyRotationStatus', 'kms:GetKeyPolicy'],
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*' },
  },
  {
    Sid: 'ReadMemberParameter',
    Effect: 'Allow',
    Action: 'ssm:GetParameter',
    // The parameter of every region of this account: one per region the member template runs in.
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter${MemberParameterName}' },
  },
];

/** Today's AuditFixesPolicy. */
export const AUDIT_FIX_STATEMENTS = [
  { Sid: 'SetBucketDefaultEncryption', Effect: 'Allow', Action: 's3:PutEncryptionConfiguration', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' } },
  { Sid: 'TurnOnKeyRotation', Effect: 'Allow', Action: 'kms:EnableKeyRotation', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*' } },
];

/**
 * Today's AuditGuardrailsPolicy: the bucket policy fixes add Deny statements with PutBucketPolicy,
 * on the buckets of the account the stack is in only (aws:ResourceAccount is that account's id:
 * the member account in the member template, the central account in the central template).
 */
export const AUDIT_GUARDRAIL_STATEMENTS = [
  {
    Sid: 'AddBucketPolicyGuardrails',
    Effect: 'Allow',
    Action: 's3:PutBucketPolicy',
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' },
    Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
  },
];

/** Today's AuditObjectSamplePolicy. HeadObject reads metadata, never the object's data. */
export const AUDIT_OBJECT_SAMPLE_STATEMENTS = [
  { Sid: 'HeadObjectsInEveryBucket', Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*/*' } },
];

/**
 * Today's AuditSecurityHubPolicy. The resource of BatchImportFindings is the product ARN the
 * findings name: the account's own default product, in any region (each finding goes to its
 * region). Security Hub CSPM takes findings of an account only from that account, so the grant
 * belongs to the role that audits it.
 */
export const SECURITY_HUB_IMPORT_STATEMENTS = [
  {
    Sid: 'ImportFindingsIntoSecurityHub',
    Effect: 'Allow',
    Action: 'securityhub:BatchImportFindings',
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default' },
  },
];

/** Today's key administration actions (infra/resources/kms.yml): no kms:CreateGrant, no use. */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
  'kms:DescribeKey',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/** The metadata reads today's key policies delegate to IAM in the key's account. */
export const READ_KEY_METADATA_BY_IAM = {
  Sid: 'ReadKeyMetadataByIamPolicyInThisAccount',
  Effect: 'Allow',
  Principal: { AWS: ACCOUNT_ROOT },
  Action: ['kms:DescribeKey', 'kms:GetKeyRotationStatus', 'kms:GetKeyPolicy'],
  Resource: '*',
};

/**
 * CloudWatch Logs may use a key for the named log groups of this account and region only.
 * @param {string[]} logGroupNames
 */
export const logsUseTheKey = (logGroupNames) => ({
  Sid: 'CloudWatchLogsEncryptTheLogGroups',
  Effect: 'Allow',
  Principal: { Service: { 'Fn::Sub': 'logs.${AWS::Region}.amazonaws.com' } },
  Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
  Resource: '*',
  Condition: {
    ArnEquals: {
      'kms:EncryptionContext:aws:logs:arn': logGroupNames.map((name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${name}` })),
    },
  },
});

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
