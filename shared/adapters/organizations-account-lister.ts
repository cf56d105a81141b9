import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type Account,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AwsCallError } from '../errors.js';
import type { AccountLister, OrganizationAccount } from '../ports/account-lister.js';
import { callOrganizations, organizationsRetry, type ListAccountsRetry } from './organizations-call.js';

/** ListAccounts returns at most 20 accounts a page: the documented maximum of MaxResults. */
export const ACCOUNTS_PER_PAGE = 20;

export { DEFAULT_LIST_ACCOUNTS_RETRY, throttleDelayMs, type ListAccountsRetry } from './organizations-call.js';

const notAllowed = (operation: string): string =>
  'listing the organization needs the management account or a delegated administrator for AWS Organizations, ' +
  `with organizations:${operation} allowed (a member account may not list its organization)`;

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
    this.retry = organizationsRetry(retry);
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

  private call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return callOrganizations(operation, send, this.retry, notAllowed);
  }
}
