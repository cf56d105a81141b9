import type { EnforcerTargets } from '../config/audit-config.js';
import type { AuditSettings } from '../config/parse-policy.js';
import { requirementFor, type EnforcementPolicy } from '../core/object-requirement.js';
import { lookupId, type AuditFacts, type BucketFacts, type FactError, type KeyFacts, type KeyLookup } from './audit-facts.js';
import { keyArnInRegion, parseKmsArn, regionOfReference } from './key-arn.js';

/** What every check may consult besides the facts: the account, the policy, the settings. */
export interface AuditContext {
  readonly accountId: string;
  /** The function's region: where REQUIRED_KMS_KEY is resolved. */
  readonly homeRegion: string;
  readonly policy: EnforcementPolicy;
  readonly settings: AuditSettings;
  readonly enforcer: EnforcerTargets;
  /** REPORTS_BUCKET: its policy belongs to the stack that made it, so no fix writes it. */
  readonly reportsBucket?: string | undefined;
}

export type BucketRequirement =
  | { readonly kind: 'exempt' }
  | { readonly kind: 'required'; readonly reference: string; readonly bucketKey: boolean; readonly acceptDsseKms: boolean };

/**
 * What POLICY requires of the bucket as a whole: the rules whose prefix is empty (an exemption of
 * the whole bucket, an override of its key). Key references stay references here.
 */
export const bucketRequirement = (policy: EnforcementPolicy, bucket: string): BucketRequirement => {
  const requirement = requirementFor(policy, (reference) => reference, bucket, '');
  return requirement.kind === 'exempt'
    ? { kind: 'exempt' }
    : { kind: 'required', reference: requirement.keyArn, bucketKey: requirement.bucketKey, acceptDsseKms: requirement.acceptDsseKms };
};

export type RequiredBucket = Extract<BucketRequirement, { readonly kind: 'required' }>;

/** The required key as it can be used in one region. */
export type RegionalRequiredKey =
  | { readonly kind: 'usable'; readonly reference: string; readonly arn: string; readonly key: KeyFacts }
  | { readonly kind: 'unusable'; readonly reference: string; readonly reason: string; readonly homeArn?: string | undefined }
  | { readonly kind: 'unknown'; readonly reference: string; readonly error: FactError };

const notLookedUp = (reference: string, region: string): FactError => ({
  operation: 'DescribeKey',
  code: 'NotLookedUp',
  message: `${reference} was not described in ${region}`,
});

/**
 * S3 encrypts with a key in the bucket's own region: the required key itself when it lives there,
 * or the replica of a multi-Region required key. A single-Region key elsewhere cannot serve.
 */
export const requiredKeyInRegion = (
  keys: ReadonlyMap<string, KeyLookup>,
  homeRegion: string,
  reference: string,
  region: string,
): RegionalRequiredKey => {
  const homeLookupRegion = regionOfReference(reference, homeRegion);
  const home = keys.get(lookupId(homeLookupRegion, reference));
  if (!home) return { kind: 'unknown', reference, error: notLookedUp(reference, homeLookupRegion) };
  if (home.kind === 'error') return { kind: 'unknown', reference, error: home.error };
  if (home.kind === 'not-found') return { kind: 'unusable', reference, reason: `the required key ${reference} does not exist in ${homeLookupRegion}` };
  const homeArn = home.key.arn;
  const regional = keyArnInRegion(homeArn, region);
  if (regional === undefined) {
    return {
      kind: 'unusable',
      reference,
      homeArn,
      reason: `the required key ${homeArn} is a single-Region key in ${parseKmsArn(homeArn)?.region ?? homeLookupRegion}; S3 needs a key in ${region}`,
    };
  }
  if (regional === homeArn) return { kind: 'usable', reference, arn: homeArn, key: home.key };
  const replica = keys.get(lookupId(region, regional));
  if (!replica) return { kind: 'unknown', reference, error: notLookedUp(regional, region) };
  if (replica.kind === 'error') return { kind: 'unknown', reference, error: replica.error };
  if (replica.kind === 'not-found') {
    return { kind: 'unusable', reference, homeArn, reason: `the multi-Region required key ${homeArn} has no replica in ${region}` };
  }
  return { kind: 'usable', reference, arn: replica.key.arn, key: replica.key };
};

/**
 * One bucket under audit, with what POLICY requires of it and the required key where it lives,
 * each worked out once for the checks and the fixes alike. A bucket whose region could not be read
 * has no regional key.
 */
export type AuditedBucket =
  | { readonly facts: Extract<BucketFacts, { kind: 'inspected' }>; readonly requirement: RequiredBucket; readonly requiredKey: RegionalRequiredKey }
  | { readonly facts: Extract<BucketFacts, { kind: 'unreachable' }>; readonly requirement: RequiredBucket };

export const auditedBucket = (facts: BucketFacts, requirement: RequiredBucket, keys: ReadonlyMap<string, KeyLookup>, context: AuditContext): AuditedBucket =>
  facts.kind === 'unreachable'
    ? { facts, requirement }
    : { facts, requirement, requiredKey: requiredKeyInRegion(keys, context.homeRegion, requirement.reference, facts.region) };

/** Every bucket of the facts that POLICY does not exempt, as audited. */
export const auditedBuckets = (facts: AuditFacts, context: AuditContext): AuditedBucket[] =>
  facts.buckets.flatMap((bucket) => {
    const requirement = bucketRequirement(context.policy, bucket.name);
    return requirement.kind === 'exempt' ? [] : [auditedBucket(bucket, requirement, facts.keys, context)];
  });
