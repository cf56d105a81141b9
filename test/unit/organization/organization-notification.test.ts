import { describe, expect, it } from 'vitest';
import { SNS_MESSAGE_BUDGET_BYTES, snsMessageBytes } from '../../../shared/adapters/sns-notification-publisher.js';
import { buildOrganizationNotification, type OrganizationNotificationInput } from '../../../shared/organization/organization-notification.js';
import type { AccountLine, OrganizationChange, OrganizationSummary } from '../../../shared/organization/organization-tally.js';

const RUN = { runId: '2026-03-01T030000Z', runDate: '2026-03-01', startedAt: '2026-03-01T03:00:00.000Z' };
const REPORT = {
  uri: 's3://org-reports/encryption-audit/organization/2026-03-01/2026-03-01T030000Z/organization-audit-2026-03-01T030000Z.json',
  consoleUrl: 'https://console.aws.amazon.com/s3/object/org-reports?region=us-east-1&prefix=x',
};

const summary = (overrides: Partial<OrganizationSummary> = {}): OrganizationSummary => ({
  accounts: { listed: 4, audited: 2, notAudited: 1, skipped: 1 },
  findings: 20,
  byStatus: { failed: 5, error: 1, fixed: 0, passed: 14, informational: 0 },
  failingBySeverity: { critical: 1, high: 4, medium: 1, low: 0, informational: 0 },
  highestFailingSeverity: 'critical',
  changes: { new: 2, changed: 0, resolved: 1, fixed: 0, unchanged: 3 },
  accountsWithChanges: 1,
  page: true,
  severity: 'critical',
  ...overrides,
});

const change = (accountId: string, index: number, severity: OrganizationChange['severity'] = 'high'): OrganizationChange => ({
  change: 'new',
  accountId,
  id: `s3-default-encryption-kms/${String(index).padStart(20, '0')}`,
  check: 's3-default-encryption-kms',
  severity,
  status: 'failed',
  resource: `arn:aws:s3:::bucket-${index}`,
  region: 'us-east-1',
  observed: `bucket-${index} default encryption is AES256 (SSE-S3), not SSE-KMS with the required key`,
});

const notAudited = (accountId: string): AccountLine => ({ accountId, name: `team ${accountId}`, status: 'not-audited', reasonCode: 'role-not-assumable', reason: 'AssumeRole was refused (AccessDenied)' });

const input = (overrides: Partial<OrganizationNotificationInput> = {}): OrganizationNotificationInput => ({
  run: RUN,
  summary: summary(),
  changes: [change('111111111111', 1, 'critical'), change('111111111111', 2)],
  notAudited: [notAudited('333333333333')],
  report: REPORT,
  measure: snsMessageBytes,
  budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
  ...overrides,
});

describe('buildOrganizationNotification', () => {
  it('tells on-call what changed and which accounts were not audited, for people and machines', () => {
    const notification = buildOrganizationNotification(input());

    expect(notification.subject).toBe('S3 encryption audit 2026-03-01 (org) [critical]: 1 not audited, 2 new, 0 changed, 1 resolved');
    expect(notification.text).toBe(
      [
        'S3 encryption audit 2026-03-01 of the organization (run 2026-03-01T030000Z)',
        '4 account(s): 2 audited, 1 not audited, 1 skipped.',
        '2 new, 0 changed, 0 fixed, 1 resolved in 1 account(s); 6 failing in all.',
        `Report: ${REPORT.uri}`,
        REPORT.consoleUrl,
        '',
        'NOT AUDITED (1)',
        '- 333333333333 team 333333333333: AssumeRole was refused (AccessDenied)',
        '',
        'NEW OR CHANGED (2)',
        '- [critical] new 111111111111 s3-default-encryption-kms arn:aws:s3:::bucket-1: bucket-1 default encryption is AES256 (SSE-S3), not SSE-KMS with the required key',
        '- [high] new 111111111111 s3-default-encryption-kms arn:aws:s3:::bucket-2: bucket-2 default encryption is AES256 (SSE-S3), not SSE-KMS with the required key',
      ].join('\n'),
    );
    expect(notification.document).toEqual({
      summary: { kind: 'organization-encryption-audit', runId: RUN.runId, runDate: RUN.runDate, ...summary(), report: REPORT },
      notAudited: [{ accountId: '333333333333', name: 'team 333333333333', reasonCode: 'role-not-assumable', reason: 'AssumeRole was refused (AccessDenied)' }],
      changes: [change('111111111111', 1, 'critical'), change('111111111111', 2)],
    });
    expect(notification.attributes).toEqual({ kind: 'organization-encryption-audit', page: 'true', severity: 'critical', changes: ['not-audited'] });
  });

  it('when nothing changed and every account was audited, says so and does not page', () => {
    const quiet = summary({
      accounts: { listed: 3, audited: 3, notAudited: 0, skipped: 0 },
      changes: { new: 0, changed: 0, resolved: 0, fixed: 0, unchanged: 6 },
      accountsWithChanges: 0,
      page: false,
      severity: 'none',
    });

    const notification = buildOrganizationNotification(input({ summary: quiet, changes: [], notAudited: [] }));

    expect(notification.subject).toBe('S3 encryption audit 2026-03-01 (org): 0 new, 0 changed, 0 resolved');
    expect(notification.text).toBe(
      [
        'S3 encryption audit 2026-03-01 of the organization (run 2026-03-01T030000Z)',
        '3 account(s): 3 audited, 0 not audited, 0 skipped.',
        '0 new, 0 changed, 0 fixed, 0 resolved in 0 account(s); 6 failing in all.',
        `Report: ${REPORT.uri}`,
        REPORT.consoleUrl,
        '',
        'Nothing new or changed, and every account in scope was audited.',
      ].join('\n'),
    );
    expect(notification.attributes).toEqual({ kind: 'organization-encryption-audit', page: 'false', severity: 'none' });
  });

  it('says when the report could not be written, and links none', () => {
    const notification = buildOrganizationNotification(input({ report: undefined, reportError: 'PutObject failed: AccessDenied' }));

    expect(notification.text).toContain('\nReport: not written (PutObject failed: AccessDenied)\n');
    expect(notification.document).toMatchObject({ summary: { reportError: 'PutObject failed: AccessDenied' } });
    expect((notification.document as { summary: object }).summary).not.toHaveProperty('report');
  });

  it('clips a long reason or observation, so one account cannot fill the message', () => {
    const long = { ...notAudited('333333333333'), reason: 'r'.repeat(1000) };
    const notification = buildOrganizationNotification(input({ notAudited: [long], changes: [{ ...change('111111111111', 1), observed: 'o'.repeat(1000) }] }));

    expect(notification.text).toContain(`- 333333333333 team 333333333333: ${'r'.repeat(299)}…\n`);
    expect(notification.text).toContain(`arn:aws:s3:::bucket-1: ${'o'.repeat(299)}…`);
    expect(notification.document).toMatchObject({ notAudited: [{ reason: `${'r'.repeat(299)}…` }], changes: [{ observed: `${'o'.repeat(299)}…` }] });
  });

  it('with 10,000 accounts not audited and 100,000 changes, still fits one SNS message and points to the report for the rest', () => {
    const accounts = Array.from({ length: 10_000 }, (_, index) => notAudited(String(100_000_000_000 + index)));
    const changes = Array.from({ length: 100_000 }, (_, index) => change(String(200_000_000_000 + (index % 5_000)), index));
    const huge = summary({
      accounts: { listed: 15_000, audited: 5_000, notAudited: 10_000, skipped: 0 },
      changes: { new: 100_000, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
      accountsWithChanges: 5_000,
      severity: 'high',
    });

    const notification = buildOrganizationNotification(input({ summary: huge, changes, notAudited: accounts }));

    expect(snsMessageBytes(notification)).toBeLessThanOrEqual(SNS_MESSAGE_BUDGET_BYTES);
    const document = notification.document as { notAudited: unknown[]; changes: OrganizationChange[] };
    expect(document.notAudited.length).toBeGreaterThan(0);
    expect(document.changes.length).toBeGreaterThan(0);
    // What is shown is the head of each list, as given (most severe first, as listed).
    expect(document.changes).toEqual(changes.slice(0, document.changes.length));
    expect(notification.text).toContain(`\nNOT AUDITED (10000)\n`);
    expect(notification.text).toContain(`\n- … and ${10_000 - document.notAudited.length} more in the report\n`);
    expect(notification.text).toContain(`\nNEW OR CHANGED (100000)\n`);
    expect(notification.text.endsWith(`\n- … and ${100_000 - document.changes.length} more in the report`)).toBe(true);
    expect(notification.subject).toBe('S3 encryption audit 2026-03-01 (org) [high]: 10000 not audited, 100000 new, 0 changed, 0 resolved');
    // Each halving renders the whole message again: seconds at this size (the merge hands over 50 of each).
  }, 60_000);
});
