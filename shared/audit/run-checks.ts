import { lookupId, type AuditFacts, type FactError, type KeyFacts, type KeyLookup } from './audit-facts.js';
import { auditedBuckets, type AuditContext, type AuditedBucket } from './audit-context.js';
import { CHECKS, type CheckId } from './checks-catalogue.js';
import { checkBucketKey } from './checks/bucket-key.js';
import type { BucketCheckInput } from './checks/bucket-check-input.js';
import { checkDefaultEncryption } from './checks/default-encryption.js';
import { checkKeyRoleSeparation } from './checks/key-role-separation.js';
import { checkKeyRotation } from './checks/key-rotation.js';
import { checkKeyState, checkMissingKey, checkRequiredKeyInBucketRegion, keyLookupError } from './checks/key-state.js';
import { errorFinding } from './checks/make-finding.js';
import { checkObjectSample } from './checks/object-sample.js';
import { checkPolicyDeniesWrongKey } from './checks/policy-denies-wrong-key.js';
import { checkRealtimeCoverage } from './checks/realtime-coverage.js';
import { checkSseCBlocked } from './checks/sse-c-blocked.js';
import { checkTlsOnlyPolicy } from './checks/tls-only-policy.js';
import { compareFindings, type Finding } from './finding.js';
import { parseKmsArn, qualifiedKeyArn, regionOfReference } from './key-arn.js';

interface BucketCheck {
  readonly id: CheckId;
  readonly run: (input: BucketCheckInput) => Finding | undefined;
  /**
   * What a bucket whose region could not be read gets from this check: an error finding, or
   * nothing where the check only speaks of buckets that have something to judge (a bucket key
   * without SSE-KMS) or does not run (the object sample when it is off).
   */
  readonly whenUnreachable: (context: AuditContext) => boolean;
}

const always = (): boolean => true;

/** Every bucket check, in report order: the one list both reachable and unreachable buckets go by. */
const BUCKET_CHECKS: readonly BucketCheck[] = [
  { id: 's3-default-encryption-kms', run: checkDefaultEncryption, whenUnreachable: always },
  { id: 's3-bucket-key-enabled', run: checkBucketKey, whenUnreachable: () => false },
  { id: 's3-sse-c-blocked', run: checkSseCBlocked, whenUnreachable: always },
  { id: 's3-tls-only-policy', run: checkTlsOnlyPolicy, whenUnreachable: always },
  { id: 's3-policy-denies-wrong-key', run: checkPolicyDeniesWrongKey, whenUnreachable: always },
  { id: 's3-realtime-coverage', run: checkRealtimeCoverage, whenUnreachable: always },
  { id: 's3-object-sample', run: checkObjectSample, whenUnreachable: (context) => context.settings.objectSampleSize > 0 },
];

/** A bucket whose region could not be read gets an error finding from every bucket check that would judge it. */
const unreachableBucketFindings = (arn: string, error: FactError, context: AuditContext): Finding[] =>
  BUCKET_CHECKS.filter((check) => check.whenUnreachable(context)).map((check) => errorFinding(CHECKS[check.id], { resource: arn, region: context.homeRegion, error }));

/** Every bucket check of each audited bucket, in check order. */
export const checkBuckets = (buckets: readonly AuditedBucket[], keys: ReadonlyMap<string, KeyLookup>, context: AuditContext): Finding[] =>
  buckets.flatMap((audited) => {
    if (!('requiredKey' in audited)) return unreachableBucketFindings(audited.facts.arn, audited.facts.error, context);
    const { facts: bucket, requirement, requiredKey } = audited;
    const input: BucketCheckInput = { bucket, requirement, requiredKey, keys, context };
    const findings = BUCKET_CHECKS.flatMap((check) => check.run(input) ?? []);
    const home = keys.get(lookupId(regionOfReference(requirement.reference, context.homeRegion), requirement.reference));
    if (home?.kind === 'found' && parseKmsArn(home.key.arn)?.region !== bucket.region) {
      findings.push(checkRequiredKeyInBucketRegion(bucket, requiredKey));
    }
    return findings;
  });

export const bucketFindings = (facts: AuditFacts, context: AuditContext): Finding[] => checkBuckets(auditedBuckets(facts, context), facts.keys, context);

interface KeyGroup {
  readonly region: string;
  readonly namedBy: Set<string>;
  readonly key?: KeyFacts;
  readonly error?: FactError;
}

/** One set of key findings per key, however many buckets and references name it. */
export const keyFindings = (facts: AuditFacts, context: AuditContext): Finding[] => {
  const groups = new Map<string, KeyGroup>();
  for (const reference of facts.keyReferences) {
    const lookup = facts.keys.get(lookupId(reference.region, reference.reference));
    if (!lookup) continue;
    const resource = lookup.kind === 'found' ? lookup.key.arn : qualifiedKeyArn(reference.reference, reference.region, context.accountId);
    const group = groups.get(resource) ?? {
      region: lookup.kind === 'found' ? lookup.key.region : reference.region,
      namedBy: new Set<string>(),
      ...(lookup.kind === 'found' ? { key: lookup.key } : {}),
      ...(lookup.kind === 'error' ? { error: lookup.error } : {}),
    };
    reference.namedBy.forEach((name) => group.namedBy.add(name));
    groups.set(resource, group);
  }
  return [...groups.entries()].flatMap(([resource, group]) => {
    const namedBy = [...group.namedBy].sort();
    if (group.error) return [keyLookupError(resource, group.region, namedBy, group.error)];
    if (!group.key) return [checkMissingKey(resource, group.region, namedBy)];
    return [
      checkKeyState(group.key, namedBy),
      checkKeyRotation(group.key, context.settings.maxRotationPeriodDays, namedBy),
      checkKeyRoleSeparation(group.key, namedBy),
    ].filter((finding): finding is Finding => finding !== undefined);
  });
};

/** Pure: every check over every gathered fact, in report order. */
export const runChecks = (facts: AuditFacts, context: AuditContext): Finding[] =>
  [...bucketFindings(facts, context), ...keyFindings(facts, context)].sort(compareFindings);
