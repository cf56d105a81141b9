import { PutBucketEncryptionCommand, type EncryptionType, type S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';
import type { DefaultEncryptionRule } from '../audit/plan-fixes.js';
import type { BucketEncryptionWriter } from '../ports/bucket-encryption-writer.js';
import { toAwsCallError } from './aws-error.js';

export class S3BucketEncryptionWriter implements BucketEncryptionWriter {
  /** `expectedOwner`: the account id; S3 refuses the write if someone else owns the bucket now. */
  constructor(
    private readonly s3In: (region: string) => S3Client,
    private readonly expectedOwner?: string | undefined,
  ) {}

  async putDefaultEncryption(bucket: string, region: string, rule: DefaultEncryptionRule): Promise<void> {
    try {
      await this.s3In(region).send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ...(this.expectedOwner ? { ExpectedBucketOwner: this.expectedOwner } : {}),
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: rule.algorithm as ServerSideEncryption, KMSMasterKeyID: rule.keyArn },
                BucketKeyEnabled: rule.bucketKeyEnabled,
                ...(rule.blockedEncryptionTypes.length > 0
                  ? { BlockedEncryptionTypes: { EncryptionType: [...rule.blockedEncryptionTypes] as EncryptionType[] } }
                  : {}),
              },
            ],
          },
        }),
      );
    } catch (error) {
      throw toAwsCallError('PutBucketEncryption', error);
    }
  }
}
