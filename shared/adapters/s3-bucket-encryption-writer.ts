import { PutBucketEncryptionCommand, PutBucketPolicyCommand, type EncryptionType, type S3Client, type ServerSideEncryption, type ServerSideEncryptionRule } from '@aws-sdk/client-s3';
import type { EncryptionRuleFacts } from '../audit/audit-facts.js';
import type { DefaultEncryptionRule } from '../audit/plan-fixes.js';
import type { BucketEncryptionWriter, BucketPolicyWriter } from '../ports/bucket-encryption-writer.js';
import { toAwsCallError } from './aws-error.js';

const blocked = (types: readonly string[]): Pick<ServerSideEncryptionRule, 'BlockedEncryptionTypes'> =>
  types.length > 0 ? { BlockedEncryptionTypes: { EncryptionType: [...types] as EncryptionType[] } } : {};

/** A rule as GetBucketEncryption gave it, written back as it was (with what the fix changed). */
const ruleOf = (rule: EncryptionRuleFacts): ServerSideEncryptionRule => ({
  ApplyServerSideEncryptionByDefault: {
    SSEAlgorithm: rule.algorithm as ServerSideEncryption,
    ...(rule.kmsKeyReference !== undefined ? { KMSMasterKeyID: rule.kmsKeyReference } : {}),
  },
  BucketKeyEnabled: rule.bucketKeyEnabled,
  ...blocked(rule.blockedEncryptionTypes),
});

export class S3BucketEncryptionWriter implements BucketEncryptionWriter, BucketPolicyWriter {
  /** `expectedOwner`: the account id; S3 refuses the write if someone else owns the bucket now. */
  constructor(
    private readonly s3In: (region: string) => S3Client,
    private readonly expectedOwner?: string | undefined,
  ) {}

  private get owner() {
    return this.expectedOwner ? { ExpectedBucketOwner: this.expectedOwner } : {};
  }

  async putDefaultEncryption(bucket: string, region: string, rule: DefaultEncryptionRule): Promise<void> {
    await this.putRules(bucket, region, [
      {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: rule.algorithm as ServerSideEncryption, KMSMasterKeyID: rule.keyArn },
        BucketKeyEnabled: rule.bucketKeyEnabled,
        ...blocked(rule.blockedEncryptionTypes),
      },
    ]);
  }

  async putEncryptionRules(bucket: string, region: string, rules: readonly EncryptionRuleFacts[]): Promise<void> {
    await this.putRules(bucket, region, rules.map(ruleOf));
  }

  async putBucketPolicy(bucket: string, region: string, policy: string): Promise<void> {
    try {
      await this.s3In(region).send(new PutBucketPolicyCommand({ Bucket: bucket, ...this.owner, Policy: policy }));
    } catch (error) {
      throw toAwsCallError('PutBucketPolicy', error);
    }
  }

  private async putRules(bucket: string, region: string, Rules: ServerSideEncryptionRule[]): Promise<void> {
    try {
      await this.s3In(region).send(new PutBucketEncryptionCommand({ Bucket: bucket, ...this.owner, ServerSideEncryptionConfiguration: { Rules } }));
    } catch (error) {
      throw toAwsCallError('PutBucketEncryption', error);
    }
  }
}
