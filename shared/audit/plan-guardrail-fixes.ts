import { partitionOf } from '../core/key-reference.js';
import { SSE_ALGORITHM } from '../core/encryption-state.js';
import type { EnforcementPolicy } from '../core/object-requirement.js';
import { tlsOnlyDenyStatement, wrongKeyDenyStatements, type GuardrailStatement } from '../prevention/guardrail-statements.js';
import { mergeGuardrails } from '../prevention/merge-policy.js';
import { refusedSafeRequest } from '../prevention/upload-safety.js';
import type { EncryptionRuleFacts } from './audit-facts.js';
import type { AuditedBucket } from './audit-context.js';
import { boundedText } from './checks/make-finding.js';
import type { Finding } from './finding.js';

/** The guardrail fixes, on one bucket: bucket-policy Denies, and SSE-C blocked in its encryption configuration. */
export type GuardrailFixPlan =
  | {
      readonly kind: 'put-bucket-policy';
      /** The wrong-key and TLS-only findings this policy resolves: one write for both, never two racing. */
      readonly findingIds: readonly string[];
      readonly bucket: string;
      readonly region: string;
      /** The exact policy written: the bucket's own statements as they were, then the guardrails added. */
      readonly policy: string;
      readonly added: readonly string[];
      /** The policy before, bounded as observed values are. */
      readonly before: string;
    }
  | {
      readonly kind: 'block-sse-c';
      readonly findingIds: readonly string[];
      readonly bucket: string;
      readonly region: string;
      /** The bucket's rules as they were, each with SSE-C added to BlockedEncryptionTypes. */
      readonly rules: readonly EncryptionRuleFacts[];
      readonly before: string;
    }
  | {
      /** A fix that would be unsafe or cannot be written: nothing is sent, and the finding says why. */
      readonly kind: 'refused';
      readonly action: 'PutBucketPolicy';
      readonly findingIds: readonly string[];
      readonly bucket: string;
      readonly region: string;
      readonly reason: string;
      readonly before: string;
    };

export interface GuardrailFixSettings {
  readonly wrongKey: boolean;
  readonly tlsOnly: boolean;
  /** REPORTS_BUCKET, whose policy its stack manages: never written by a fix. */
  readonly reportsBucket?: string | undefined;
}

const SSE_C = 'SSE-C';

const findingIds = (...findings: (Finding | undefined)[]): string[] => findings.flatMap((finding) => (finding ? [finding.id] : []));

const failedFinding = (findings: readonly Finding[], check: string, resource: string): Finding | undefined =>
  findings.find((finding) => finding.check === check && finding.resource === resource && finding.status === 'failed');

/** POLICY rules for part of the bucket: a bucket-wide key Deny would refuse their uploads. */
const prefixRulesOf = (policy: EnforcementPolicy, bucket: string): string[] => [
  ...policy.exemptions.filter((rule) => rule.bucket === bucket && rule.prefix !== '').map((rule) => `exemption of ${rule.prefix}`),
  ...policy.overrides.filter((rule) => rule.bucket === bucket && rule.prefix !== '').map((rule) => `override of ${rule.prefix}`),
];

/**
 * The bucket-policy fix for one bucket. The wrong-key Denies (with the bucket's required key ARN in
 * its region, DSSE-KMS as POLICY accepts it) and the TLS-only Deny go into ONE merged policy, never
 * two writes that would race. Refused, with the reason, when the merge refuses (someone's statement
 * under a guardrail's Sid, a lockout, over 20 KB, a policy S3 would not take) or an added statement
 * would refuse an upload without encryption headers or the enforcer's own copy. The wrong-key part
 * alone is refused when the required key cannot be named in the bucket's region, or when POLICY has
 * rules for prefixes of the bucket (the Deny is bucket-wide); the TLS part still goes ahead.
 */
export const planBucketPolicyFix = (findings: readonly Finding[], audited: AuditedBucket, policy: EnforcementPolicy, settings: GuardrailFixSettings): GuardrailFixPlan[] => {
  if (!('requiredKey' in audited)) return [];
  const { facts: bucket, requirement, requiredKey } = audited;
  const wrongKey = settings.wrongKey ? failedFinding(findings, 's3-policy-denies-wrong-key', bucket.arn) : undefined;
  const tlsOnly = settings.tlsOnly ? failedFinding(findings, 's3-tls-only-policy', bucket.arn) : undefined;
  if ((!wrongKey && !tlsOnly) || !bucket.policy.ok) return [];

  const target = { bucket: bucket.name, partition: partitionOf(bucket.region) };
  const before = bucket.policy.value === undefined ? 'no bucket policy' : boundedText(bucket.policy.value);
  const refused = (ids: readonly string[], reason: string): GuardrailFixPlan => ({ kind: 'refused', action: 'PutBucketPolicy', findingIds: ids, bucket: bucket.name, region: bucket.region, reason, before });

  if (bucket.name === settings.reportsBucket) {
    return [refused(findingIds(wrongKey, tlsOnly), "this is the audit's reports bucket (REPORTS_BUCKET): its policy belongs to the stack that made it, which already denies plain HTTP and other keys")];
  }
  const plans: GuardrailFixPlan[] = [];
  const statements: GuardrailStatement[] = [];
  const fixing: string[] = [];
  let requiredKeyArn: string | undefined;
  if (wrongKey) {
    const prefixRules = prefixRulesOf(policy, bucket.name);
    if (requiredKey.kind !== 'usable') {
      plans.push(refused([wrongKey.id], `the required key cannot be named in ${bucket.region}: ${requiredKey.kind === 'unusable' ? requiredKey.reason : requiredKey.error.message}`));
    } else if (prefixRules.length > 0) {
      plans.push(refused([wrongKey.id], `POLICY has rules for part of the bucket (${prefixRules.join(', ')}): a bucket-wide Deny of other keys would refuse their uploads`));
    } else {
      requiredKeyArn = requiredKey.arn;
      statements.push(...wrongKeyDenyStatements({ ...target, requiredKeyArn, acceptDsseKms: requirement.acceptDsseKms }));
      fixing.push(wrongKey.id);
    }
  }
  if (tlsOnly) {
    statements.push(tlsOnlyDenyStatement(target));
    fixing.push(tlsOnly.id);
  }
  if (statements.length === 0) return plans;

  const unsafe = refusedSafeRequest(statements, target, requiredKeyArn);
  const merged = unsafe ? ({ kind: 'refused', reason: unsafe } as const) : mergeGuardrails(bucket.policy.value, statements, target);
  if (merged.kind === 'refused') return [...plans, refused(fixing, merged.reason)];
  if (merged.kind === 'unchanged') return plans;
  return [...plans, { kind: 'put-bucket-policy', findingIds: fixing, bucket: bucket.name, region: bucket.region, policy: merged.policy, added: merged.added, before }];
};

const withSseCBlocked = (rule: EncryptionRuleFacts): EncryptionRuleFacts =>
  rule.blockedEncryptionTypes.some((type) => type.toUpperCase() === SSE_C) ? rule : { ...rule, blockedEncryptionTypes: [...rule.blockedEncryptionTypes, SSE_C] };

/**
 * SSE-C blocked on a bucket whose default encryption is not being replaced: its rules as they were,
 * each with SSE-C added to BlockedEncryptionTypes. A bucket with no configuration (never on S3
 * since 2023) gets S3's own default, SSE-S3, with SSE-C blocked.
 */
export const planSseCBlock = (findings: readonly Finding[], audited: AuditedBucket): GuardrailFixPlan | undefined => {
  const { facts: bucket } = audited;
  if (bucket.kind !== 'inspected' || !bucket.encryption.ok) return undefined;
  const finding = failedFinding(findings, 's3-sse-c-blocked', bucket.arn);
  if (!finding) return undefined;
  const encryption = bucket.encryption.value;
  const rules: readonly EncryptionRuleFacts[] =
    encryption.kind === 'configured' && encryption.rules.length > 0
      ? encryption.rules
      : [{ algorithm: SSE_ALGORITHM.s3, kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: [] }];
  return { kind: 'block-sse-c', findingIds: [finding.id], bucket: bucket.name, region: bucket.region, rules: rules.map(withSseCBlocked), before: finding.observed };
};

/** The SSE-C finding a default-encryption fix on the same bucket resolves too, by blocking SSE-C in the rule it writes. */
export const sseCFindingFor = (findings: readonly Finding[], bucketArn: string): Finding | undefined => failedFinding(findings, 's3-sse-c-blocked', bucketArn);
