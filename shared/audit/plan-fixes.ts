import { SSE_ALGORITHM } from '../core/encryption-state.js';
import type { AuditFacts, KeyFacts, KeyLookup } from './audit-facts.js';
import { auditedBuckets, type AuditContext, type AuditedBucket } from './audit-context.js';
import { whyCannotRotate } from './key-rotation-eligibility.js';
import type { Finding, FixRecord } from './finding.js';

export interface DefaultEncryptionRule {
  readonly algorithm: typeof SSE_ALGORITHM.kms | typeof SSE_ALGORITHM.dsseKms;
  readonly keyArn: string;
  readonly bucketKeyEnabled: boolean;
  /** Kept from the rules being replaced: a fix never unblocks SSE-C. */
  readonly blockedEncryptionTypes: readonly string[];
}

export type FixPlan =
  | {
      readonly kind: 'put-bucket-encryption';
      /** The findings this fix resolves: the default itself, and the bucket key when it turns it on. */
      readonly findingIds: readonly string[];
      readonly bucket: string;
      readonly region: string;
      readonly rule: DefaultEncryptionRule;
      readonly before: string;
    }
  | {
      readonly kind: 'enable-key-rotation';
      readonly findingIds: readonly string[];
      readonly keyArn: string;
      readonly region: string;
      readonly periodDays: number;
      readonly before: string;
    };

export type FixResult = { readonly plan: FixPlan; readonly outcome: 'applied' } | { readonly plan: FixPlan; readonly outcome: 'failed'; readonly error: string };

const findingFor = (findings: readonly Finding[], check: string, resource: string): Finding | undefined =>
  findings.find((finding) => finding.check === check && finding.resource === resource && finding.status === 'failed');

/** The key's facts, whichever reference (ARN, alias, key id) it was found by. */
const keyByArn = (keys: ReadonlyMap<string, KeyLookup>, arn: string): KeyFacts | undefined => {
  for (const lookup of keys.values()) if (lookup.kind === 'found' && lookup.key.arn === arn) return lookup.key;
  return undefined;
};

/**
 * Pure: the fixes POLICY.audit.fixes allows, for failed findings only, and only where the fix is
 * sure to help (the required key is usable and Enabled in the bucket's region; the key can rotate
 * and is the primary).
 */
export const planFixes = (findings: readonly Finding[], facts: AuditFacts, context: AuditContext): FixPlan[] =>
  planFixesFor(findings, auditedBuckets(facts, context), facts.keys, context);

/** As planFixes, for buckets whose requirement and regional key are already worked out. */
export const planFixesFor = (
  findings: readonly Finding[],
  buckets: readonly AuditedBucket[],
  keys: ReadonlyMap<string, KeyLookup>,
  context: AuditContext,
): FixPlan[] => {
  const plans: FixPlan[] = [];
  if (context.settings.fixes['s3-default-encryption-kms']) {
    for (const audited of buckets) {
      if (!('requiredKey' in audited)) continue;
      const { facts: bucket, requirement, requiredKey } = audited;
      const finding = findingFor(findings, 's3-default-encryption-kms', bucket.arn);
      if (!bucket.encryption.ok || !finding || requiredKey.kind !== 'usable' || requiredKey.key.state !== 'Enabled') continue;
      const rules = bucket.encryption.value.kind === 'configured' ? bucket.encryption.value.rules : [];
      // Never lower protection: a DSSE-KMS default stays DSSE-KMS (which has no bucket keys).
      const dsse = rules.some((rule) => rule.algorithm === SSE_ALGORITHM.dsseKms) && requirement.acceptDsseKms;
      const bucketKeyEnabled = !dsse && requirement.bucketKey;
      const bucketKeyFinding = bucketKeyEnabled ? findingFor(findings, 's3-bucket-key-enabled', bucket.arn) : undefined;
      plans.push({
        kind: 'put-bucket-encryption',
        findingIds: [finding.id, ...(bucketKeyFinding ? [bucketKeyFinding.id] : [])],
        bucket: bucket.name,
        region: bucket.region,
        rule: {
          algorithm: dsse ? SSE_ALGORITHM.dsseKms : SSE_ALGORITHM.kms,
          keyArn: requiredKey.arn,
          bucketKeyEnabled,
          blockedEncryptionTypes: [...new Set(rules.flatMap((rule) => rule.blockedEncryptionTypes))],
        },
        before: finding.observed,
      });
    }
  }
  if (context.settings.fixes['kms-key-rotation']) {
    for (const finding of findings) {
      if (finding.check !== 'kms-key-rotation' || finding.status !== 'failed') continue;
      const key = keyByArn(keys, finding.resource);
      if (!key || key.manager !== 'CUSTOMER' || key.state !== 'Enabled' || key.multiRegionType === 'REPLICA' || whyCannotRotate(key)) continue;
      plans.push({
        kind: 'enable-key-rotation',
        findingIds: [finding.id],
        keyArn: key.arn,
        region: key.region,
        periodDays: context.settings.maxRotationPeriodDays,
        before: finding.observed,
      });
    }
  }
  return plans;
};

const describeAfter = (plan: FixPlan): string =>
  plan.kind === 'put-bucket-encryption'
    ? `${plan.rule.algorithm === SSE_ALGORITHM.kms ? 'SSE-KMS' : 'DSSE-KMS'} with ${plan.rule.keyArn}, bucket key ${plan.rule.bucketKeyEnabled ? 'on' : 'off'}${
        plan.rule.blockedEncryptionTypes.length > 0 ? `, blocking ${plan.rule.blockedEncryptionTypes.join(', ')}` : ''
      }`
    : `automatic rotation on, every ${plan.periodDays} days`;

export const fixRecordOf = (result: FixResult): FixRecord => ({
  action: result.plan.kind === 'put-bucket-encryption' ? 'PutBucketEncryption' : 'EnableKeyRotation',
  before: result.plan.before,
  after: describeAfter(result.plan),
  outcome: result.outcome,
  ...(result.outcome === 'failed' ? { error: result.error } : {}),
});

/** Findings after the fixes: `fixed` with the record where a fix applied; a failed fix stays failed, with its record. */
export const withFixResults = (findings: readonly Finding[], results: readonly FixResult[]): Finding[] => {
  const byFinding = new Map<string, FixResult>();
  for (const result of results) for (const id of result.plan.findingIds) byFinding.set(id, result);
  return findings.map((finding) => {
    const result = byFinding.get(finding.id);
    if (!result) return finding;
    return { ...finding, status: result.outcome === 'applied' ? 'fixed' : finding.status, fix: fixRecordOf(result) };
  });
};
