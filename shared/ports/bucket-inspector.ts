import type { ObjectInspection } from '../core/classify-object.js';
import type { DefaultEncryptionFacts, NotificationFacts } from '../audit/audit-facts.js';

export interface ListedBucket {
  readonly name: string;
  /** ListBuckets names the region on paginated requests; otherwise ask regionOf. */
  readonly region?: string | undefined;
}

export interface ListedObject {
  readonly key: string;
  readonly lastModified?: Date | undefined;
}

/**
 * The configuration of the account's buckets, read-only. Each call after listing goes to the
 * bucket's own region. Absent configuration is a value (no policy, no default encryption);
 * anything else is thrown as an AwsCallError.
 */
export interface BucketInspector {
  /** Every bucket the account owns, a page at a time (each page is requested when the one before is taken). */
  bucketPages(): AsyncIterable<readonly ListedBucket[]>;
  regionOf(bucket: string): Promise<string>;
  defaultEncryption(bucket: string, region: string): Promise<DefaultEncryptionFacts>;
  /** The policy document's text, or undefined when the bucket has none. */
  policy(bucket: string, region: string): Promise<string | undefined>;
  notifications(bucket: string, region: string): Promise<NotificationFacts>;
  /** The `count` most recently modified objects among the first keys listed (the scan is bounded). */
  recentObjects(bucket: string, region: string, count: number): Promise<ListedObject[]>;
  /** HeadObject of the current version. */
  inspectObject(bucket: string, region: string, key: string): Promise<ObjectInspection>;
}
