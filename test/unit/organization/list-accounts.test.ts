import { describe, expect, it } from 'vitest';
import { listOrganizationAccounts, type ListingDependencies } from '../../../functions/list-organization-accounts/list-accounts.js';
import type { OrganizationScope } from '../../../shared/config/organization-config.js';
import { AwsCallError } from '../../../shared/errors.js';
import { RCP_GUARANTEES } from '../../../shared/organization/rcp-coverage.js';
import { organizationRcp, rcpText } from '../../../shared/prevention/resource-control-policy.js';
import type { AccountLister, OrganizationAccount } from '../../../shared/ports/account-lister.js';
import { FakeResourceControlPolicies, flatOrganization, MANAGEMENT, MemoryReportStore, PREFIX, REPORTS_BUCKET, REPORTS_KEY, ROOT } from './support/organization-fakes.js';

const RUN = { runId: '2026-03-01T030000Z', runDate: '2026-03-01', startedAt: '2026-03-01T03:00:00.000Z' };
const BASE = 'encryption-audit/organization/2026-03-01/2026-03-01T030000Z/';
const ACCOUNTS_KEY = `${BASE}accounts.json`;
const LISTING_KEY = `${BASE}listing.jsonl`;

const account = (id: string, status = 'ACTIVE'): OrganizationAccount => ({ id, name: `team ${id}`, email: `${id}@example.com`, status });

/** An organization of pages, and of units holding accounts; what was asked of it is kept. */
class FakeOrganization implements AccountLister {
  readonly unitsAsked: (readonly string[])[] = [];
  constructor(
    private readonly pages: readonly (readonly OrganizationAccount[])[],
    private readonly units: Readonly<Record<string, readonly string[]>> = {},
  ) {}
  async *accountPages(): AsyncIterable<readonly OrganizationAccount[]> {
    yield* this.pages;
  }
  async accountIdsUnder(parentIds: readonly string[]): Promise<ReadonlySet<string>> {
    this.unitsAsked.push(parentIds);
    return new Set(parentIds.flatMap((id) => this.units[id] ?? []));
  }
}

const PAGES = [
  [account('111111111111'), account('222222222222', 'SUSPENDED'), account('333333333333')],
  [account('444444444444', 'PENDING_CLOSURE'), account('555555555555'), account('666666666666', 'PENDING_ACTIVATION')],
];

const ALL_IDS = PAGES.flat().map((listed) => listed.id);

const list = async (
  scope: OrganizationScope,
  organization = new FakeOrganization(PAGES, { 'ou-ab12-payments1': ['333333333333', '444444444444'] }),
  resourceControlPolicies = flatOrganization(ALL_IDS),
) => {
  const store = new MemoryReportStore();
  const deps: ListingDependencies = { lister: organization, resourceControlPolicies, partition: 'aws', store, reportsBucket: REPORTS_BUCKET, reportsPrefix: PREFIX, reportsKmsKeyArn: REPORTS_KEY, scope };
  const output = await listOrganizationAccounts(deps, RUN);
  const listing = (store.objects.get(LISTING_KEY) ?? '').split('\n');
  return { output, store, organization, accounts: JSON.parse(store.objects.get(ACCOUNTS_KEY) ?? 'null') as unknown, listing };
};

const member = (id: string) => ({ accountId: id, name: `team ${id}` });
/** An account straight under the root, with no RCP that denies anything above it. */
const uncovered = (id: string) => ({ kind: 'not-covered', path: [ROOT, id], attachments: [], missing: [...RCP_GUARANTEES] });
const audit = (id: string, rcp: unknown = uncovered(id)) => JSON.stringify({ ...member(id), scope: 'audit', accountStatus: 'ACTIVE', rcp });
const skipped = (id: string, accountStatus: string, reason: string) => JSON.stringify({ ...member(id), scope: 'skipped', accountStatus, reason });

describe('listOrganizationAccounts', () => {
  it('audits every ACTIVE account of the organization and lists the others as skipped, with why', async () => {
    const { output, store, accounts, listing, organization } = await list({});

    expect(accounts).toEqual([member('111111111111'), member('333333333333'), member('555555555555')]);
    expect(store.objects.get(ACCOUNTS_KEY)).toBe(
      '[{"accountId":"111111111111","name":"team 111111111111"},\n{"accountId":"333333333333","name":"team 333333333333"},\n{"accountId":"555555555555","name":"team 555555555555"}]\n',
    );
    expect(listing).toEqual([
      audit('111111111111'),
      skipped('222222222222', 'SUSPENDED', 'account is SUSPENDED: it has been closed'),
      audit('333333333333'),
      skipped('444444444444', 'PENDING_CLOSURE', 'account is PENDING_CLOSURE: it is being closed'),
      audit('555555555555'),
      skipped('666666666666', 'PENDING_ACTIVATION', 'account is PENDING_ACTIVATION: it is not yet ready for use'),
      '',
    ]);
    expect(output).toEqual({
      run: RUN,
      accounts: { bucket: REPORTS_BUCKET, key: ACCOUNTS_KEY, count: 3 },
      listing: { bucket: REPORTS_BUCKET, key: LISTING_KEY, count: 6, skipped: 3 },
      results: { bucket: REPORTS_BUCKET, prefix: `${BASE}map-results` },
    });
    // The whole organization needs no walk of its units.
    expect(organization.unitsAsked).toEqual([]);
  });

  it('writes only the two files, each under the reports key, with its content type', async () => {
    const { store } = await list({});

    expect(store.keys()).toEqual([ACCOUNTS_KEY, LISTING_KEY]);
    expect(Object.fromEntries(store.kmsKeys)).toEqual({ [ACCOUNTS_KEY]: REPORTS_KEY, [LISTING_KEY]: REPORTS_KEY });
    expect(Object.fromEntries(store.contentTypes)).toEqual({ [ACCOUNTS_KEY]: 'application/json', [LISTING_KEY]: 'application/x-ndjson' });
  });

  it('with ids and units, audits their union only, and says which id asked for is not in the organization', async () => {
    const { output, accounts, listing, organization } = await list({ accounts: ['999999999999', '111111111111', '222222222222'], organizationalUnits: ['ou-ab12-payments1'] });

    expect(organization.unitsAsked).toEqual([['ou-ab12-payments1']]);
    expect(accounts).toEqual([member('111111111111'), member('333333333333')]);
    expect(listing).toEqual([
      audit('111111111111'),
      skipped('222222222222', 'SUSPENDED', 'account is SUSPENDED: it has been closed'),
      audit('333333333333'),
      skipped('444444444444', 'PENDING_CLOSURE', 'account is PENDING_CLOSURE: it is being closed'),
      JSON.stringify({
        accountId: '999999999999',
        name: '',
        scope: 'skipped',
        accountStatus: 'NOT_LISTED',
        reason: 'asked for, but ListAccounts did not list it: it is not an account of this organization',
      }),
      '',
    ]);
    expect(output).toMatchObject({ accounts: { count: 2 }, listing: { count: 5, skipped: 3 } });
  });

  it('with units alone, audits the accounts under them', async () => {
    const { accounts, listing } = await list({ organizationalUnits: ['ou-ab12-payments1'] });

    expect(accounts).toEqual([member('333333333333')]);
    expect(listing).toEqual([audit('333333333333'), skipped('444444444444', 'PENDING_CLOSURE', 'account is PENDING_CLOSURE: it is being closed'), '']);
  });

  it('a scope that selects nothing leaves an empty array for the Map and an empty listing', async () => {
    const { output, store, accounts } = await list({ organizationalUnits: ['ou-ab12-emptyunit'] });

    expect(accounts).toEqual([]);
    expect(store.objects.get(ACCOUNTS_KEY)).toBe('[]\n');
    expect(store.objects.get(LISTING_KEY)).toBe('');
    expect(output).toMatchObject({ accounts: { count: 0 }, listing: { count: 0, skipped: 0 } });
  });

  it('fails, writing nothing, when the organization cannot be listed', async () => {
    const store = new MemoryReportStore();
    const failing: AccountLister = {
      // eslint-disable-next-line require-yield
      accountPages: async function* () {
        throw new Error('ListAccounts failed: AccessDeniedException (HTTP 400): not the management account');
      },
      accountIdsUnder: async () => new Set(),
    };

    await expect(
      listOrganizationAccounts({ lister: failing, resourceControlPolicies: flatOrganization([]), partition: 'aws', store, reportsBucket: REPORTS_BUCKET, reportsPrefix: PREFIX, reportsKmsKeyArn: REPORTS_KEY, scope: {} }, RUN),
    ).rejects.toThrow('ListAccounts failed: AccessDeniedException');
    expect(store.keys()).toEqual([]);
  });
});

describe('listOrganizationAccounts: each account’s RCP coverage on its line', () => {
  const GUARDED_OU = 'ou-ab12-guarded1';
  const guardrails = { id: 'p-guardrails1', name: 's3-encryption-guardrails', awsManaged: false, content: rcpText(organizationRcp({ acceptDsseKms: false })) };
  // AWS attaches RCPFullAWSAccess to the root and to every OU and account once RCPs are enabled: it denies nothing.
  const fullAccess = {
    id: 'p-RCPFullAWSAccess',
    name: 'RCPFullAWSAccess',
    awsManaged: true,
    content: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }),
    targets: [ROOT, GUARDED_OU, ...ALL_IDS],
  };
  const parentOf = { [GUARDED_OU]: ROOT, '111111111111': GUARDED_OU, '333333333333': GUARDED_OU, '555555555555': ROOT, [MANAGEMENT]: ROOT };
  const ORGANIZATION = new FakeOrganization([[account('111111111111'), account('333333333333'), account('555555555555'), account(MANAGEMENT)]]);

  it('is covered under the OU the RCP is attached to, not covered beside it, and never for the management account; only RCPs that deny something are asked for their targets', async () => {
    const policies = new FakeResourceControlPolicies({ policies: [fullAccess, { ...guardrails, targets: [GUARDED_OU] }], parentOf });

    const { listing } = await list({}, ORGANIZATION, policies);

    const covered = (id: string) => ({ kind: 'covered', path: [ROOT, GUARDED_OU, id], attachments: [{ target: GUARDED_OU, policies: ['s3-encryption-guardrails (p-guardrails1)'] }], requiredKeys: [] });
    expect(listing).toEqual([
      audit('111111111111', covered('111111111111')),
      audit('333333333333', covered('333333333333')),
      audit('555555555555', uncovered('555555555555')),
      audit(MANAGEMENT, { kind: 'management-account' }),
      '',
    ]);
    // Bounded by policies and the tree, whatever the number of accounts.
    expect(policies.calls).toEqual(['managementAccountId', 'roots', 'policies', 'targetsOf p-guardrails1', `parentsUnder ${ROOT}`]);
  });

  it('with RCPs not enabled on the root, says so on every line (the management account’s still says RCPs never apply to it) and reads no policy', async () => {
    const policies = new FakeResourceControlPolicies({ roots: [{ id: ROOT, rcpEnabled: false }], policies: [{ ...guardrails, targets: [ROOT] }], parentOf });

    const { listing } = await list({}, ORGANIZATION, policies);

    const notEnabled = { kind: 'not-enabled', roots: [ROOT] };
    expect(listing).toEqual([audit('111111111111', notEnabled), audit('333333333333', notEnabled), audit('555555555555', notEnabled), audit(MANAGEMENT, { kind: 'management-account' }), '']);
    expect(policies.calls).toEqual(['managementAccountId', 'roots']);
  });

  it('when a read fails, names the call and the error on every account in scope, and still lists and writes everything', async () => {
    const error = new AwsCallError('ListTargetsForPolicy', 'AccessDeniedException', 400, false, 'not allowed');
    const policies = new FakeResourceControlPolicies({ policies: [{ ...guardrails, targets: [GUARDED_OU] }], parentOf, fails: { call: 'targetsOf', error } });

    const { listing, accounts } = await list({}, ORGANIZATION, policies);

    const unreadable = { kind: 'unreadable', operation: 'ListTargetsForPolicy', code: 'AccessDeniedException', message: 'ListTargetsForPolicy failed: AccessDeniedException (HTTP 400): not allowed' };
    expect(listing).toEqual([
      audit('111111111111', unreadable),
      audit('333333333333', unreadable),
      audit('555555555555', unreadable),
      audit(MANAGEMENT, { kind: 'management-account' }),
      '',
    ]);
    expect(accounts).toEqual(['111111111111', '333333333333', '555555555555', MANAGEMENT].map(member));
  });

  it('when even the management account cannot be told, every account is unreadable, the management account too', async () => {
    const error = new AwsCallError('DescribeOrganization', 'TooManyRequestsException', 400, true, 'still throttled after 8 attempts: Rate exceeded');
    const policies = new FakeResourceControlPolicies({ parentOf, fails: { call: 'managementAccountId', error } });

    const { listing } = await list({}, ORGANIZATION, policies);

    const unreadable = { kind: 'unreadable', operation: 'DescribeOrganization', code: 'TooManyRequestsException', message: error.message };
    expect(listing).toEqual([...['111111111111', '333333333333', '555555555555', MANAGEMENT].map((id) => audit(id, unreadable)), '']);
    expect(policies.calls).toEqual(['managementAccountId']);
  });

  it('fails the step on a fault that is not an AWS answer', async () => {
    const policies = new FakeResourceControlPolicies({ parentOf, fails: { call: 'parentsUnder', error: new TypeError('cannot read properties of undefined') } });

    await expect(list({}, ORGANIZATION, policies)).rejects.toThrow('cannot read properties of undefined');
  });
});
