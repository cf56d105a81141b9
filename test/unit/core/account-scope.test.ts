import { describe, expect, it } from 'vitest';
import { onlyAccounts, requestedAccountsNotListed, scopeAccounts, WHOLE_ORGANIZATION } from '../../../shared/core/account-scope.js';
import type { OrganizationAccount } from '../../../shared/ports/account-lister.js';

const account = (id: string, status: string): OrganizationAccount => ({ id, name: `account ${id}`, status });

describe('scopeAccounts', () => {
  it('audits an ACTIVE account of the organization', () => {
    expect(scopeAccounts(account('111111111111', 'ACTIVE'), WHOLE_ORGANIZATION)).toEqual({ kind: 'audit' });
  });

  it('lists every other status as skipped, with a reason naming the status', () => {
    const decisions = ['SUSPENDED', 'PENDING_CLOSURE', 'CLOSED', 'PENDING_ACTIVATION', 'UNKNOWN', 'constructor', 'active'].map((status) =>
      scopeAccounts(account('111111111111', status), WHOLE_ORGANIZATION),
    );

    expect(decisions).toEqual([
      { kind: 'skipped', status: 'SUSPENDED', reason: 'account is SUSPENDED: it has been closed' },
      { kind: 'skipped', status: 'PENDING_CLOSURE', reason: 'account is PENDING_CLOSURE: it is being closed' },
      { kind: 'skipped', status: 'CLOSED', reason: 'account is CLOSED' },
      { kind: 'skipped', status: 'PENDING_ACTIVATION', reason: 'account is PENDING_ACTIVATION: it is not yet ready for use' },
      { kind: 'skipped', status: 'UNKNOWN', reason: 'account status is UNKNOWN, not ACTIVE' },
      { kind: 'skipped', status: 'constructor', reason: 'account status is constructor, not ACTIVE' },
      { kind: 'skipped', status: 'active', reason: 'account status is active, not ACTIVE' },
    ]);
  });

  it('puts an account the id filter leaves out out of scope, whatever its status', () => {
    const filter = onlyAccounts(['222222222222', '333333333333']);

    expect(scopeAccounts(account('111111111111', 'ACTIVE'), filter)).toEqual({ kind: 'out-of-scope' });
    expect(scopeAccounts(account('444444444444', 'SUSPENDED'), filter)).toEqual({ kind: 'out-of-scope' });
  });

  it('decides an account the id filter names by its status', () => {
    const filter = onlyAccounts(['222222222222', '333333333333']);

    expect(scopeAccounts(account('222222222222', 'ACTIVE'), filter)).toEqual({ kind: 'audit' });
    expect(scopeAccounts(account('333333333333', 'PENDING_CLOSURE'), filter)).toEqual({
      kind: 'skipped',
      status: 'PENDING_CLOSURE',
      reason: 'account is PENDING_CLOSURE: it is being closed',
    });
  });

  it('takes an empty id list literally: no account is in scope', () => {
    expect(scopeAccounts(account('111111111111', 'ACTIVE'), onlyAccounts([]))).toEqual({ kind: 'out-of-scope' });
  });
});

describe('requestedAccountsNotListed', () => {
  it('returns the ids asked for that were not listed, in the order asked, once each', () => {
    const filter = onlyAccounts(['999999999999', '111111111111', '888888888888', '999999999999', '22222222222']);

    expect(requestedAccountsNotListed(filter, ['111111111111', '333333333333', '444444444444'])).toEqual(['999999999999', '888888888888', '22222222222']);
  });

  it('returns nothing when every id asked for was listed, also from several pages', () => {
    const filter = onlyAccounts(['111111111111', '222222222222']);
    const pages = [[account('111111111111', 'ACTIVE')], [account('333333333333', 'ACTIVE'), account('222222222222', 'SUSPENDED')]];

    expect(requestedAccountsNotListed(filter, pages.flat().map((listed) => listed.id))).toEqual([]);
  });

  it('returns every id asked for when the organization listed none', () => {
    expect(requestedAccountsNotListed(onlyAccounts(['111111111111', '222222222222']), [])).toEqual(['111111111111', '222222222222']);
  });

  it('has nothing to report for the whole organization', () => {
    expect(requestedAccountsNotListed(WHOLE_ORGANIZATION, [])).toEqual([]);
  });
});
