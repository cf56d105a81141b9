import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetBucketOwnershipControlsCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { s3Error } from '../../../fixtures/aws-errors.js';
import { OTHER, REQUIRED } from './fake-io.js';

export const s3 = mockClient(S3Client);
export const kms = mockClient(KMSClient);

const WRITE_COMMANDS = new Set(['CopyObjectCommand', 'PutObjectCommand', 'UpdateObjectEncryptionCommand', 'DeleteObjectCommand', 'CreateMultipartUploadCommand', 'UploadPartCopyCommand', 'PutObjectAclCommand', 'PutObjectTaggingCommand']);

/** Every S3 command sent that changes an object, by name. */
export const writesSent = (): string[] => s3.calls().map((call) => (call.args[0] as object).constructor.name).filter((name) => WRITE_COMMANDS.has(name));

export const resetMocks = (): void => {
  s3.reset();
  kms.reset();
  kms.on(DescribeKeyCommand, { KeyId: 'alias/required' }).resolves({
    KeyMetadata: { KeyId: '11111111-1111-1111-1111-111111111111', Arn: REQUIRED, KeyState: 'Enabled', KeyManager: 'CUSTOMER' },
  });
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
};

/** How each sample object is encrypted, as HeadObject reports it. */
export const HEADS = {
  compliant: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true },
  'sse-s3': { ServerSideEncryption: 'AES256' },
  unencrypted: {},
  'other-key': { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: OTHER },
  'dsse-other': { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: OTHER },
} as const satisfies Readonly<Record<string, Partial<HeadObjectCommandOutput>>>;

/** One bucket listing (one page per inner list) and a HeadObject answer per key. */
export type HeadName = keyof typeof HEADS | 'gone';

export const givenObjects = (bucket: string, pages: readonly (readonly (readonly [key: string, head: HeadName])[])[]): void => {
  let listing = s3.on(ListObjectsV2Command, { Bucket: bucket });
  pages.forEach((page, index) => {
    listing = listing.resolvesOnce({
      Contents: page.map(([key]) => ({ Key: key, Size: 42 })),
      IsTruncated: index < pages.length - 1,
      ...(index < pages.length - 1 ? { NextContinuationToken: `token-${index + 1}` } : {}),
    });
    for (const [key, head] of page) {
      const answer = s3.on(HeadObjectCommand, { Bucket: bucket, Key: key });
      if (head === 'gone') answer.rejects(s3Error('NotFound', 404));
      else answer.resolves({ ETag: `"etag-${key}"`, ContentLength: 42, TagCount: 1, ...HEADS[head] });
    }
  });
};
