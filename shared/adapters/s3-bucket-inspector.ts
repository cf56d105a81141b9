import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DefaultEncryptionFacts, NotificationFacts, NotificationTarget } from '../audit/audit-facts.js';
import { regionFromLocationConstraint } from '../audit/bucket-region.js';
import type { ObjectInspection } from '../core/classify-object.js';
import type { BucketInspector, ListedBucket, ListedObject } from '../ports/bucket-inspector.js';
import { errorCode, toAwsCallError } from './aws-error.js';
import { inspectCurrentVersion } from './s3-object-store.js';

/** Paginated ListBuckets: the only form S3 supports for accounts above the default bucket quota. */
const BUCKETS_PER_PAGE = 1000;
/** The sample looks at the most recent objects among this many keys: listing is by name, not date. */
export const OBJECT_SCAN_LIMIT = 10_000;

const NO_ENCRYPTION = new Set(['ServerSideEncryptionConfigurationNotFoundError']);
const NO_POLICY = new Set(['NoSuchBucketPolicy']);

type FilterRules = { Key?: { FilterRules?: { Name?: string; Value?: string }[] } } | undefined;

const filtersOf = (filter: FilterRules): NotificationTarget['filters'] =>
  (filter?.Key?.FilterRules ?? []).filter((rule) => rule.Value).map((rule) => ({ name: (rule.Name ?? '').toLowerCase(), value: rule.Value ?? '' }));

export class S3BucketInspector implements BucketInspector {
  /** `s3In(region)` gives the client for a region; `home` answers ListBuckets and GetBucketLocation. */
  constructor(
    private readonly s3In: (region: string) => S3Client,
    private readonly homeRegion: string,
  ) {}

  async *bucketPages(): AsyncIterable<readonly ListedBucket[]> {
    let token: string | undefined;
    do {
      const page = await this.listPage(token);
      token = page.next;
      yield page.buckets;
    } while (token);
  }

  /**
   * One ListBuckets page as names and regions only: the SDK's answer (dates, ARNs, metadata) is not
   * kept while the page is audited, nor while the next one is fetched.
   */
  private async listPage(token: string | undefined): Promise<{ buckets: readonly ListedBucket[]; next: string | undefined }> {
    const page = await this.call('ListBuckets', () =>
      this.s3In(this.homeRegion).send(new ListBucketsCommand({ MaxBuckets: BUCKETS_PER_PAGE, ...(token ? { ContinuationToken: token } : {}) })),
    );
    const buckets = (page.Buckets ?? []).flatMap((bucket) => (bucket.Name ? [{ name: bucket.Name, ...(bucket.BucketRegion ? { region: bucket.BucketRegion } : {}) }] : []));
    return { buckets, next: page.ContinuationToken };
  }

  async regionOf(bucket: string): Promise<string> {
    const answer = await this.call('GetBucketLocation', () => this.s3In(this.homeRegion).send(new GetBucketLocationCommand({ Bucket: bucket })));
    return regionFromLocationConstraint(answer.LocationConstraint);
  }

  async defaultEncryption(bucket: string, region: string): Promise<DefaultEncryptionFacts> {
    try {
      const answer = await this.s3In(region).send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      return {
        kind: 'configured',
        rules: (answer.ServerSideEncryptionConfiguration?.Rules ?? []).map((rule) => ({
          algorithm: rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
          kmsKeyReference: rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID || undefined,
          bucketKeyEnabled: rule.BucketKeyEnabled === true,
          blockedEncryptionTypes: rule.BlockedEncryptionTypes?.EncryptionType ?? [],
        })),
      };
    } catch (error) {
      if (NO_ENCRYPTION.has(errorCode(error))) return { kind: 'none' };
      throw toAwsCallError('GetBucketEncryption', error);
    }
  }

  async policy(bucket: string, region: string): Promise<string | undefined> {
    try {
      const answer = await this.s3In(region).send(new GetBucketPolicyCommand({ Bucket: bucket }));
      return answer.Policy;
    } catch (error) {
      if (NO_POLICY.has(errorCode(error))) return undefined;
      throw toAwsCallError('GetBucketPolicy', error);
    }
  }

  async notifications(bucket: string, region: string): Promise<NotificationFacts> {
    const answer = await this.call('GetBucketNotificationConfiguration', () =>
      this.s3In(region).send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })),
    );
    const targets: NotificationTarget[] = [
      ...(answer.QueueConfigurations ?? []).map((c) => ({ kind: 'queue' as const, arn: c.QueueArn ?? '', events: c.Events ?? [], filters: filtersOf(c.Filter) })),
      ...(answer.LambdaFunctionConfigurations ?? []).map((c) => ({
        kind: 'function' as const,
        arn: c.LambdaFunctionArn ?? '',
        events: c.Events ?? [],
        filters: filtersOf(c.Filter),
      })),
      ...(answer.TopicConfigurations ?? []).map((c) => ({ kind: 'topic' as const, arn: c.TopicArn ?? '', events: c.Events ?? [], filters: filtersOf(c.Filter) })),
    ];
    return { eventBridge: answer.EventBridgeConfiguration !== undefined, targets };
  }

  async recentObjects(bucket: string, region: string, count: number): Promise<ListedObject[]> {
    const listed: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', () =>
        this.s3In(region).send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const object of page.Contents ?? []) if (object.Key) listed.push({ key: object.Key, lastModified: object.LastModified });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && listed.length < OBJECT_SCAN_LIMIT);
    return listed
      .sort((a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, count);
  }

  inspectObject(bucket: string, region: string, key: string): Promise<ObjectInspection> {
    return inspectCurrentVersion(this.s3In(region), bucket, key);
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toAwsCallError(operation, error);
    }
  }
}
