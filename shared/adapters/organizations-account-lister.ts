import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type Account,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AwsCallError } from '../errors.js';
import type { AccountLister, OrganizationAccount } from '../ports/account-lister.js';
import { errorCode, toAwsCallError } from './aws-error.js';

/** ListAccounts returns at most 20 accounts a page: the documented maximum of MaxResults. */
export const ACCOUNTS_PER_PAGE = 20;

export interface ListAccountsRetry {
  /** Calls per page, the first included, before a throttled page is given up. */
  readonly attempts: number;
  /** The ceiling of the first pause; it doubles with each throttled call, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1): the share of the ceiling actually waited. */
  readonly random: () => number;
}

/**
 * Organizations publishes no rate for ListAccounts, yet answers TooManyRequestsException from about
 * 250–500 accounts on, for longer than the SDK's own three attempts cover. Eight calls with pauses
 * doubling from 200 ms, capped at 10 s, wait at most 22.6 s for one page.
 */
export const DEFAULT_LIST_ACCOUNTS_RETRY: ListAccountsRetry = Object.freeze({
  attempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});

/**
 * The pause after the `throttled`-th throttled call (1-based): "full jitter", a random share of
 * the doubling ceiling, so callers throttled together (other tools listing the same organization)
 * do not retry in step.
 */
export const throttleDelayMs = (throttled: number, retry: Pick<ListAccountsRetry, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number =>
  Math.floor(retry.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (throttled - 1)));

const THROTTLED = 'TooManyRequestsException';
const NOT_ALLOWED = new Set(['AccessDeniedException', 'AccessDenied']);

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 500);

const toAccount = (account: Account): OrganizationAccount => {
  if (!account.Id) throw new AwsCallError('ListAccounts', 'IncompleteAccount', undefined, false, 'an account came back without an Id');
  return {
    id: account.Id,
    name: account.Name ?? account.Id,
    ...(account.Email ? { email: account.Email } : {}),
    // AWS retired `Status` on 9 September 2026 in favour of `State`; either may be the one sent.
    status: account.State ?? account.Status ?? 'UNKNOWN',
  };
};

export class OrganizationsAccountLister implements AccountLister {
  private readonly retry: ListAccountsRetry;

  constructor(
    private readonly organizations: OrganizationsClient,
    retry: Partial<ListAccountsRetry> = {},
  ) {
    this.retry = { ...DEFAULT_LIST_ACCOUNTS_RETRY, ...retry };
    if (!Number.isInteger(this.retry.attempts) || this.retry.attempts < 1) throw new RangeError(`ListAccounts attempts must be a positive integer, not ${this.retry.attempts}`);
  }

  /**
   * Follows NextToken until it is absent, not until a page comes back empty: Organizations can
   * answer an empty page with a NextToken while more accounts follow. Empty pages are not yielded.
   */
  async *accountPages(): AsyncIterable<readonly OrganizationAccount[]> {
    let token: string | undefined;
    do {
      const page = await this.listPage(token);
      token = page.NextToken || undefined;
      const accounts = (page.Accounts ?? []).map(toAccount);
      if (accounts.length > 0) yield accounts;
    } while (token);
  }

  /**
   * The ids of every account under the given roots or organizational units, however deep, each
   * once. The run keeps them to select accounts as ListAccounts lists them: an id is 12 digits,
   * so the set stays small at the organization's ceiling.
   */
  async accountIdsUnder(parentIds: readonly string[]): Promise<ReadonlySet<string>> {
    const ids = new Set<string>();
    const parents = [...parentIds];
    for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
      const ParentId = parent;
      let token: string | undefined;
      do {
        const page = await this.call('ListAccountsForParent', () =>
          this.organizations.send(new ListAccountsForParentCommand({ ParentId, MaxResults: ACCOUNTS_PER_PAGE, ...(token ? { NextToken: token } : {}) })),
        );
        (page.Accounts ?? []).forEach((account) => account.Id && ids.add(account.Id));
        token = page.NextToken || undefined;
      } while (token);
      do {
        const page = await this.call('ListOrganizationalUnitsForParent', () =>
          this.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId, MaxResults: ACCOUNTS_PER_PAGE, ...(token ? { NextToken: token } : {}) })),
        );
        (page.OrganizationalUnits ?? []).forEach((unit) => unit.Id && parents.push(unit.Id));
        token = page.NextToken || undefined;
      } while (token);
    }
    return ids;
  }

  private listPage(token: string | undefined) {
    return this.call('ListAccounts', () => this.organizations.send(new ListAccountsCommand({ MaxResults: ACCOUNTS_PER_PAGE, ...(token ? { NextToken: token } : {}) })));
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        const code = errorCode(error);
        if (code === THROTTLED && attempt < this.retry.attempts) {
          await this.retry.sleep(throttleDelayMs(attempt, this.retry));
          continue;
        }
        throw this.failure(operation, code, attempt, error);
      }
    }
  }

  private failure(operation: string, code: string, attempts: number, error: unknown): AwsCallError {
    const failed = toAwsCallError(operation, error);
    if (code === THROTTLED) {
      return new AwsCallError(operation, failed.code, failed.httpStatus, failed.transient, `still throttled after ${attempts} attempts: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (NOT_ALLOWED.has(code)) {
      return new AwsCallError(
        operation,
        failed.code,
        failed.httpStatus,
        false,
        'listing the organization needs the management account or a delegated administrator for AWS Organizations, ' +
          `with organizations:${operation} allowed (a member account may not list its organization): ${messageOf(error)}`,
        { cause: error },
      );
    }
    return failed;
  }
}
