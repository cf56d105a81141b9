/**
 * An account's lifecycle status. ACTIVE, SUSPENDED (closed) and PENDING_CLOSURE are the statuses
 * ListAccounts has always reported; its newer `State` adds CLOSED and PENDING_ACTIVATION, and any
 * status AWS adds later arrives as it is sent, so the caller can report it rather than drop it.
 */
export type AccountStatus = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | (string & {});

export interface OrganizationAccount {
  readonly id: string;
  readonly name: string;
  readonly email?: string | undefined;
  readonly status: AccountStatus;
}

/**
 * The accounts of the caller's organization, read-only; the caller must be the management account
 * or a delegated administrator. Failures are thrown as an AwsCallError.
 */
export interface AccountLister {
  /**
   * Every account exactly once, a page at a time (each page is requested when the one before is
   * taken), so memory stays flat at the organization's 10,000-account ceiling.
   */
  accountPages(): AsyncIterable<readonly OrganizationAccount[]>;
  /** The ids of the accounts under these roots (`r-…`) or organizational units (`ou-…`), at any depth. */
  accountIdsUnder(parentIds: readonly string[]): Promise<ReadonlySet<string>>;
}
