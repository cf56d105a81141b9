import type { BucketFacts, KeyLookup } from '../audit-facts.js';
import type { AuditContext, BucketRequirement, RegionalRequiredKey } from '../audit-context.js';

export type InspectedBucket = Extract<BucketFacts, { kind: 'inspected' }>;

/** Everything a bucket check judges from. */
export interface BucketCheckInput {
  readonly bucket: InspectedBucket;
  readonly requirement: Extract<BucketRequirement, { kind: 'required' }>;
  /** The required key as usable in the bucket's region. */
  readonly requiredKey: RegionalRequiredKey;
  readonly keys: ReadonlyMap<string, KeyLookup>;
  readonly context: AuditContext;
}

export const expectedKeyText = (requiredKey: RegionalRequiredKey, region: string): string =>
  requiredKey.kind === 'usable' ? requiredKey.arn : `the required key (${requiredKey.reference}) usable in ${region}`;
