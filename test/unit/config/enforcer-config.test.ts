import { describe, expect, it } from 'vitest';
import { loadEnforcerConfig } from '../../../shared/config/enforcer-config.js';
import { ConfigurationError } from '../../../shared/errors.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:encryption-findings';
const base = { REQUIRED_KMS_KEY: KEY_ARN, FINDINGS_TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1' };

const problemsOf = (env: Record<string, string | undefined>): readonly string[] => {
  try {
    loadEnforcerConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('configuration was accepted');
};

describe('loadEnforcerConfig', () => {
  it('defaults: enforce mode, bucket keys on, DSSE-KMS accepted, no rules', () => {
    expect(loadEnforcerConfig(base)).toEqual({
      mode: 'enforce',
      findingsTopicArn: TOPIC,
      policy: { requiredKey: KEY_ARN, strategy: 'auto', priorVersions: 'retain', bucketKey: true, acceptDsseKms: true, exemptions: [], overrides: [] },
      aws: { region: 'us-east-1', forcePathStyle: false },
      objectConcurrency: 8,
      copyLimitBytes: 5 * 1024 ** 3,
      multipartPartBytes: 512 * 1024 ** 2,
      multipartConcurrency: 8,
      updateObjectEncryptionAvailable: true,
    });
  });

  it('is frozen', () => {
    const config = loadEnforcerConfig(base);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.policy)).toBe(true);
  });

  it.each(['1234abcd-12ab-34cd-56ef-1234567890ab', 'mrk-1234abcd12ab34cd56ef1234567890ab', 'alias/enforcer', 'arn:aws:kms:us-east-1:123456789012:alias/enforcer', 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'])(
    'accepts the key reference %s',
    (reference) => {
      expect(loadEnforcerConfig({ ...base, REQUIRED_KMS_KEY: reference }).policy.requiredKey).toBe(reference);
    },
  );

  it('names every problem at once, each saying what to fix', () => {
    expect(problemsOf({ ENFORCEMENT_MODE: 'fix-everything', S3_FORCE_PATH_STYLE: 'yes', OBJECT_CONCURRENCY: '0' })).toEqual([
      'REQUIRED_KMS_KEY is not set: give the KMS key (ARN, key id, alias/name or alias ARN) objects must be encrypted with',
      'FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings',
      'AWS_REGION is not set: set it to the region of the watched buckets (Lambda sets it for you)',
      'S3_FORCE_PATH_STYLE must be "true" or "false", not "yes"',
      'ENFORCEMENT_MODE must be "enforce" or "report", not "fix-everything"',
      'OBJECT_CONCURRENCY must be a whole number from 1 to 64, not "0"',
    ]);
  });

  it.each([
    ['a key ARN with a typo', 'arn:aws:kms:us-east-1:123456789012:key/not-a-key', 'REQUIRED_KMS_KEY: "arn:aws:kms:us-east-1:123456789012:key/not-a-key" is not a KMS key ARN, key id, alias name (alias/…) or alias ARN'],
    ['the AWS-managed aws/s3 key', 'alias/aws/s3', 'REQUIRED_KMS_KEY: "alias/aws/s3" is an AWS-managed key; name a customer-managed key you control'],
    ['an S3 bucket ARN', 'arn:aws:s3:::bucket', 'REQUIRED_KMS_KEY: "arn:aws:s3:::bucket" is not a KMS key ARN, key id, alias name (alias/…) or alias ARN'],
  ])('rejects %s as the required key', (_name, reference, problem) => {
    expect(problemsOf({ ...base, REQUIRED_KMS_KEY: reference })).toEqual([problem]);
  });

  it('rejects a topic that is not an SNS topic ARN', () => {
    expect(problemsOf({ ...base, FINDINGS_TOPIC_ARN: 'findings' })).toEqual([
      'FINDINGS_TOPIC_ARN "findings" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)',
    ]);
  });

  it('a caller that publishes nothing neither needs FINDINGS_TOPIC_ARN nor fails on it, and gets no topic', () => {
    const withoutTopic = { ...base, FINDINGS_TOPIC_ARN: undefined };
    const settings = loadEnforcerConfig(withoutTopic, { publishes: false });
    expect(settings).not.toHaveProperty('findingsTopicArn');
    expect(settings).toEqual(Object.fromEntries(Object.entries(loadEnforcerConfig(base)).filter(([name]) => name !== 'findingsTopicArn')));
    expect(Object.isFrozen(settings)).toBe(true);
    expect(loadEnforcerConfig({ ...base, FINDINGS_TOPIC_ARN: 'findings' }, { publishes: false })).not.toHaveProperty('findingsTopicArn');
    expect(() => loadEnforcerConfig({ ...withoutTopic, REQUIRED_KMS_KEY: 'alias/aws/s3' }, { publishes: false })).toThrow(ConfigurationError);
    expect(problemsOf(withoutTopic)).toEqual(['FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings']);
  });

  it('uses UpdateObjectEncryption only against Amazon S3 itself', () => {
    expect(loadEnforcerConfig(base).updateObjectEncryptionAvailable).toBe(true);
    expect(loadEnforcerConfig({ ...base, AWS_ENDPOINT_URL_S3: 'https://s3.eu-west-1.amazonaws.com' }).updateObjectEncryptionAvailable).toBe(true);
    expect(loadEnforcerConfig({ ...base, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).updateObjectEncryptionAvailable).toBe(false);
    expect(loadEnforcerConfig({ ...base, AWS_ENDPOINT_URL_S3: 'https://minio.internal.example' })).toMatchObject({
      updateObjectEncryptionAvailable: false,
      aws: { s3Endpoint: 'https://minio.internal.example' },
    });
  });

  it('rejects multipart parts smaller than S3 accepts', () => {
    expect(problemsOf({ ...base, MULTIPART_PART_BYTES: '1024' })).toEqual(['MULTIPART_PART_BYTES must be at least 5242880 (5 MiB), the smallest part S3 accepts']);
  });

  it('reads report mode and path-style addressing', () => {
    const config = loadEnforcerConfig({ ...base, ENFORCEMENT_MODE: 'report', S3_FORCE_PATH_STYLE: 'true' });
    expect(config.mode).toBe('report');
    expect(config.aws.forcePathStyle).toBe(true);
  });

  it('reads a full POLICY', () => {
    const policy = {
      bucketKey: false,
      acceptDsseKms: false,
      exemptions: [{ bucket: 'logs-bucket' }, { bucket: 'data-bucket', prefix: 'tmp/' }],
      overrides: [{ bucket: 'finance-bucket', prefix: 'secret/', requiredKey: 'alias/finance', bucketKey: true }],
    };
    expect(loadEnforcerConfig({ ...base, POLICY: JSON.stringify({ ...policy, strategy: 'copy', priorVersions: 'delete' }) }).policy).toEqual({
      requiredKey: KEY_ARN,
      strategy: 'copy',
      priorVersions: 'delete',
      bucketKey: false,
      acceptDsseKms: false,
      exemptions: [
        { bucket: 'logs-bucket', prefix: '' },
        { bucket: 'data-bucket', prefix: 'tmp/' },
      ],
      overrides: [{ bucket: 'finance-bucket', prefix: 'secret/', requiredKey: 'alias/finance', bucketKey: true }],
    });
  });

  it.each([
    ['invalid JSON', '{"bucketKey": tru', /^POLICY is not valid JSON: /],
    ['a list', '[]', /^POLICY must be a JSON object$/],
    ['an unknown field', '{"bucketkey": false}', /^POLICY has an unknown field "bucketkey" \(allowed: /],
    ['a flag that is not a boolean', '{"bucketKey": "no"}', /^POLICY.bucketKey must be true or false$/],
    ['an unknown strategy', '{"strategy": "rewrite"}', /^POLICY.strategy must be one of "auto", "update", "copy"$/],
    ['an unknown prior-version rule', '{"priorVersions": "purge"}', /^POLICY.priorVersions must be one of "retain", "delete"$/],
    ['rules that are not a list', '{"exemptions": {"bucket": "b"}}', /^POLICY.exemptions must be a list$/],
    ['a rule with a bad bucket name', '{"exemptions": [{"bucket": "Not_A_Bucket"}]}', /^POLICY.exemptions\[0\].bucket must be a bucket name$/],
    ['a rule with an unknown field', '{"exemptions": [{"bucket": "logs-bucket", "prefixes": ["a"]}]}', /^POLICY.exemptions\[0\] has an unknown field "prefixes"/],
    ['an override with a bad key', '{"overrides": [{"bucket": "logs-bucket", "requiredKey": "my-key"}]}', /^POLICY.overrides\[0\].requiredKey: "my-key" is not a KMS key ARN/],
    ['an override that overrides nothing', '{"overrides": [{"bucket": "logs-bucket"}]}', /^POLICY.overrides\[0\] overrides nothing: give requiredKey or bucketKey$/],
  ])('rejects a POLICY with %s', (_name, text, problem) => {
    const problems = problemsOf({ ...base, POLICY: text });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('the error message lists the problems for the log', () => {
    expect(() => loadEnforcerConfig({ ...base, ENFORCEMENT_MODE: 'x' })).toThrow(
      'Invalid configuration:\n  - ENFORCEMENT_MODE must be "enforce" or "report", not "x"',
    );
  });
});
