import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OrganizationsAccountLister } from '../../shared/adapters/organizations-account-lister.js';
import { onlyAccounts, requestedAccountsNotListed, scopeAccounts, WHOLE_ORGANIZATION } from '../../shared/core/account-scope.js';
import type { OrganizationAccount } from '../../shared/ports/account-lister.js';
import { motoClientConfig, startMotoServer, TEST_ACCOUNT, type MotoServer } from './support/moto-server.js';

/**
 * Listing an organization larger than one ListAccounts page (20) on moto's Organizations: a
 * management account, 24 members created with CreateAccount, one of them closed.
 *
 * moto answers a member account's ListAccounts with an empty list, where Organizations answers
 * AccessDeniedException; that refusal, and TooManyRequestsException, are covered by the adapter's
 * unit tests. moto also accepts MaxResults above 20, so a page of 20 here is the adapter's doing.
 */
const MEMBERS = 24;

interface Organization {
  readonly managementAccountId: string;
  readonly memberIds: readonly string[];
  readonly closedId: string;
}

describe('OrganizationsAccountLister against moto', () => {
  let moto: MotoServer;
  let organizations: OrganizationsClient;
  let organization: Organization;

  beforeAll(async () => {
    moto = await startMotoServer();
    organizations = new OrganizationsClient(motoClientConfig(moto.endpoint));
  });

  afterAll(async () => {
    organizations?.destroy();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const described = await organizations.send(new DescribeOrganizationCommand({}));
    const memberIds: string[] = [];
    for (let n = 1; n <= MEMBERS; n += 1) {
      // moto creates the account at once: the answer is already SUCCEEDED, with its id.
      const created = await organizations.send(new CreateAccountCommand({ AccountName: `member-${n}`, Email: `member-${n}@example.com` }));
      memberIds.push(created.CreateAccountStatus?.AccountId ?? '');
    }
    const closedId = memberIds[MEMBERS - 3] as string;
    await organizations.send(new CloseAccountCommand({ AccountId: closedId }));
    organization = { managementAccountId: described.Organization?.MasterAccountId ?? '', memberIds, closedId };
  });

  const listAll = async (): Promise<{ pages: number; accounts: OrganizationAccount[] }> => {
    const lister = new OrganizationsAccountLister(organizations);
    const accounts: OrganizationAccount[] = [];
    let pages = 0;
    for await (const page of lister.accountPages()) {
      pages += 1;
      accounts.push(...page);
    }
    return { pages, accounts };
  };

  it('lists the management account and every member exactly once, over more than one page of 20', async () => {
    const { managementAccountId, memberIds, closedId } = organization;
    expect(managementAccountId).toBe(TEST_ACCOUNT);
    expect(new Set(memberIds).size).toBe(MEMBERS);
    expect(memberIds).not.toContain(managementAccountId);
    // What moto itself holds, read in one page it allows beyond AWS's 20.
    const everything = await organizations.send(new ListAccountsCommand({ MaxResults: 1000 }));
    expect(everything.NextToken).toBeUndefined();
    expect(everything.Accounts).toHaveLength(1 + MEMBERS);

    const { pages, accounts } = await listAll();

    expect(pages).toBe(2);
    expect(accounts).toHaveLength(1 + MEMBERS);
    expect(accounts.map((listed) => listed.id).sort()).toEqual([managementAccountId, ...memberIds].sort());
    expect(accounts.find((listed) => listed.id === managementAccountId)).toMatchObject({ name: 'master', status: 'ACTIVE' });
    expect(accounts.find((listed) => listed.id === memberIds[0])).toEqual({ id: memberIds[0], name: 'member-1', email: 'member-1@example.com', status: 'ACTIVE' });

    const closed = accounts.filter((listed) => listed.status !== 'ACTIVE');
    expect(closed).toEqual([{ id: closedId, name: `member-${MEMBERS - 2}`, email: `member-${MEMBERS - 2}@example.com`, status: 'SUSPENDED' }]);
    expect(accounts.map((listed) => scopeAccounts(listed, WHOLE_ORGANIZATION))).toEqual(
      accounts.map((listed) =>
        listed.id === closedId ? { kind: 'skipped', status: 'SUSPENDED', reason: 'account is SUSPENDED: it has been closed' } : { kind: 'audit' },
      ),
    );
  });

  it('narrowed to account ids, scopes the ones listed and returns the ones the organization does not hold', async () => {
    const { memberIds, closedId } = organization;
    const absent = '999999999999';
    const filter = onlyAccounts([memberIds[0] as string, closedId, absent]);

    const { accounts } = await listAll();

    const scoped = new Map(accounts.map((listed) => [listed.id, scopeAccounts(listed, filter)]));
    expect(scoped.get(memberIds[0] as string)).toEqual({ kind: 'audit' });
    expect(scoped.get(closedId)).toMatchObject({ kind: 'skipped', status: 'SUSPENDED' });
    expect([...scoped.values()].filter((scope) => scope.kind === 'out-of-scope')).toHaveLength(accounts.length - 2);
    expect(requestedAccountsNotListed(filter, accounts.map((listed) => listed.id))).toEqual([absent]);
  });
});
