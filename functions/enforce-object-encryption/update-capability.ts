/**
 * Whether UpdateObjectEncryption may be tried, for the life of the execution environment: off for
 * non-AWS endpoints from the start, and off once the endpoint answers that it does not implement it.
 */
export class UpdateCapability {
  private unavailableBecause: string | undefined;

  constructor(available: boolean, reason = 'the S3 endpoint is not Amazon S3') {
    this.unavailableBecause = available ? undefined : reason;
  }

  get available(): boolean {
    return this.unavailableBecause === undefined;
  }

  get reason(): string | undefined {
    return this.unavailableBecause;
  }

  /** Returns true the first time, so the switch is logged once. */
  markUnavailable(reason: string): boolean {
    if (this.unavailableBecause !== undefined) return false;
    this.unavailableBecause = reason;
    return true;
  }
}
