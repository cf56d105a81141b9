import type { KeyFacts, RotationFacts } from '../audit/audit-facts.js';

export type KeyDescriptionFacts = Omit<KeyFacts, 'rotation' | 'policy'>;

/**
 * KMS keys as the audit reads them, in the region given (a key ARN's own region). An unknown key
 * is a value (undefined); anything else is thrown as an AwsCallError.
 */
export interface KeyInspector {
  describe(reference: string, region: string): Promise<KeyDescriptionFacts | undefined>;
  rotation(keyArn: string, region: string): Promise<RotationFacts>;
  /** The key policy document (policy name `default`). */
  policy(keyArn: string, region: string): Promise<string>;
}

/** The one key change the audit may make. */
export interface KeyRotationWriter {
  enableRotation(keyArn: string, region: string, periodDays: number): Promise<void>;
}
