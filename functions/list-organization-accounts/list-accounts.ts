import { Buffer } from 'node:buffer';
import type { OrganizationScope } from '../../shared/config/organization-config.js';
import { onlyAccounts, requestedAccountsNotListed, scopeAccounts, WHOLE_ORGANIZATION, type AccountFilter } from '../../shared/core/account-scope.js';
import type { MemberAccount } from '../../shared/organization/account-result.js';
import { organizationRunLayout, type OrganizationRun } from '../../shared/organization/organization-run.js';
import { rcpCoverageOf, type RcpCoverage } from '../../shared/organization/rcp-coverage.js';
import type { AccountLister } from '../../shared/ports/account-lister.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import type { ResourceControlPolicies } from '../../shared/ports/resource-control-policies.js';
import { readRcpLandscape } from './read-rcp-landscape.js';

/**
 * One line of the run's listing: every account of the organization the run covers, audited or
 * not. `skipped` accounts (closed, closing, asked for but not in the organization) are reported
 * with the reason; nothing in scope is left out. Each account in scope carries what the
 * organization's Resource Control Policies do for it, for the merge's `org-rcp-coverage` finding.
 */
export type ListedAccount =
  | (MemberAccount & { readonly scope: 'audit'; readonly accountStatus: string; readonly rcp: RcpCoverage })
  | (MemberAccount & { readonly scope: 'skipped'; readonly accountStatus: string; readonly reason: string });

export interface ListingDependencies {
  readonly lister: AccountLister;
  /** The organization's RCPs and tree, read once a run. */
  readonly resourceControlPolicies: ResourceControlPolicies;
  /** The caller's partition: RCP documents are judged for its ARNs. */
  readonly partition: string;
  readonly store: ReportStore;
  readonly reportsBucket: string;
  readonly reportsPrefix: string;
  readonly reportsKmsKeyArn: string;
  readonly scope: OrganizationScope;
}

/** What the state machine hands on: where the accounts are, never the accounts themselves (256 KB). */
export interface ListingOutput {
  readonly run: OrganizationRun;
  readonly accounts: { readonly bucket: string; readonly key: string; readonly count: number };
  readonly listing: { readonly bucket: string; readonly key: string; readonly count: number; readonly skipped: number };
  readonly results: { readonly bucket: string; readonly prefix: string };
}

/** The filter the scope asks for: the ids given, and every account under the units given. */
const filterOf = async (lister: AccountLister, scope: OrganizationScope): Promise<AccountFilter> => {
  if (!scope.accounts && !scope.organizationalUnits) return WHOLE_ORGANIZATION;
  const ids = new Set(scope.accounts ?? []);
  if (scope.organizationalUnits) for (const id of await lister.accountIdsUnder(scope.organizationalUnits)) ids.add(id);
  return onlyAccounts(ids);
};

const textBody = (text: string) => ({ body: async function* () { yield text; }, contentLength: Buffer.byteLength(text, 'utf8') });

/**
 * Lists the organization's accounts a page at a time and files two things in the reports bucket:
 * the listing (every account in scope, one JSON line each, with what the run does with it and its
 * RCP coverage) and the accounts to audit as one JSON array, which the Distributed Map reads as
 * its items.
 */
export const listOrganizationAccounts = async (deps: ListingDependencies, run: OrganizationRun): Promise<ListingOutput> => {
  const layout = organizationRunLayout(deps.reportsPrefix, run);
  const filter = await filterOf(deps.lister, deps.scope);
  const landscape = await readRcpLandscape(deps.resourceControlPolicies, deps.partition);
  const listing: string[] = [];
  const items: string[] = [];
  const seen: string[] = [];
  let skipped = 0;
  for await (const page of deps.lister.accountPages()) {
    for (const account of page) {
      seen.push(account.id);
      const scope = scopeAccounts(account, filter);
      if (scope.kind === 'out-of-scope') continue;
      const member: MemberAccount = { accountId: account.id, name: account.name };
      if (scope.kind === 'audit') {
        items.push(JSON.stringify(member));
        listing.push(JSON.stringify({ ...member, scope: 'audit', accountStatus: account.status, rcp: rcpCoverageOf(account.id, landscape) } satisfies ListedAccount));
      } else {
        skipped += 1;
        listing.push(JSON.stringify({ ...member, scope: 'skipped', accountStatus: account.status, reason: scope.reason } satisfies ListedAccount));
      }
    }
  }
  for (const accountId of requestedAccountsNotListed(filter, seen)) {
    skipped += 1;
    const reason = 'asked for, but ListAccounts did not list it: it is not an account of this organization';
    listing.push(JSON.stringify({ accountId, name: '', scope: 'skipped', accountStatus: 'NOT_LISTED', reason } satisfies ListedAccount));
  }

  const write = (key: string, text: string, contentType: string) => deps.store.write({ key, contentType, kmsKeyArn: deps.reportsKmsKeyArn, ...textBody(text) });
  await Promise.all([
    write(layout.accountsKey, `[${items.join(',\n')}]\n`, 'application/json'),
    write(layout.listingKey, listing.length > 0 ? `${listing.join('\n')}\n` : '', 'application/x-ndjson'),
  ]);
  return {
    run,
    accounts: { bucket: deps.reportsBucket, key: layout.accountsKey, count: items.length },
    listing: { bucket: deps.reportsBucket, key: layout.listingKey, count: listing.length, skipped },
    results: { bucket: deps.reportsBucket, prefix: layout.mapResultsPrefix },
  };
};
