import type { OrganizationAccount } from '../ports/account-lister.js';

/** Which listed accounts the run is for: the whole organization, or the account ids asked for. */
export type AccountFilter = { readonly kind: 'organization' } | { readonly kind: 'accounts'; readonly ids: ReadonlySet<string> };

export const WHOLE_ORGANIZATION: AccountFilter = Object.freeze({ kind: 'organization' });

/** An explicit list is taken as it is: an empty one selects no account (each is reported out of scope). */
export const onlyAccounts = (ids: Iterable<string>): AccountFilter => ({ kind: 'accounts', ids: new Set(ids) });

/**
 * What the run does with one listed account. Every account in scope is either audited or listed as
 * skipped with its reason; nothing in scope is left out of the report.
 */
export type AccountScope =
  | { readonly kind: 'audit' }
  | { readonly kind: 'skipped'; readonly status: string; readonly reason: string }
  | { readonly kind: 'out-of-scope' };

/** Why an account that is not ACTIVE is not audited: no role can be assumed in it. */
const NOT_AUDITABLE: ReadonlyMap<string, string> = new Map([
  ['SUSPENDED', 'account is SUSPENDED: it has been closed'],
  ['CLOSED', 'account is CLOSED'],
  ['PENDING_CLOSURE', 'account is PENDING_CLOSURE: it is being closed'],
  ['PENDING_ACTIVATION', 'account is PENDING_ACTIVATION: it is not yet ready for use'],
]);

export const scopeAccounts = (account: OrganizationAccount, filter: AccountFilter): AccountScope => {
  if (filter.kind === 'accounts' && !filter.ids.has(account.id)) return { kind: 'out-of-scope' };
  if (account.status === 'ACTIVE') return { kind: 'audit' };
  return {
    kind: 'skipped',
    status: account.status,
    reason: NOT_AUDITABLE.get(account.status) ?? `account status is ${account.status}, not ACTIVE`,
  };
};

/**
 * The ids asked for that the organization did not list, in the order asked, once each: for the
 * caller to report, since no account asked for may go missing without a word. `listed` may hold
 * every listed id, or only those the filter selected.
 */
export const requestedAccountsNotListed = (filter: AccountFilter, listed: Iterable<string>): readonly string[] => {
  if (filter.kind === 'organization') return [];
  const missing = new Set(filter.ids);
  for (const id of listed) missing.delete(id);
  return [...missing];
};
