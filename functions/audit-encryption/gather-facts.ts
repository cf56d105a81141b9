import {
  failedFact,
  gathered,
  lookupId,
  type BucketFacts,
  type FactError,
  type Gathered,
  type KeyFacts,
  type KeyLookup,
  type KeyReference,
  type SampledObject,
} from '../../shared/audit/audit-facts.js';
import type { AuditContext } from '../../shared/audit/audit-context.js';
import { rotationApplies, whyCannotRotate } from '../../shared/audit/key-rotation-eligibility.js';
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

/** Who names a key is listed up to this many; the rest are counted (a key a whole account uses is named by thousands). */
export const NAMED_BY_LISTED = 25;

/**
 * Every key the scan needs, each looked up once however many buckets name it (a second bucket naming
 * a key waits on the first one's lookup), with everyone who named it.
 */
export class KeyLookups {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly lookups = new Map<string, KeyLookup>();
  private readonly references = new Map<string, { readonly region: string; readonly reference: string; readonly namedBy: Set<string>; more: number }>();

  constructor(private readonly sources: FactSources) {}

  /** The lookups so far, by lookupId(region, reference). */
  get known(): ReadonlyMap<string, KeyLookup> {
    return this.lookups;
  }

  /** Every reference so far, with who named it (the first NAMED_BY_LISTED, then how many more). */
  namedReferences(): KeyReference[] {
    return [...this.references.values()].map(({ region, reference, namedBy, more }) => ({
      region,
      reference,
      namedBy: [...[...namedBy].sort(), ...(more > 0 ? [`and ${more} more`] : [])],
    }));
  }

  /** Looks up what is not known yet, `concurrency` at a time; resolves once every one is known. */
  async resolve(references: readonly KeyReference[], concurrency = references.length): Promise<void> {
    const waits: Promise<void>[] = [];
    const missing: KeyReference[] = [];
    for (const reference of references) {
      const id = lookupId(reference.region, reference.reference);
      const entry = this.references.get(id) ?? { region: reference.region, reference: reference.reference, namedBy: new Set<string>(), more: 0 };
      for (const name of reference.namedBy) {
        if (entry.namedBy.has(name)) continue;
        if (entry.namedBy.size < NAMED_BY_LISTED) entry.namedBy.add(name);
        else entry.more += 1;
      }
      this.references.set(id, entry);
      const pending = this.pending.get(id);
      if (pending) waits.push(pending);
      else if (!this.lookups.has(id)) missing.push(reference);
    }
    // Registered before any starts, so a bucket naming the same key meanwhile waits on this lookup.
    const settle = new Map<string, () => void>();
    for (const reference of missing) {
      const id = lookupId(reference.region, reference.reference);
      this.pending.set(id, new Promise<void>((resolve) => settle.set(id, resolve)));
    }
    const started = mapBounded(missing, Math.max(1, concurrency), async (reference) => {
      const id = lookupId(reference.region, reference.reference);
      try {
        this.lookups.set(id, await lookUpKey(this.sources, reference.region, reference.reference));
      } catch (error) {
        this.lookups.set(id, { kind: 'error', error: factError('DescribeKey', error) });
      } finally {
        this.pending.delete(id);
        settle.get(id)?.();
      }
    });
    await Promise.all([started, ...waits]);
  }
}
