import { SSE_ALGORITHM } from '../core/encryption-state.js';
import type { AuditFacts, KeyFacts, KeyLookup } from './audit-facts.js';
import { auditedBuckets, type AuditContext, type AuditedBucket } from './audit-context.js';
import { whyCannotRotate } from './key-rotation-eligibility.js';
import type { Finding, FixRecord } from './finding.js';
import { planBucketPolicyFix, planSseCBlock, sseCFindingFor, type GuardrailFixPlan } from './plan-guardrail-fixes.js';

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
    }
  | GuardrailFixPlan;

/**
 * applied: written; planned: what a run that applies fixes would write (the CLI without
 * --apply-fixes); failed: the write failed; refused: judged unsafe or impossible, nothing sent.
 */
export type FixResult =
  | { readonly plan: FixPlan; readonly outcome: 'applied' | 'planned' }
  | { readonly plan: FixPlan; readonly outcome: 'failed' | 'refused'; readonly error: string };

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

type DefaultEncryptionPlan = Extract<FixPlan, { kind: 'put-bucket-encryption' }>;

/** The default-encryption fix for one bucket, where it is sure to help (the required key is usable and Enabled in the bucket's region). */
const defaultEncryptionPlan = (findings: readonly Finding[], audited: AuditedBucket): DefaultEncryptionPlan | undefined => {
  if (!('requiredKey' in audited)) return undefined;
  const { facts: bucket, requirement, requiredKey } = audited;
  const finding = findingFor(findings, 's3-default-encryption-kms', bucket.arn);
  if (!bucket.encryption.ok || !finding || requiredKey.kind !== 'usable' || requiredKey.key.state !== 'Enabled') return undefined;
  const rules = bucket.encryption.value.kind === 'configured' ? bucket.encryption.value.rules : [];
  // Never lower protection: a DSSE-KMS default stays DSSE-KMS (which has no bucket keys).
  const dsse = rules.some((rule) => rule.algorithm === SSE_ALGORITHM.dsseKms) && requirement.acceptDsseKms;
  const bucketKeyEnabled = !dsse && requirement.bucketKey;
  const bucketKeyFinding = bucketKeyEnabled ? findingFor(findings, 's3-bucket-key-enabled', bucket.arn) : undefined;
  return {
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
  };
};

/** As planFixes, for buckets whose requirement and regional key are already worked out. */
export const planFixesFor = (
  findings: readonly Finding[],
  buckets: readonly AuditedBucket[],
  keys: ReadonlyMap<string, KeyLookup>,
  context: AuditContext,
): FixPlan[] => {
  const plans: FixPlan[] = [];
  const { fixes } = context.settings;
  for (const audited of buckets) {
    const encryption = fixes['s3-default-encryption-kms'] ? defaultEncryptionPlan(findings, audited) : undefined;
    if (encryption) {
      // One PutBucketEncryption per bucket: the SSE-C block goes into the rule the default fix writes.
      const sseC = fixes['s3-sse-c-blocked'] ? sseCFindingFor(findings, audited.facts.arn) : undefined;
      const blocked = sseC ? [...new Set([...encryption.rule.blockedEncryptionTypes, 'SSE-C'])] : encryption.rule.blockedEncryptionTypes;
      plans.push(sseC ? { ...encryption, findingIds: [...encryption.findingIds, sseC.id], rule: { ...encryption.rule, blockedEncryptionTypes: blocked } } : encryption);
    } else if (fixes['s3-sse-c-blocked']) {
      const sseC = planSseCBlock(findings, audited);
      if (sseC) plans.push(sseC);
    }
    plans.push(...planBucketPolicyFix(findings, audited, context.policy, { wrongKey: fixes['s3-policy-denies-wrong-key'], tlsOnly: fixes['s3-tls-only-policy'], reportsBucket: context.reportsBucket }));
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

const FIX_ACTIONS = {
  'put-bucket-encryption': 'PutBucketEncryption',
  'block-sse-c': 'PutBucketEncryption',
  'enable-key-rotation': 'EnableKeyRotation',
  'put-bucket-policy': 'PutBucketPolicy',
} as const satisfies Record<Exclude<FixPlan['kind'], 'refused'>, FixRecord['action']>;

const describeAfter = (plan: FixPlan): string => {
  switch (plan.kind) {
    case 'put-bucket-encryption':
      return `${plan.rule.algorithm === SSE_ALGORITHM.kms ? 'SSE-KMS' : 'DSSE-KMS'} with ${plan.rule.keyArn}, bucket key ${plan.rule.bucketKeyEnabled ? 'on' : 'off'}${
        plan.rule.blockedEncryptionTypes.length > 0 ? `, blocking ${plan.rule.blockedEncryptionTypes.join(', ')}` : ''
      }`;
    case 'block-sse-c':
      return `SSE-C blocked (BlockedEncryptionTypes), the ${plan.rules.length === 1 ? 'rule' : `${plan.rules.length} rules`} otherwise as they were`;
    case 'enable-key-rotation':
      return `automatic rotation on, every ${plan.periodDays} days`;
    case 'put-bucket-policy':
      return `the bucket policy with ${plan.added.join(', ')} added, every existing statement kept (${new TextEncoder().encode(plan.policy).length} bytes)`;
    case 'refused':
      return 'nothing written';
  }
};

/** What one fix changed, or would change, or why it was not made: for the report, the logs and the CLI. */
export const fixRecordOf = (result: FixResult): FixRecord => ({
  action: result.plan.kind === 'refused' ? result.plan.action : FIX_ACTIONS[result.plan.kind],
  before: result.plan.before,
  after: describeAfter(result.plan),
  outcome: result.outcome,
  ...(result.outcome === 'failed' || result.outcome === 'refused' ? { error: result.error } : {}),
});

/** The resource a fix is for: a bucket name or a key ARN. */
export const fixTarget = (plan: FixPlan): string => (plan.kind === 'enable-key-rotation' ? plan.keyArn : plan.bucket);

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
