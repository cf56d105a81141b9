import { ConfigurationError } from '../errors.js';
import type { EnforcementMode } from '../core/decide-object-action.js';
import { COPY_OBJECT_LIMIT_BYTES } from '../core/decide-object-action.js';
import type { EnforcementPolicy } from '../core/object-requirement.js';
import { parsePolicy, toEnforcementPolicy, validateKeyReference } from './parse-policy.js';

/** Where the AWS clients point. Endpoints come from the SDK's own AWS_ENDPOINT_URL[_<SERVICE>]. */
export interface AwsSettings {
  readonly region: string;
  /** Path-style S3 addressing, for S3-compatible local endpoints. */
  readonly forcePathStyle: boolean;
  /** The S3 endpoint override (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL), when there is one. */
  readonly s3Endpoint?: string | undefined;
}

/**
 * UpdateObjectEncryption is only sent to Amazon S3 itself. S3-compatible stores that do not know the
 * operation have been seen to take its request for a PutObject and overwrite the object with it.
 */
export const isAmazonS3Endpoint = (endpoint: string | undefined): boolean => {
  if (!endpoint) return true;
  try {
    return /(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);
  } catch {
    return false;
  }
};

export interface EnforcerConfig {
  readonly mode: EnforcementMode;
  readonly findingsTopicArn: string;
  readonly policy: EnforcementPolicy;
  readonly aws: AwsSettings;
  /** Objects handled at once in one invocation. */
  readonly objectConcurrency: number;
  /** Objects above this size are copied in parts (UploadPartCopy). */
  readonly copyLimitBytes: number;
  readonly multipartPartBytes: number;
  /** Parts copied at once, per object. */
  readonly multipartConcurrency: number;
  /** Whether UpdateObjectEncryption may be used at all (the endpoint is Amazon S3). */
  readonly updateObjectEncryptionAvailable: boolean;
}

/** The configuration without the alert topic: for callers that publish nothing (the CLI's object commands). */
export type EnforcerSettings = Omit<EnforcerConfig, 'findingsTopicArn'>;

/**
 * Whether the caller publishes to FINDINGS_TOPIC_ARN. The functions always do, so for them the topic
 * is required; a caller that publishes nothing neither needs the variable nor fails on it.
 */
export interface TopicUse {
  readonly publishes: false;
}

type Environment = Readonly<Record<string, string | undefined>>;

const MIB = 1024 ** 2;

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export const readAwsSettings = (env: Environment, problems: string[]): AwsSettings => {
  const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION'];
  if (!region) problems.push('AWS_REGION is not set: set it to the region of the watched buckets (Lambda sets it for you)');
  const pathStyle = env['S3_FORCE_PATH_STYLE'];
  if (pathStyle !== undefined && pathStyle !== '' && pathStyle !== 'true' && pathStyle !== 'false') {
    problems.push(`S3_FORCE_PATH_STYLE must be "true" or "false", not "${pathStyle}"`);
  }
  const s3Endpoint = env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
  return { region: region ?? '', forcePathStyle: pathStyle === 'true', ...(s3Endpoint ? { s3Endpoint } : {}) };
};

export const readRequiredKey = (env: Environment, problems: string[]): string => {
  const requiredKey = env['REQUIRED_KMS_KEY']?.trim();
  if (!requiredKey) {
    problems.push('REQUIRED_KMS_KEY is not set: give the KMS key (ARN, key id, alias/name or alias ARN) objects must be encrypted with');
    return '';
  }
  const problem = validateKeyReference(requiredKey, 'REQUIRED_KMS_KEY');
  if (problem) problems.push(problem);
  return requiredKey;
};

export const readFindingsTopic = (env: Environment, problems: string[]): string => {
  const topic = env['FINDINGS_TOPIC_ARN']?.trim();
  if (!topic) problems.push('FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings');
  else if (!SNS_TOPIC_ARN.test(topic)) problems.push(`FINDINGS_TOPIC_ARN "${topic}" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  return topic ?? '';
};

const readPositiveInteger = (env: Environment, name: string, fallback: number, max: number, problems: string[]): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    problems.push(`${name} must be a whole number from 1 to ${max}, not "${raw}"`);
    return fallback;
  }
  return value;
};

/** Reads and validates everything once; throws ConfigurationError listing every problem. */
export function loadEnforcerConfig(env?: Environment): EnforcerConfig;
export function loadEnforcerConfig(env: Environment, use: TopicUse): EnforcerSettings;
export function loadEnforcerConfig(env: Environment = process.env, use?: TopicUse): EnforcerConfig | EnforcerSettings {
  const problems: string[] = [];
  const requiredKey = readRequiredKey(env, problems);
  const findingsTopicArn = use ? undefined : readFindingsTopic(env, problems);
  const aws = readAwsSettings(env, problems);

  const modeText = env['ENFORCEMENT_MODE']?.trim() || 'enforce';
  if (modeText !== 'enforce' && modeText !== 'report') {
    problems.push(`ENFORCEMENT_MODE must be "enforce" or "report", not "${modeText}"`);
  }
  const { policy, problems: policyProblems } = parsePolicy(env['POLICY']);
  problems.push(...policyProblems);

  const objectConcurrency = readPositiveInteger(env, 'OBJECT_CONCURRENCY', 8, 64, problems);
  const copyLimitBytes = readPositiveInteger(env, 'COPY_LIMIT_BYTES', COPY_OBJECT_LIMIT_BYTES, COPY_OBJECT_LIMIT_BYTES, problems);
  const multipartPartBytes = readPositiveInteger(env, 'MULTIPART_PART_BYTES', 512 * MIB, COPY_OBJECT_LIMIT_BYTES, problems);
  if (multipartPartBytes < 5 * MIB) problems.push(`MULTIPART_PART_BYTES must be at least ${5 * MIB} (5 MiB), the smallest part S3 accepts`);
  const multipartConcurrency = readPositiveInteger(env, 'MULTIPART_CONCURRENCY', 8, 32, problems);

  if (problems.length > 0) throw new ConfigurationError(problems);
  const settings: EnforcerSettings = {
    mode: modeText as EnforcementMode,
    policy: Object.freeze(toEnforcementPolicy(requiredKey, policy)),
    aws: Object.freeze(aws),
    objectConcurrency,
    copyLimitBytes,
    multipartPartBytes,
    multipartConcurrency,
    updateObjectEncryptionAvailable: isAmazonS3Endpoint(aws.s3Endpoint),
  };
  return Object.freeze(findingsTopicArn === undefined ? settings : { ...settings, findingsTopicArn });
}
