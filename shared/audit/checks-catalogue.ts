import type { ResourceType, Severity } from './finding.js';

/** What one check is: its id, the severity of a failure, and the public controls it corresponds to. */
export interface CheckDefinition {
  readonly id: string;
  readonly title: string;
  /** The severity of a failure; some checks raise it for worse cases (a key pending deletion). */
  readonly severity: Severity;
  readonly resourceType: ResourceType;
  readonly controls: readonly string[];
  readonly remediation: string;
}

const define = <const T extends Record<string, Omit<CheckDefinition, 'id'>>>(checks: T): { readonly [K in keyof T]: CheckDefinition & { id: K } } =>
  Object.freeze(Object.fromEntries(Object.entries(checks).map(([id, check]) => [id, Object.freeze({ id, ...check })]))) as never;

export const CHECKS = define({
  's3-default-encryption-kms': {
    title: 'Bucket default encryption is SSE-KMS with the required key',
    severity: 'high',
    resourceType: 'AwsS3Bucket',
    controls: ['AWS Config s3-default-encryption-kms', 'Security Hub S3.17', 'CIS AWS Foundations 1.4.0 2.1.1', 'PCI DSS v3.2.1 3.4', 'PCI DSS v4.0 3.5.1'],
    remediation:
      'PutBucketEncryption with one rule: SSEAlgorithm aws:kms, KMSMasterKeyID the required key ARN, BucketKeyEnabled true (or turn on POLICY.audit.fixes["s3-default-encryption-kms"]).',
  },
  's3-bucket-key-enabled': {
    title: 'S3 Bucket Key is on for the SSE-KMS default',
    severity: 'low',
    resourceType: 'AwsS3Bucket',
    controls: [],
    remediation: 'PutBucketEncryption with the same rule and BucketKeyEnabled true: it cuts KMS requests (and their cost and throttling) by up to 99%.',
  },
  's3-sse-c-blocked': {
    title: 'Bucket blocks uploads with customer-provided keys (SSE-C)',
    severity: 'medium',
    resourceType: 'AwsS3Bucket',
    controls: [],
    remediation:
      'PutBucketEncryption with BlockedEncryptionTypes { EncryptionType: ["SSE-C"] } on the rule: SSE-C objects can be read or re-encrypted only by whoever holds the customer key.',
  },
  's3-tls-only-policy': {
    title: 'Bucket policy denies requests that do not use TLS',
    severity: 'medium',
    resourceType: 'AwsS3Bucket',
    controls: ['AWS Config s3-bucket-ssl-requests-only', 'Security Hub S3.5', 'CIS AWS Foundations 1.4.0 2.1.2', 'CIS AWS Foundations 3.0.0 2.1.1', 'PCI DSS v3.2.1 4.1'],
    remediation:
      'Add to the bucket policy: {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}.',
  },
  's3-policy-denies-wrong-key': {
    title: 'Bucket policy denies PutObject under any key but the required one',
    severity: 'medium',
    resourceType: 'AwsS3Bucket',
    controls: [],
    remediation:
      'Add the Deny statements EnforcerDenyNonKmsEncryption, EnforcerDenyAwsManagedKey and EnforcerDenyOtherKmsKeys (docs/AUDIT.md; the fix s3-policy-denies-wrong-key writes them). Uploads without encryption headers still get the bucket default. An upload that sends encryption headers must name aws:kms and the full key ARN in x-amz-server-side-encryption-aws-kms-key-id: an alias, alias ARN or bare key id is refused, as are AES256 and aws:kms without a key id.',
  },
  's3-realtime-coverage': {
    title: "Bucket's object-created notifications reach the enforcer",
    severity: 'high',
    resourceType: 'AwsS3Bucket',
    controls: ['Security Hub S3.11'],
    remediation:
      'Turn on EventBridge notifications for the bucket (PutBucketNotificationConfiguration with EventBridgeConfiguration {}), or notify the enforcer queue or function of s3:ObjectCreated:* without a filter.',
  },
  'kms-key-state': {
    title: 'KMS key exists, is enabled and is usable in the bucket region',
    severity: 'high',
    resourceType: 'AwsKmsKey',
    controls: ['Security Hub KMS.3', 'AWS Config kms-cmk-not-scheduled-for-deletion'],
    remediation:
      'CancelKeyDeletion then EnableKey for a key pending deletion; EnableKey for a disabled key; a bucket needs a key in its own region (a multi-Region replica of the required key).',
  },
  'kms-key-rotation': {
    title: 'Automatic rotation is on, with a period within the policy maximum',
    severity: 'medium',
    resourceType: 'AwsKmsKey',
    controls: ['AWS Config cmk-backing-key-rotation-enabled', 'Security Hub KMS.4', 'CIS AWS Foundations 1.4.0 3.8', 'CIS AWS Foundations 3.0.0 3.6', 'PCI DSS v3.2.1 3.6.4'],
    remediation: 'EnableKeyRotation with RotationPeriodInDays no longer than the maximum (or turn on POLICY.audit.fixes["kms-key-rotation"]).',
  },
  'kms-key-role-separation': {
    title: 'No principal both administers the key and decrypts with it',
    severity: 'medium',
    resourceType: 'AwsKmsKey',
    controls: ['AWS KMS best practices: separation of duties', 'PCI DSS v3.2.1 3.5.2', 'PCI DSS v4.0 3.6.1'],
    remediation:
      'Split the key policy: key administrators get kms:Put*, kms:ScheduleKeyDeletion, kms:Disable* and the like; key users get kms:Decrypt, kms:GenerateDataKey*; no principal gets both.',
  },
  'org-account-audited': {
    title: 'Account of the organization is audited',
    severity: 'high',
    resourceType: 'AwsAccount',
    controls: [],
    remediation:
      'Deploy the member template in the account (the StackSet covers new accounts of its OUs; the management account takes it as a plain stack) so the audit role exists and trusts the organization audit’s role, then check the reason given.',
  },
  'org-rcp-coverage': {
    title: 'Resource Control Policies above the account deny plain HTTP, non-KMS uploads, the aws/s3 key and SSE-C',
    severity: 'medium',
    resourceType: 'AwsAccount',
    controls: [],
    remediation:
      'Print the organization’s RCP with enforcer prevention rcp [--required-key ARN] > rcp.json, create it with aws organizations create-policy --type RESOURCE_CONTROL_POLICY --name s3-encryption-guardrails --description "S3 encryption guardrails" --content file://rcp.json, and attach it at the root or an OU above the account with aws organizations attach-policy --policy-id p-… --target-id r-…|ou-…|ACCOUNT.',
  },
  'securityhub-import': {
    title: 'Findings are imported into Security Hub CSPM',
    severity: 'medium',
    resourceType: 'AwsAccount',
    controls: [],
    remediation:
      'Enable Security Hub CSPM in the account and region (or from the organization’s delegated administrator), and let the audit role call securityhub:BatchImportFindings; or turn the import off with POLICY.audit.securityHub false.',
  },
  's3-object-sample': {
    title: 'Most recent objects are under the required key',
    severity: 'high',
    resourceType: 'AwsS3Bucket',
    controls: ['PCI DSS v3.2.1 3.4', 'PCI DSS v4.0 3.5.1'],
    remediation:
      'Check that the enforcer receives this bucket’s events (s3-realtime-coverage) and re-encrypt the listed objects (an S3 Batch Operations job invoking the enforcer, or UpdateObjectEncryption).',
  },
});

export type CheckId = keyof typeof CHECKS;

export const CHECK_IDS = Object.keys(CHECKS) as CheckId[];
