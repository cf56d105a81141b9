'use strict';
/* global module */
// Package-time settings for serverless.yml, read as ${file(./infra/deployment-settings.cjs):<name>}.
//
// osls calls each exported function while it resolves the configuration. Every value here comes
// from a stage parameter (`params:` in serverless.yml, or `--param name=value` on the command
// line, which always arrives as a string), is validated once, and fails packaging with a message
// that says what to fix. Values that CloudFormation can decide at deploy time (which key, fixes on
// or off, the schedule, ...) are CloudFormation Parameters instead: see infra/resources/parameters.yml.
//
// Bucket lists live here because IAM resources need one ARN per bucket, and CloudFormation cannot
// map over a list while deriving the partition (Fn::Join's delimiter cannot hold ${AWS::Partition}).

/** General purpose bucket names, as POLICY validates them (shared/config/parse-policy.ts). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** IAM roles and users, paths included (IAM Identity Center roles live under /aws-reserved/...). */
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const EVERY_BUCKET = '*';

/** How osls answers `${param:name, null}`: a string, a list or a number as configured, or null. @typedef {(expression: string) => Promise<unknown>} ResolveVariable */
/** What osls passes each exported function. @typedef {{ resolveVariable: ResolveVariable }} ResolverContext */

class DeploymentSettingError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'DeploymentSettingError';
    // osls prints the stack of a failed resolver; for a setting to fix, the message is the story.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * `"a" is not a bucket name` or `"a", "b" are not bucket names`.
 * @param {string[]} invalid
 * @param {{ singular: string, plural: string }} what
 */
const notA = (invalid, what) =>
  invalid.length === 1 ? `"${invalid[0]}" is not ${what.singular}` : `${invalid.map((item) => `"${item}"`).join(', ')} are not ${what.plural}`;

/**
 * @param {ResolveVariable} resolveVariable
 * @param {string} name
 */
const readParam = async (resolveVariable, name) => {
  // The null fallback turns "no such parameter" into a value we can explain.
  const value = await resolveVariable(`param:${name}, null`);
  return value === null || value === undefined ? undefined : value;
};

/**
 * @param {ResolveVariable} resolveVariable
 * @param {string} name
 * @param {string} hint
 */
const requiredParam = async (resolveVariable, name, hint) => {
  const value = await readParam(resolveVariable, name);
  if (value === undefined || String(value).trim() === '') {
    throw new DeploymentSettingError(`the stage parameter "${name}" is required: ${hint} (set it under params.<stage> in serverless.yml or pass --param="${name}=...")`);
  }
  return String(value).trim();
};

/**
 * @param {ResolveVariable} resolveVariable
 * @param {string} name
 * @param {{ min: number, max: number }} range
 * @returns {Promise<number>}
 */
const integerParam = async (resolveVariable, name, { min, max }) => {
  const raw = await readParam(resolveVariable, name);
  if (raw === undefined) throw new DeploymentSettingError(`the stage parameter "${name}" has no value and no default in serverless.yml`);
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DeploymentSettingError(`the stage parameter "${name}" must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
};

/**
 * @param {ResolveVariable} resolveVariable
 * @param {string} name
 * @returns {Promise<string[]>}
 */
const listParam = async (resolveVariable, name) => {
  const raw = await readParam(resolveVariable, name);
  if (raw === undefined) return [];
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return [...new Set(items.map((item) => item.trim()).filter((item) => item !== ''))];
};

/**
 * `*` means every bucket in this account and region that has EventBridge notifications on;
 * otherwise a comma-separated list of bucket names.
 * @param {ResolveVariable} resolveVariable
 */
const watchedBuckets = async (resolveVariable) => {
  const text = await requiredParam(resolveVariable, 'watchedBuckets', 'give "*" (every bucket with EventBridge notifications on) or a comma-separated list of bucket names');
  if (text === EVERY_BUCKET) return { every: true, names: [] };
  const names = await listParam(resolveVariable, 'watchedBuckets');
  const invalid = names.filter((name) => !BUCKET_NAME.test(name));
  if (invalid.length > 0) {
    throw new DeploymentSettingError(`watchedBuckets: ${notA(invalid, { singular: 'a bucket name', plural: 'bucket names' })} (use "*" alone for every bucket)`);
  }
  return { every: false, names };
};

/** @param {string} name */
const bucketArn = (name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}` });
/** @param {string} name */
const objectArn = (name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}/*` });

/** @param {ResolverContext} context */
const enforceTimeout = ({ resolveVariable }) => integerParam(resolveVariable, 'enforceTimeout', { min: 10, max: 900 });
/** @param {ResolverContext} context */
const maximumBatchingWindow = ({ resolveVariable }) => integerParam(resolveVariable, 'maximumBatchingWindow', { min: 0, max: 300 });

module.exports = {
  /**
   * The EventBridge pattern: Object Created events from S3, of the named buckets (of any bucket for "*").
   * @param {ResolverContext} context
   */
  objectCreatedPattern: async ({ resolveVariable }) => {
    const buckets = await watchedBuckets(resolveVariable);
    return {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      ...(buckets.every ? {} : { detail: { bucket: { name: buckets.names } } }),
    };
  },

  /**
   * Bucket ARNs: bucket-level calls of the enforce role, and the S3 notifications the queue accepts.
   * @param {ResolverContext} context
   */
  watchedBucketArns: async ({ resolveVariable }) => {
    const buckets = await watchedBuckets(resolveVariable);
    return buckets.every ? [bucketArn('*')] : buckets.names.map(bucketArn);
  },

  /**
   * Object ARNs in the watched buckets, for reading, copying and re-encrypting objects.
   * @param {ResolverContext} context
   */
  watchedObjectArns: async ({ resolveVariable }) => {
    const buckets = await watchedBuckets(resolveVariable);
    return buckets.every ? [objectArn('*')] : buckets.names.map(objectArn);
  },

  /**
   * The keys the enforce role may use: the required key (created by the stack, or ExistingKmsKeyArn:
   * a CloudFormation condition decides), then the keys that POLICY overrides name per bucket or
   * prefix (overrideKmsKeyArns, as key ARNs).
   * @param {ResolverContext} context
   */
  requiredKeyArns: async ({ resolveVariable }) => {
    const overrides = await listParam(resolveVariable, 'overrideKmsKeyArns');
    const invalid = overrides.filter((arn) => !KMS_KEY_ARN.test(arn));
    if (invalid.length > 0) {
      throw new DeploymentSettingError(`overrideKmsKeyArns: ${notA(invalid, { singular: 'a KMS key ARN', plural: 'KMS key ARNs' })} (arn:aws:kms:<region>:<account>:key/<id>; IAM needs the key, not an alias or a key id)`);
    }
    return [{ 'Fn::If': ['CreateEnforcementKey', { 'Fn::GetAtt': ['EnforcementKey', 'Arn'] }, { Ref: 'ExistingKmsKeyArn' }] }, ...overrides];
  },

  /**
   * Who administers the keys the stack creates, as a comma-separated list for the
   * KeyAdministratorArns CloudFormation parameter. Required: a key policy with no administrator
   * cannot be created (KMS's lockout check), and the deploying principal must be one of them.
   * @param {ResolverContext} context
   */
  keyAdministratorArns: async ({ resolveVariable }) => {
    await requiredParam(resolveVariable, 'keyAdministratorArns', 'give the IAM role or user ARNs that administer the KMS keys, including the principal that deploys');
    const arns = await listParam(resolveVariable, 'keyAdministratorArns');
    const invalid = arns.filter((arn) => !IAM_PRINCIPAL_ARN.test(arn));
    if (invalid.length > 0) {
      // Not the account root either: it would let every IAM policy in the account administer the
      // key, which is the separation the key policy exists to keep.
      throw new DeploymentSettingError(`keyAdministratorArns: ${notA(invalid, { singular: 'an IAM role or user ARN', plural: 'IAM role or user ARNs' })} (arn:aws:iam::<account>:role/<name>; not the account root)`);
    }
    return arns.join(',');
  },

  enforceTimeout,
  /** @param {ResolverContext} context */
  enforceMemorySize: ({ resolveVariable }) => integerParam(resolveVariable, 'enforceMemorySize', { min: 128, max: 10240 }),
  /** @param {ResolverContext} context */
  auditTimeout: ({ resolveVariable }) => integerParam(resolveVariable, 'auditTimeout', { min: 60, max: 900 }),
  /** @param {ResolverContext} context */
  auditMemorySize: ({ resolveVariable }) => integerParam(resolveVariable, 'auditMemorySize', { min: 128, max: 10240 }),

  /** @param {ResolverContext} context */
  batchSize: async ({ resolveVariable }) => {
    const size = await integerParam(resolveVariable, 'batchSize', { min: 1, max: 10000 });
    // Lambda refuses an SQS batch larger than 10 without a batching window.
    if (size > 10 && (await maximumBatchingWindow({ resolveVariable })) < 1) {
      throw new DeploymentSettingError(`batchSize ${size} is larger than 10: set maximumBatchingWindow to at least 1 second`);
    }
    return size;
  },
  maximumBatchingWindow,
  /** @param {ResolverContext} context */
  maximumConcurrency: ({ resolveVariable }) => integerParam(resolveVariable, 'maximumConcurrency', { min: 2, max: 1000 }),
  /** @param {ResolverContext} context */
  maxReceiveCount: ({ resolveVariable }) => integerParam(resolveVariable, 'maxReceiveCount', { min: 1, max: 1000 }),

  /**
   * At least six times the function timeout (AWS's guidance for SQS event sources, so a batch
   * that Lambda retries after throttling is not delivered twice at once), plus the batching window.
   * @param {ResolverContext} context
   */
  queueVisibilityTimeout: async (context) => 6 * (await enforceTimeout(context)) + (await maximumBatchingWindow(context)),

  /** @param {ResolverContext} context */
  logRetentionInDays: async ({ resolveVariable }) => {
    const days = await integerParam(resolveVariable, 'logRetentionInDays', { min: 1, max: 3653 });
    if (!LOG_RETENTION_DAYS.includes(days)) {
      throw new DeploymentSettingError(`logRetentionInDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, not ${days}`);
    }
    return days;
  },
};
