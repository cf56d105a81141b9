export interface KeyDescription {
  readonly arn: string;
  /** Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, … */
  readonly state: string;
  readonly manager: 'CUSTOMER' | 'AWS' | string;
}

/** KMS, as far as key identity goes. Throws AwsCallError (code NotFoundException for an unknown key). */
export interface KeyDirectory {
  describe(reference: string): Promise<KeyDescription>;
}
