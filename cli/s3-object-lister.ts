import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { toAwsCallError } from '../shared/adapters/aws-error.js';

export interface ListedKey {
  readonly key: string;
  readonly sizeBytes?: number | undefined;
}

/** S3 lists keys in UTF-8 byte order; JavaScript's `<` compares UTF-16 code units, which differs. */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * Where a listing starts so that `from` itself is included: ListObjectsV2 only has StartAfter
 * (exclusive), so start after `from` less its last character and drop what sorts before `from`.
 */
export const listingFrom = (from: string): { readonly startAfter: string | undefined; readonly keep: (key: string) => boolean } => {
  const shorter = Array.from(from).slice(0, -1).join('');
  return { startAfter: shorter === '' ? undefined : shorter, keep: (key) => compareKeys(key, from) >= 0 };
};

const PAGE_SIZE = 1000;

/** ListObjectsV2, page by page, in listing order. */
export class S3ObjectLister {
  constructor(private readonly s3: S3Client) {}

  async *pages(bucket: string, prefix: string, startAfter?: string | undefined): AsyncGenerator<ListedKey[]> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            MaxKeys: PAGE_SIZE,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          }),
        );
      } catch (error) {
        throw toAwsCallError('ListObjectsV2', error);
      }
      yield (page.Contents ?? []).flatMap((item) => (item.Key === undefined ? [] : [{ key: item.Key, sizeBytes: item.Size }]));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
