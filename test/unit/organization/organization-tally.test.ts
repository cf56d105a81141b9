import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEVERITIES, compareSeverity, compareText, type Severity } from '../../../shared/audit/finding.js';
import type { AccountResult } from '../../../shared/organization/account-result.js';
import { OrganizationTally, type AccountLine, type OrganizationChange } from '../../../shared/organization/organization-tally.js';

const change = (accountId: string, severity: Severity, id: string, check = 's3-default-encryption-kms'): OrganizationChange => ({
  change: 'new',
  accountId,
  id,
  check,
  severity,
  status: 'failed',
  resource: `arn:aws:s3:::${id}`,
  region: 'us-east-1',
  observed: `observed ${id}`,
});

const audited = (accountId: string, changes: Partial<Extract<AccountResult, { status: 'audited' }>['changes']> = {}): Extract<AccountResult, { status: 'audited' }> => ({
  accountId,
  name: `account ${accountId}`,
  status: 'audited',
  buckets: 1,
  keys: 1,
  findings: { failed: 0, error: 0, fixed: 0, passed: 0, informational: 0 },
  changes: { new: 0, changed: 0, resolved: 0, fixed: 0, unchanged: 0, ...changes },
  page: (changes.new ?? 0) + (changes.changed ?? 0) > 0,
  regions: { deployed: ['us-east-1'], absent: [], unreadable: [] },
});

const line = (accountId: string, status: AccountLine['status']): AccountLine => ({ accountId, name: `account ${accountId}`, status });

/** The order the summary promises: most severe first, then by account, check and id. */
const byImportance = (a: OrganizationChange, b: OrganizationChange): number =>
  compareSeverity(a.severity, b.severity) || compareText(a.accountId, b.accountId) || compareText(a.check, b.check) || compareText(a.id, b.id);

describe('OrganizationTally', () => {
  it('counts accounts by what happened to them, and the changes of the audited ones', () => {
    const tally = new OrganizationTally();
    tally.account(line('111111111111', 'audited'), audited('111111111111', { new: 2, resolved: 1, unchanged: 5 }));
    tally.account(line('222222222222', 'audited'), audited('222222222222', { changed: 1, fixed: 3 }));
    tally.account(line('333333333333', 'audited'), audited('333333333333', { unchanged: 4, resolved: 2 }));
    tally.account({ ...line('444444444444', 'not-audited'), reasonCode: 'throttled', reason: 'throttled' }, { accountId: '444444444444', name: '', status: 'not-audited', reason: { code: 'throttled', detail: 'throttled' } });
    tally.account({ ...line('555555555555', 'skipped'), reason: 'account is SUSPENDED: it has been closed' });

    expect(tally.summary()).toEqual({
      accounts: { listed: 5, audited: 3, notAudited: 1, skipped: 1 },
      findings: 0,
      byStatus: { failed: 0, error: 0, fixed: 0, passed: 0, informational: 0 },
      failingBySeverity: { critical: 0, high: 0, medium: 0, low: 0, informational: 0 },
      highestFailingSeverity: 'none',
      changes: { new: 2, changed: 1, resolved: 3, fixed: 3, unchanged: 9 },
      accountsWithChanges: 2,
      // The account nobody could read pages, at the severity of its org-account-audited finding.
      page: true,
      severity: 'high',
    });
    expect(tally.accountsNotAudited()).toEqual([{ ...line('444444444444', 'not-audited'), reasonCode: 'throttled', reason: 'throttled' }]);
  });

  it('counts findings by status, and failing ones by severity', () => {
    const tally = new OrganizationTally();
    for (const finding of [
      { status: 'failed', severity: 'critical' },
      { status: 'failed', severity: 'high' },
      { status: 'error', severity: 'medium' },
      { status: 'passed', severity: 'critical' },
      { status: 'fixed', severity: 'high' },
      { status: 'informational', severity: 'informational' },
    ] as const) {
      tally.finding(finding);
    }

    expect(tally.summary()).toMatchObject({
      findings: 6,
      byStatus: { failed: 2, error: 1, fixed: 1, passed: 1, informational: 1 },
      failingBySeverity: { critical: 1, high: 1, medium: 1, low: 0, informational: 0 },
      highestFailingSeverity: 'critical',
      page: false,
      severity: 'none',
    });
  });

  it('pages for any change, at the most severe one’s severity, whatever a failing finding that did not change is', () => {
    const tally = new OrganizationTally();
    tally.finding({ status: 'failed', severity: 'critical' });
    tally.change(change('111111111111', 'medium', 'a'));
    tally.change(change('222222222222', 'low', 'b'));

    expect(tally.summary()).toMatchObject({ page: true, severity: 'medium', highestFailingSeverity: 'critical' });
  });

  it('counts an organization finding of an account (org-rcp-coverage) with the accounts’ own, and pages only for a new or changed one', () => {
    const rcp = (accountId: string, status: 'failed' | 'passed' | 'error') => ({
      accountId,
      id: `org-rcp-coverage/${accountId}`,
      check: 'org-rcp-coverage',
      severity: 'medium' as const,
      status,
      resource: `AWS::::Account:${accountId}`,
      resourceType: 'AwsAccount' as const,
      region: 'us-east-1',
      title: 'RCPs',
      observed: `observed ${accountId}`,
      expected: 'covered',
      remediation: 'attach the RCP',
      controls: [],
    });
    const tally = new OrganizationTally();
    // Already counted among the accounts with changes for its own: not twice.
    tally.account(line('111111111111', 'audited'), audited('111111111111', { new: 1 }));
    tally.organizationFinding(rcp('111111111111', 'failed'), 'new');
    tally.account(line('222222222222', 'audited'), audited('222222222222'));
    tally.organizationFinding(rcp('222222222222', 'error'), 'changed');
    tally.account(line('333333333333', 'audited'), audited('333333333333'));
    tally.organizationFinding(rcp('333333333333', 'failed'), 'unchanged');
    tally.account(line('444444444444', 'audited'), audited('444444444444'));
    tally.organizationFinding(rcp('444444444444', 'passed'), 'resolved');
    tally.account(line('555555555555', 'audited'), audited('555555555555'));
    tally.organizationFinding(rcp('555555555555', 'passed'), undefined);

    expect(tally.summary()).toEqual({
      accounts: { listed: 5, audited: 5, notAudited: 0, skipped: 0 },
      findings: 5,
      byStatus: { failed: 2, error: 1, fixed: 0, passed: 2, informational: 0 },
      failingBySeverity: { critical: 0, high: 0, medium: 3, low: 0, informational: 0 },
      highestFailingSeverity: 'medium',
      changes: { new: 2, changed: 1, resolved: 1, fixed: 0, unchanged: 1 },
      accountsWithChanges: 2,
      page: true,
      severity: 'medium',
    });
    expect(tally.topChanges()).toEqual([
      { change: 'new', accountId: '111111111111', id: 'org-rcp-coverage/111111111111', check: 'org-rcp-coverage', severity: 'medium', status: 'failed', resource: 'AWS::::Account:111111111111', region: 'us-east-1', observed: 'observed 111111111111' },
      { change: 'changed', accountId: '222222222222', id: 'org-rcp-coverage/222222222222', check: 'org-rcp-coverage', severity: 'medium', status: 'error', resource: 'AWS::::Account:222222222222', region: 'us-east-1', observed: 'observed 222222222222' },
    ]);
  });

  it('keeps only the `keep` most important changes: most severe first, then by account, check and id', () => {
    const tally = new OrganizationTally(3);
    const changes = [
      change('222222222222', 'low', 'l1'),
      change('222222222222', 'high', 'h2', 'kms-key-state'),
      change('111111111111', 'medium', 'm1'),
      change('333333333333', 'critical', 'c3'),
      change('222222222222', 'high', 'h1', 's3-realtime-coverage'),
      change('111111111111', 'high', 'h0', 's3-realtime-coverage'),
      change('111111111111', 'informational', 'i1'),
    ];
    changes.forEach((item) => tally.change(item));

    expect(tally.topChanges()).toEqual([change('333333333333', 'critical', 'c3'), change('111111111111', 'high', 'h0', 's3-realtime-coverage'), change('222222222222', 'high', 'h2', 'kms-key-state')]);
    // Asking again changes nothing, and what is handed out is a copy.
    (tally.topChanges() as OrganizationChange[]).length = 0;
    expect(tally.topChanges().map((item) => item.id)).toEqual(['c3', 'h0', 'h2']);
    expect(tally.summary()).toMatchObject({ page: true, severity: 'critical' });
  });

  it('keeps the first `keep` accounts not audited, in the order listed, and counts all of them', () => {
    const tally = new OrganizationTally(2);
    for (const accountId of ['100000000003', '100000000001', '100000000002']) tally.account({ ...line(accountId, 'not-audited'), reasonCode: 'no-result', reason: 'none' });

    expect(tally.accountsNotAudited().map((account) => account.accountId)).toEqual(['100000000003', '100000000001']);
    expect(tally.summary().accounts).toEqual({ listed: 3, audited: 0, notAudited: 3, skipped: 0 });
  });

  it('for any stream of changes, keeps exactly the `keep` most important of all of them, in order', () => {
    const arbChange = fc.record({
      accountId: fc.constantFrom('111111111111', '222222222222', '333333333333'),
      severity: fc.constantFrom(...SEVERITIES),
      check: fc.constantFrom('s3-default-encryption-kms', 's3-realtime-coverage', 'kms-key-state'),
      change: fc.constantFrom('new' as const, 'changed' as const),
    });
    fc.assert(
      fc.property(fc.array(arbChange, { maxLength: 400 }), fc.integer({ min: 0, max: 60 }), (drawn, keep) => {
        // A finding's id is unique within its account, as the audit makes them.
        const changes = drawn.map((item, index) => ({ ...change(item.accountId, item.severity, `f${String(index).padStart(4, '0')}`, item.check), change: item.change }));
        const tally = new OrganizationTally(keep);
        changes.forEach((item) => tally.change(item));

        expect(tally.topChanges()).toEqual([...changes].sort(byImportance).slice(0, keep));
        const severities = changes.map((item) => item.severity);
        expect(tally.summary()).toMatchObject({ page: changes.length > 0, severity: SEVERITIES.find((severity) => severities.includes(severity)) ?? 'none' });
      }),
    );
  });
});
