import type { DefaultEncryptionRule } from '../audit/plan-fixes.js';

/** The one bucket change the audit may make: replace the default encryption with the required rule. */
export interface BucketEncryptionWriter {
  putDefaultEncryption(bucket: string, region: string, rule: DefaultEncryptionRule): Promise<void>;
}
