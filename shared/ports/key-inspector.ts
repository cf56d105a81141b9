import type { KeyFacts, RotationFacts } from '../audit/audit-facts.js';

export type KeyDescriptionFacts = Omit<KeyFacts, 'rotation' | 'policy'>;

/**
 * A key's identity and state, in the region given (a key ARN's own region), by any reference (ARN,
 * key id, alias, alias ARN). An unknown key is a value (undefined); anything else is thrown as an
 * AwsCallError.
 */
export interface KeyDescriber {
  describe(reference: string, region: string): Promise<KeyDescriptionFacts | undefined>;
}

/** KMS keys as the audit reads them. */
export interface KeyInspector extends KeyDescriber {
  rotation(keyArn: string, region: string): Promise<RotationFacts>;
  /** The key policy document (policy name `default`). */
  policy(keyArn: string, region: string): Promise<string>;
}

/** The one key change the audit may make. */
export interface KeyRotationWriter {
  enableRotation(keyArn: string, region: string, periodDays: number): Promise<void>;
}
