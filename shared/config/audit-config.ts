import { ConfigurationError } from '../errors.js';
import type { EnforcementPolicy } from '../core/object-requirement.js';
import { readAwsSettings, readFindingsTopic, readRequiredKey, type AwsSettings, type TopicUse } from './enforcer-config.js';
import { parseAuditSettings, parsePolicy, toEnforcementPolicy, type AuditSettings } from './parse-policy.js';

/**
 * Where the real-time enforcer listens: a bucket notifying one of these is covered. One account's
 * enforcer can listen in several regions (S3 notifies only targets in the bucket's own region).
 */
export interface EnforcerTargets {
  readonly queueArns: readonly string[];
  readonly functionArns: readonly string[];
  readonly topicArns: readonly string[];
}

export const NO_ENFORCER: EnforcerTargets = Object.freeze({ queueArns: [], functionArns: [], topicArns: [] });

export interface AuditConfig {
  readonly findingsTopicArn: string;
  readonly policy: EnforcementPolicy;
  readonly audit: AuditSettings;
  readonly aws: AwsSettings;
  /** Where the JSON and Markdown reports go, and where the previous run's report is read from. */
  readonly reportsBucket?: string | undefined;
  readonly reportsPrefix: string;
  readonly enforcer: EnforcerTargets;
  /** Buckets (and keys) inspected at once. */
  readonly concurrency: number;
}

/** The audit's configuration without the findings topic: for an on-demand audit that publishes nothing. */
export type AuditRunSettings = Omit<AuditConfig, 'findingsTopicArn'>;

type Environment = Readonly<Record<string, string | undefined>>;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ARN = {
  ENFORCER_QUEUE_ARN: /^arn:aws[a-z-]*:sqs:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/,
  ENFORCER_FUNCTION_ARN: /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/,
  ENFORCER_TOPIC_ARN: /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
} as const;

const readOptionalArn = (env: Environment, name: keyof typeof ARN, problems: string[]): string | undefined => {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!ARN[name].test(value)) problems.push(`${name} "${value}" is not a valid ARN of that kind`);
  return value;
};

const readConcurrency = (env: Environment, problems: string[]): number => {
  const raw = env['AUDIT_CONCURRENCY'];
  if (raw === undefined || raw === '') return 8;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    problems.push(`AUDIT_CONCURRENCY must be a whole number from 1 to 64, not "${raw}"`);
    return 8;
  }
  return value;
};

const readReportsPrefix = (env: Environment, problems: string[]): string => {
  const raw = env['REPORTS_PREFIX'];
  if (raw === undefined || raw === '') return 'encryption-audit/';
  if (raw.startsWith('/') || raw.length > 200) problems.push(`REPORTS_PREFIX must be a relative key prefix of at most 200 characters, not "${raw}"`);
  return raw.endsWith('/') ? raw : `${raw}/`;
};

/**
 * The audit's configuration, read and validated once at cold start; throws ConfigurationError
 * listing every problem. Shares REQUIRED_KMS_KEY, FINDINGS_TOPIC_ARN, POLICY and the AWS settings
 * with the enforce function.
 */
export function loadAuditConfig(env?: Environment): AuditConfig;
export function loadAuditConfig(env: Environment, use: TopicUse): AuditRunSettings;
export function loadAuditConfig(env: Environment = process.env, use?: TopicUse): AuditConfig | AuditRunSettings {
  const problems: string[] = [];
  const requiredKey = readRequiredKey(env, problems);
  const findingsTopicArn = use ? undefined : readFindingsTopic(env, problems);
  const aws = readAwsSettings(env, problems);
  const { policy, problems: policyProblems } = parsePolicy(env['POLICY']);
  problems.push(...policyProblems);
  const { audit } = parseAuditSettings(env['POLICY']);

  const reportsBucket = env['REPORTS_BUCKET']?.trim() || undefined;
  if (reportsBucket !== undefined && !BUCKET_NAME.test(reportsBucket)) {
    problems.push(`REPORTS_BUCKET "${reportsBucket}" is not a bucket name`);
  }
  const listed = (name: keyof typeof ARN): string[] => {
    const arn = readOptionalArn(env, name, problems);
    return arn === undefined ? [] : [arn];
  };
  const enforcer: EnforcerTargets = {
    queueArns: listed('ENFORCER_QUEUE_ARN'),
    functionArns: listed('ENFORCER_FUNCTION_ARN'),
    topicArns: listed('ENFORCER_TOPIC_ARN'),
  };
  const reportsPrefix = readReportsPrefix(env, problems);
  const concurrency = readConcurrency(env, problems);

  if (problems.length > 0) throw new ConfigurationError(problems);
  const settings: AuditRunSettings = {
    policy: Object.freeze(toEnforcementPolicy(requiredKey, policy)),
    audit,
    aws: Object.freeze(aws),
    reportsBucket,
    reportsPrefix,
    enforcer: Object.freeze(enforcer),
    concurrency,
  };
  return Object.freeze(findingsTopicArn === undefined ? settings : { ...settings, findingsTopicArn });
}
