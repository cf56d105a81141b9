import {
  failedFact,
  gathered,
  lookupId,
  type AuditFacts,
  type BucketFacts,
  type FactError,
  type Gathered,
  type KeyFacts,
  type KeyLookup,
  type KeyReference,
  type SampledObject,
} from '../../shared/audit/audit-facts.js';
import { bucketRequirement, type AuditContext } from '../../shared/audit/audit-context.js';
import { rotationApplies, whyCannotRotate } from '../../shared/audit/checks/key-rotation.js';
import { bucketKeyReferences, policyKeyReferences } from '../../shared/audit/key-references.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import { mapBounded } from '../../shared/core/run-bounded.js';
import { AwsCallError } from '../../shared/errors.js';
import type { BucketInspector, ListedBucket } from '../../shared/ports/bucket-inspector.js';
import type { KeyInspector } from '../../shared/ports/key-inspector.js';

export interface FactSources {
  readonly buckets: BucketInspector;
  readonly keys: KeyInspector;
  /** Buckets, and keys, inspected at once. */
  readonly concurrency: number;
}

/** HeadObject calls at once within one bucket's sample. */
const SAMPLE_CONCURRENCY = 4;

export const factError = (operation: string, error: unknown): FactError =>
  error instanceof AwsCallError
    ? { operation: error.operation, code: error.code, message: error.message }
    : { operation, code: 'UnexpectedError', message: error instanceof Error ? error.message : String(error) };

/** A failed read is a fact like any other: it becomes an error finding, and the run goes on. */
const attempt = async <T>(operation: string, read: () => Promise<T>): Promise<Gathered<T>> => {
  try {
    return gathered(await read());
  } catch (error) {
    return failedFact(factError(operation, error));
  }
};

const sampleObjects = async (sources: FactSources, bucket: string, region: string, count: number): Promise<readonly SampledObject[]> => {
  const recent = await sources.buckets.recentObjects(bucket, region, count);
  return mapBounded(recent, SAMPLE_CONCURRENCY, async (object) => ({
    key: object.key,
    lastModified: object.lastModified?.toISOString(),
    inspection: await attempt('HeadObject', () => sources.buckets.inspectObject(bucket, region, object.key)),
  }));
};

const bucketArn = (name: string, region: string): string => `arn:${partitionOf(region)}:s3:::${name}`;

export const gatherBucket = async (sources: FactSources, listed: ListedBucket, context: AuditContext): Promise<BucketFacts> => {
  let region = listed.region;
  if (!region) {
    try {
      region = await sources.buckets.regionOf(listed.name);
    } catch (error) {
      return { kind: 'unreachable', name: listed.name, arn: bucketArn(listed.name, context.homeRegion), error: factError('GetBucketLocation', error) };
    }
  }
  const inRegion = region;
  const sampleSize = context.settings.objectSampleSize;
  const [encryption, policy, notifications, sample] = await Promise.all([
    attempt('GetBucketEncryption', () => sources.buckets.defaultEncryption(listed.name, inRegion)),
    attempt('GetBucketPolicy', () => sources.buckets.policy(listed.name, inRegion)),
    attempt('GetBucketNotificationConfiguration', () => sources.buckets.notifications(listed.name, inRegion)),
    sampleSize > 0 ? attempt('ListObjectsV2', () => sampleObjects(sources, listed.name, inRegion, sampleSize)) : Promise.resolve(undefined),
  ]);
  return {
    kind: 'inspected',
    name: listed.name,
    arn: bucketArn(listed.name, inRegion),
    region: inRegion,
    encryption,
    policy,
    notifications,
    ...(sample ? { sample } : {}),
  };
};

/** DescribeKey, then rotation and key policy for the customer-managed keys that have them. */
export const lookUpKey = async (sources: FactSources, region: string, reference: string): Promise<KeyLookup> => {
  let described;
  try {
    described = await sources.keys.describe(reference, region);
  } catch (error) {
    return { kind: 'error', error: factError('DescribeKey', error) };
  }
  if (!described) return { kind: 'not-found' };
  const base: KeyFacts = described;
  if (base.manager !== 'CUSTOMER') return { kind: 'found', key: base };
  const [rotation, policy] = await Promise.all([
    rotationApplies(base) && !whyCannotRotate(base)
      ? attempt('GetKeyRotationStatus', () => sources.keys.rotation(base.arn, base.region))
      : Promise.resolve(undefined),
    attempt('GetKeyPolicy', () => sources.keys.policy(base.arn, base.region)),
  ]);
  return { kind: 'found', key: { ...base, ...(rotation ? { rotation } : {}), policy } };
};

const lookUpAll = async (sources: FactSources, references: readonly KeyReference[], known: Map<string, KeyLookup>): Promise<void> => {
  const missing = references.filter((reference) => !known.has(lookupId(reference.region, reference.reference)));
  const lookups = await mapBounded(missing, sources.concurrency, (reference) => lookUpKey(sources, reference.region, reference.reference));
  missing.forEach((reference, index) => known.set(lookupId(reference.region, reference.reference), lookups[index] as KeyLookup));
};

/**
 * Every bucket the account owns (less whole-bucket exemptions), each read in its own region with
 * bounded concurrency; then the keys POLICY and the buckets name. Only ListBuckets failing stops
 * the run: there would be nothing to audit.
 */
export const gatherFacts = async (sources: FactSources, context: AuditContext): Promise<AuditFacts> => {
  const listed = await sources.buckets.listBuckets();
  const exempt = new Set(listed.filter((bucket) => bucketRequirement(context.policy, bucket.name).kind === 'exempt').map((bucket) => bucket.name));
  const exemptBuckets = [...exempt];
  const audited = listed.filter((bucket) => !exempt.has(bucket.name));
  const buckets = await mapBounded(audited, sources.concurrency, (bucket) => gatherBucket(sources, bucket, context));

  const keys = new Map<string, KeyLookup>();
  const policyReferences = policyKeyReferences(context.policy, context.homeRegion);
  await lookUpAll(sources, policyReferences, keys);
  const bucketReferences = bucketKeyReferences(buckets, keys, context);
  await lookUpAll(sources, bucketReferences, keys);
  return { buckets, exemptBuckets, keyReferences: [...policyReferences, ...bucketReferences], keys };
};
