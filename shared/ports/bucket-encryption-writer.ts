import type { EncryptionRuleFacts } from '../audit/audit-facts.js';
import type { DefaultEncryptionRule } from '../audit/plan-fixes.js';

/** The bucket changes the audit's fixes make. Failures are thrown as an AwsCallError. */
export interface BucketEncryptionWriter {
  /** Replace the default encryption with the required rule. */
  putDefaultEncryption(bucket: string, region: string, rule: DefaultEncryptionRule): Promise<void>;
  /** Write these rules as the bucket's encryption configuration (the rules it had, SSE-C blocked). */
  putEncryptionRules(bucket: string, region: string, rules: readonly EncryptionRuleFacts[]): Promise<void>;
}

export interface BucketPolicyWriter {
  /** Write the bucket policy: the whole document, as planned (every existing statement kept). */
  putBucketPolicy(bucket: string, region: string, policy: string): Promise<void>;
}
