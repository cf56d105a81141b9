import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
  OrganizationsServiceException,
  type Account,
  type AccountStatus,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError } from '../../../shared/errors.js';
import { OrganizationsAccountLister, throttleDelayMs } from '../../../shared/adapters/organizations-account-lister.js';
import type { OrganizationAccount } from '../../../shared/ports/account-lister.js';

const organizations = mockClient(OrganizationsClient);

beforeEach(() => organizations.reset());

/** Every ListAccounts input, whole and in order. */
const inputs = () => organizations.commandCalls(ListAccountsCommand).map((call) => call.args[0].input);

const organizationsError = (name: string, httpStatusCode = 400, message = name): OrganizationsServiceException =>
  new OrganizationsServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

/** An account as ListAccounts sends it while AWS still sends both State and the Status it replaces. */
const account = (id: string, state: AccountStatus = 'ACTIVE'): Account => ({ Id: id, Name: `account ${id}`, Email: `${id}@example.com`, State: state, Status: state });

/** A lister whose pauses are recorded, not waited; the jitter always takes half of the ceiling. */
const recordingLister = (retry: { attempts?: number } = {}) => {
  const sleeps: number[] = [];
  const lister = new OrganizationsAccountLister(new OrganizationsClient({}), {
    ...retry,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { lister, sleeps };
};

const pagesOf = async (lister: OrganizationsAccountLister): Promise<(readonly OrganizationAccount[])[]> => {
  const pages: (readonly OrganizationAccount[])[] = [];
  for await (const page of lister.accountPages()) pages.push(page);
  return pages;
};

describe('OrganizationsAccountLister', () => {
  it('asks for pages of 20, the documented maximum, passing each NextToken along, and keeps id, name, email and status', async () => {
    organizations
      .on(ListAccountsCommand, { MaxResults: 20 })
      .resolves({ Accounts: [account('111111111111'), account('222222222222', 'SUSPENDED')], NextToken: 't1' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 't1' })
      .resolves({ Accounts: [account('333333333333', 'PENDING_CLOSURE')] });
    const { lister } = recordingLister();

    await expect(pagesOf(lister)).resolves.toEqual([
      [
        { id: '111111111111', name: 'account 111111111111', email: '111111111111@example.com', status: 'ACTIVE' },
        { id: '222222222222', name: 'account 222222222222', email: '222222222222@example.com', status: 'SUSPENDED' },
      ],
      [{ id: '333333333333', name: 'account 333333333333', email: '333333333333@example.com', status: 'PENDING_CLOSURE' }],
    ]);
    expect(inputs()).toEqual([{ MaxResults: 20 }, { MaxResults: 20, NextToken: 't1' }]);
  });

  it('follows NextToken through empty pages: an empty page is not the end of the organization', async () => {
    organizations
      .on(ListAccountsCommand, { MaxResults: 20 })
      .resolves({ Accounts: [], NextToken: 'e1' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 'e1' })
      .resolves({ NextToken: 'e2' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 'e2' })
      .resolves({ Accounts: [account('444444444444')], NextToken: 'e3' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 'e3' })
      .resolves({ Accounts: [], NextToken: 'e4' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 'e4' })
      .resolves({ Accounts: [account('555555555555')] });
    const { lister } = recordingLister();

    const pages = await pagesOf(lister);

    expect(pages.map((page) => page.map((listed) => listed.id))).toEqual([['444444444444'], ['555555555555']]);
    expect(inputs()).toEqual([
      { MaxResults: 20 },
      { MaxResults: 20, NextToken: 'e1' },
      { MaxResults: 20, NextToken: 'e2' },
      { MaxResults: 20, NextToken: 'e3' },
      { MaxResults: 20, NextToken: 'e4' },
    ]);
  });

  it('requests a page only when the one before has been taken', async () => {
    organizations
      .on(ListAccountsCommand, { MaxResults: 20 })
      .resolves({ Accounts: [account('111111111111')], NextToken: 't1' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 't1' })
      .resolves({ Accounts: [account('222222222222')] });
    const pages = recordingLister().lister.accountPages()[Symbol.asyncIterator]();

    await pages.next();

    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 1);
  });

  it('reads the account State, which replaced Status, and keeps a state it does not know as it is', async () => {
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '111111111111', Name: 'new', State: 'PENDING_ACTIVATION' },
        { Id: '222222222222', Name: 'old', Status: 'SUSPENDED' },
        { Id: '333333333333', Name: 'both', State: 'CLOSED', Status: 'SUSPENDED' },
        { Id: '444444444444' },
      ],
    });

    await expect(pagesOf(recordingLister().lister)).resolves.toEqual([
      [
        { id: '111111111111', name: 'new', status: 'PENDING_ACTIVATION' },
        { id: '222222222222', name: 'old', status: 'SUSPENDED' },
        { id: '333333333333', name: 'both', status: 'CLOSED' },
        { id: '444444444444', name: '444444444444', status: 'UNKNOWN' },
      ],
    ]);
  });

  it('fails, rather than dropping it, on an account listed without an id', async () => {
    organizations.on(ListAccountsCommand).resolves({ Accounts: [account('111111111111'), { Name: 'nameless' }] });

    await expect(pagesOf(recordingLister().lister)).rejects.toMatchObject({ name: 'AwsCallError', operation: 'ListAccounts', code: 'IncompleteAccount' });
  });

  it('retries TooManyRequestsException with jittered, doubling pauses, then carries on from the same token', async () => {
    organizations
      .on(ListAccountsCommand, { MaxResults: 20 })
      .resolves({ Accounts: [account('111111111111')], NextToken: 't1' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 't1' })
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .resolves({ Accounts: [account('222222222222')] });
    const { lister, sleeps } = recordingLister();

    const pages = await pagesOf(lister);

    expect(pages.map((page) => page.map((listed) => listed.id))).toEqual([['111111111111'], ['222222222222']]);
    expect(sleeps).toEqual([100, 200, 400]);
    expect(inputs()).toEqual([
      { MaxResults: 20 },
      { MaxResults: 20, NextToken: 't1' },
      { MaxResults: 20, NextToken: 't1' },
      { MaxResults: 20, NextToken: 't1' },
      { MaxResults: 20, NextToken: 't1' },
    ]);
  });

  it('gives each page its own attempts', async () => {
    organizations
      .on(ListAccountsCommand, { MaxResults: 20 })
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .resolves({ Accounts: [account('111111111111')], NextToken: 't1' })
      .on(ListAccountsCommand, { MaxResults: 20, NextToken: 't1' })
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .resolves({ Accounts: [account('222222222222')] });
    const { lister, sleeps } = recordingLister({ attempts: 2 });

    await expect(pagesOf(lister)).resolves.toHaveLength(2);
    expect(sleeps).toEqual([100, 100]);
  });

  it('throws a transient AwsCallError naming ListAccounts once the attempts are used up', async () => {
    const throttled = organizationsError('TooManyRequestsException', 400, 'AWS Organizations can not complete your request because another request is in progress.');
    organizations.on(ListAccountsCommand).rejects(throttled);
    const { lister, sleeps } = recordingLister();

    const failure = await pagesOf(lister).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({
      operation: 'ListAccounts',
      code: 'TooManyRequestsException',
      httpStatus: 400,
      transient: true,
      cause: throttled,
      message: expect.stringMatching(/^ListAccounts failed: TooManyRequestsException \(HTTP 400\): still throttled after 8 attempts: AWS Organizations can not complete/),
    });
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 8);
    // Seven pauses of half the ceiling: 200 ms doubling, capped at 10 s.
    expect(sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 5000]);
  });

  it('says that listing needs the management account or a delegated administrator when access is denied', async () => {
    organizations.on(ListAccountsCommand).rejects(organizationsError('AccessDeniedException', 400, 'You don’t have permissions to access this resource.'));
    const { lister, sleeps } = recordingLister();

    const failure = await pagesOf(lister).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({ operation: 'ListAccounts', code: 'AccessDeniedException', transient: false });
    expect((failure as Error).message).toMatch(/needs the management account or a delegated administrator/);
    expect((failure as Error).message).toMatch(/You don’t have permissions to access this resource\.$/);
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 1);
    expect(sleeps).toEqual([]);
  });

  it('throws other failures as they are, without retrying them itself', async () => {
    organizations.on(ListAccountsCommand).rejects(organizationsError('AWSOrganizationsNotInUseException'));
    const { lister, sleeps } = recordingLister();

    await expect(pagesOf(lister)).rejects.toMatchObject({ name: 'AwsCallError', operation: 'ListAccounts', code: 'AWSOrganizationsNotInUseException', transient: false });
    expect(sleeps).toEqual([]);
  });

  it('refuses a retry budget without a first attempt', () => {
    expect(() => new OrganizationsAccountLister(new OrganizationsClient({}), { attempts: 0 })).toThrow(RangeError);
  });
});

describe('OrganizationsAccountLister.accountIdsUnder', () => {
  /** Every call under the units, whole and in order: which operation, with which input. */
  const walk = () =>
    organizations
      .calls()
      .map((call) => call.args[0])
      .map((command) => [command instanceof ListAccountsForParentCommand ? 'accounts' : command instanceof ListOrganizationalUnitsForParentCommand ? 'units' : 'other', command.input]);

  /**
   * r-root holds two accounts (over two pages) and two units (over two pages); ou-root-dev holds
   * an account and a unit of its own; ou-dev-sandbox holds an account also named in r-root.
   */
  const organization = () =>
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'r-root', MaxResults: 20 })
      .resolves({ Accounts: [account('111111111111')], NextToken: 'a1' })
      .on(ListAccountsForParentCommand, { ParentId: 'r-root', MaxResults: 20, NextToken: 'a1' })
      .resolves({ Accounts: [account('222222222222')] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-root', MaxResults: 20 })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-root-dev', Name: 'dev' }], NextToken: 'u1' })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-root', MaxResults: 20, NextToken: 'u1' })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-root-prod', Name: 'prod' }] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-root-dev', MaxResults: 20 })
      .resolves({ Accounts: [account('333333333333')] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-root-dev', MaxResults: 20 })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-dev-sandbox', Name: 'sandbox' }] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-root-prod', MaxResults: 20 })
      .resolves({ Accounts: [] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-root-prod', MaxResults: 20 })
      .resolves({})
      .on(ListAccountsForParentCommand, { ParentId: 'ou-dev-sandbox', MaxResults: 20 })
      .resolves({ Accounts: [account('444444444444'), account('111111111111')] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-dev-sandbox', MaxResults: 20 })
      .resolves({ OrganizationalUnits: [] });

  it('gathers every account under a root, however deep, each once, following both lists’ pages', async () => {
    organization();

    const ids = await recordingLister().lister.accountIdsUnder(['r-root']);

    expect(ids).toEqual(new Set(['111111111111', '222222222222', '333333333333', '444444444444']));
    expect(walk()).toEqual([
      ['accounts', { ParentId: 'r-root', MaxResults: 20 }],
      ['accounts', { ParentId: 'r-root', MaxResults: 20, NextToken: 'a1' }],
      ['units', { ParentId: 'r-root', MaxResults: 20 }],
      ['units', { ParentId: 'r-root', MaxResults: 20, NextToken: 'u1' }],
      ['accounts', { ParentId: 'ou-root-dev', MaxResults: 20 }],
      ['units', { ParentId: 'ou-root-dev', MaxResults: 20 }],
      ['accounts', { ParentId: 'ou-root-prod', MaxResults: 20 }],
      ['units', { ParentId: 'ou-root-prod', MaxResults: 20 }],
      ['accounts', { ParentId: 'ou-dev-sandbox', MaxResults: 20 }],
      ['units', { ParentId: 'ou-dev-sandbox', MaxResults: 20 }],
    ]);
  });

  it('takes several units at once, and only what is under them', async () => {
    organization();

    await expect(recordingLister().lister.accountIdsUnder(['ou-dev-sandbox', 'ou-root-prod'])).resolves.toEqual(new Set(['444444444444', '111111111111']));
    expect(walk().map(([, input]) => (input as { ParentId: string }).ParentId)).toEqual(['ou-dev-sandbox', 'ou-dev-sandbox', 'ou-root-prod', 'ou-root-prod']);
  });

  it('no units, no calls, no accounts', async () => {
    await expect(recordingLister().lister.accountIdsUnder([])).resolves.toEqual(new Set());
    expect(walk()).toEqual([]);
  });

  it('retries a throttled page of either list with the same token, then carries on', async () => {
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-payments1', MaxResults: 20 })
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .resolves({ Accounts: [account('111111111111')], NextToken: 'a1' })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-payments1', MaxResults: 20, NextToken: 'a1' })
      .resolves({ Accounts: [account('222222222222')] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-payments1', MaxResults: 20 })
      .resolves({ NextToken: 'u1' })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-payments1', MaxResults: 20, NextToken: 'u1' })
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .resolves({ OrganizationalUnits: [] });
    const { lister, sleeps } = recordingLister();

    await expect(lister.accountIdsUnder(['ou-ab12-payments1'])).resolves.toEqual(new Set(['111111111111', '222222222222']));

    expect(sleeps).toEqual([100, 100, 200]);
    expect(walk()).toEqual([
      ['accounts', { ParentId: 'ou-ab12-payments1', MaxResults: 20 }],
      ['accounts', { ParentId: 'ou-ab12-payments1', MaxResults: 20 }],
      ['accounts', { ParentId: 'ou-ab12-payments1', MaxResults: 20, NextToken: 'a1' }],
      ['units', { ParentId: 'ou-ab12-payments1', MaxResults: 20 }],
      ['units', { ParentId: 'ou-ab12-payments1', MaxResults: 20, NextToken: 'u1' }],
      ['units', { ParentId: 'ou-ab12-payments1', MaxResults: 20, NextToken: 'u1' }],
      ['units', { ParentId: 'ou-ab12-payments1', MaxResults: 20, NextToken: 'u1' }],
    ]);
  });

  it('names the operation still throttled once the attempts are used up', async () => {
    organizations.on(ListAccountsForParentCommand).resolves({ Accounts: [] }).on(ListOrganizationalUnitsForParentCommand).rejects(organizationsError('TooManyRequestsException'));
    const { lister } = recordingLister({ attempts: 3 });

    await expect(lister.accountIdsUnder(['r-root'])).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'ListOrganizationalUnitsForParent',
      code: 'TooManyRequestsException',
      transient: true,
      message: expect.stringContaining('still throttled after 3 attempts'),
    });
  });

  it('says which permission listing a unit needs when access is denied', async () => {
    organizations.on(ListAccountsForParentCommand).rejects(organizationsError('AccessDeniedException', 400, 'not allowed'));

    const failure = await recordingLister()
      .lister.accountIdsUnder(['ou-ab12-payments1'])
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({ operation: 'ListAccountsForParent', code: 'AccessDeniedException', transient: false });
    expect((failure as Error).message).toMatch(/with organizations:ListAccountsForParent allowed .*: not allowed$/);
  });

  it('a unit that does not exist fails the listing rather than selecting nothing', async () => {
    organizations.on(ListAccountsForParentCommand).rejects(organizationsError('ParentNotFoundException', 400, 'We can’t find a root or OU with the ParentId that you specified.'));

    await expect(recordingLister().lister.accountIdsUnder(['ou-ab12-gone1234'])).rejects.toMatchObject({ operation: 'ListAccountsForParent', code: 'ParentNotFoundException' });
  });
});

describe('throttleDelayMs', () => {
  const retry = { baseDelayMs: 200, maxDelayMs: 10_000 };

  it('waits a random share of a ceiling that doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 6, 7, 20].map((throttled) => throttleDelayMs(throttled, { ...retry, random: () => 0.999 }))).toEqual([199, 399, 799, 6393, 9990, 9990]);
    expect(throttleDelayMs(5, { ...retry, random: () => 0 })).toBe(0);
  });
});
