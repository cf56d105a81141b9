import { lookupId, type BucketFacts, type KeyLookup, type KeyReference } from './audit-facts.js';
import type { AuditContext, RequiredBucket } from './audit-context.js';
import { keyArnInRegion, parseKmsArn, regionOfReference } from './key-arn.js';
import type { EnforcementPolicy } from '../core/object-requirement.js';

/** One entry per (region, reference), with everyone who names it. */
export const mergeReferences = (references: readonly KeyReference[]): KeyReference[] => {
  const merged = new Map<string, { region: string; reference: string; namedBy: Set<string> }>();
  for (const { region, reference, namedBy } of references) {
    const id = lookupId(region, reference);
    const entry = merged.get(id) ?? { region, reference, namedBy: new Set<string>() };
    namedBy.forEach((name) => entry.namedBy.add(name));
    merged.set(id, entry);
  }
  return [...merged.values()].map(({ region, reference, namedBy }) => ({ region, reference, namedBy: [...namedBy].sort() }));
};

/** First: the keys POLICY names, looked up where they live (an ARN's own region, else the function's). */
export const policyKeyReferences = (policy: EnforcementPolicy, homeRegion: string): KeyReference[] =>
  mergeReferences([
    { region: regionOfReference(policy.requiredKey, homeRegion), reference: policy.requiredKey, namedBy: ['REQUIRED_KMS_KEY'] },
    ...policy.overrides.flatMap((rule) =>
      rule.requiredKey
        ? [
            {
              region: regionOfReference(rule.requiredKey, homeRegion),
              reference: rule.requiredKey,
              namedBy: [`POLICY.overrides (bucket ${rule.bucket}${rule.prefix ? `, prefix ${rule.prefix}` : ''})`],
            },
          ]
        : [],
    ),
  ]);

/**
 * Then, with the policy keys resolved: the keys a bucket's default rules name (looked up in the
 * bucket's region unless an ARN says otherwise), and the replicas that multi-Region policy keys
 * need in the bucket's region when it is not their own.
 */
export const bucketKeyReferences = (
  bucket: BucketFacts,
  requirement: RequiredBucket,
  policyKeys: ReadonlyMap<string, KeyLookup>,
  context: AuditContext,
): KeyReference[] => {
  if (bucket.kind !== 'inspected') return [];
  const policyReferences = [
    requirement.reference,
    ...context.policy.overrides.filter((rule) => rule.bucket === bucket.name && rule.requiredKey).map((rule) => rule.requiredKey as string),
  ];
  const replicas = [...new Set(policyReferences)].flatMap((reference) => {
    const home = policyKeys.get(lookupId(regionOfReference(reference, context.homeRegion), reference));
    if (home?.kind !== 'found' || parseKmsArn(home.key.arn)?.region === bucket.region) return [];
    const replica = keyArnInRegion(home.key.arn, bucket.region);
    return replica ? [{ region: bucket.region, reference: replica, namedBy: [`bucket ${bucket.name} (replica of ${reference})`] }] : [];
  });
  const defaults = bucket.encryption.ok && bucket.encryption.value.kind === 'configured' ? bucket.encryption.value.rules : [];
  const named = defaults.flatMap((rule) =>
    rule.kmsKeyReference
      ? [{ region: regionOfReference(rule.kmsKeyReference, bucket.region), reference: rule.kmsKeyReference, namedBy: [`bucket ${bucket.name} default encryption`] }]
      : [],
  );
  return mergeReferences([...replicas, ...named]);
};
