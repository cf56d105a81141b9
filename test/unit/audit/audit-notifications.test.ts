import { describe, expect, it } from 'vitest';
import { SNS_MESSAGE_BUDGET_BYTES, SNS_SUBJECT_LIMIT, snsMessageBytes } from '../../../shared/adapters/sns-notification-publisher.js';
import { buildAuditNotifications, type NotificationDocument } from '../../../shared/audit/audit-notifications.js';
import { reportLocation, runIdentity } from '../../../shared/audit/audit-report.js';
import { CHECKS } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { diffFindings, type PreviousFinding } from '../../../shared/audit/diff-findings.js';
import type { Finding } from '../../../shared/audit/finding.js';
import { buildReport, previousOf } from '../../fixtures/whole-report.js';

const run = { ...runIdentity(new Date('2026-03-02T03:00:00Z')), accountId: '123456789012', region: 'us-east-1', requiredKey: { reference: 'alias/data' } };
const location = reportLocation('reports', 'encryption-audit/', run, run.accountId, 'us-east-1', 'aws');
/** The HTML page in the S3 console: the link people follow from the summary. */
const HTML_CONSOLE_URL =
  'https://console.aws.amazon.com/s3/object/reports?region=us-east-1&prefix=encryption-audit%2F123456789012%2F2026-03-02%2Fencryption-audit-2026-03-02T030000Z.html';

const finding = (resource: string, status: Finding['status'], check: keyof typeof CHECKS = 's3-default-encryption-kms', observed = 'o', severity?: Finding['severity']): Finding =>
  makeFinding(CHECKS[check], { resource, region: 'us-east-1', status, observed, expected: 'e', severity });
const previous = previousOf;

const notificationsFor = (findings: Finding[], before: PreviousFinding[] | undefined, budgetBytes = SNS_MESSAGE_BUDGET_BYTES) => {
  const changes = diffFindings(findings, before);
  const report = buildReport({ run, location, findings, changes, buckets: 1, exemptBuckets: [], keys: 1 });
  return buildAuditNotifications({ report, changes, measure: snsMessageBytes, budgetBytes });
};

describe('buildAuditNotifications', () => {
  it('lists what changed, pages for new and changed failures, and links the report', () => {
    const before = [finding('known', 'failed'), finding('worse', 'failed', 'kms-key-state', 'Disabled', 'high'), finding('resolved', 'failed', 's3-tls-only-policy')].map(previous);
    const now = [
      finding('known', 'failed'),
      finding('worse', 'failed', 'kms-key-state', 'PendingDeletion (deletion on 2026-03-09)', 'critical'),
      finding('resolved', 'passed', 's3-tls-only-policy'),
      finding('new', 'failed', 's3-realtime-coverage'),
    ];
    const [notification, ...more] = notificationsFor(now, before);
    expect(more).toEqual([]);
    expect(notification?.subject).toBe('S3 encryption audit 2026-03-02 [critical]: 1 new, 1 changed, 1 resolved');
    expect(notification?.attributes).toEqual({
      kind: 'encryption-audit',
      page: 'true',
      severity: 'critical',
      checks: ['kms-key-state', 's3-realtime-coverage', 's3-tls-only-policy'],
      changes: ['changed', 'new', 'resolved'],
    });
    const document = notification?.document as NotificationDocument;
    expect(document.summary).toMatchObject({
      page: true,
      severity: 'critical',
      failing: 3,
      changes: { new: 1, changed: 1, resolved: 1, fixed: 0, unchanged: 1 },
      report: { uri: location.uri, consoleUrl: location.consoleUrl, html: HTML_CONSOLE_URL },
      part: 1,
      parts: 1,
    });
    expect(document.findings.map((item) => [item.resource, item.change, item.status, item.previous?.observed])).toEqual([
      ['worse', 'changed', 'failed', 'Disabled'],
      ['new', 'new', 'failed', undefined],
      ['resolved', 'resolved', 'passed', 'o'],
    ]);
    expect(notification?.text).toBe(
      [
        'S3 encryption audit 2026-03-02, account 123456789012',
        '1 new, 1 changed, 0 fixed, 1 resolved; 3 failing in all (1 known and unchanged).',
        `Report: ${location.uri}`,
        location.consoleUrl,
        `HTML report: ${HTML_CONSOLE_URL}`,
        '',
        'NEW (1)',
        '- [high] s3-realtime-coverage new: o',
        '',
        'CHANGED (1)',
        '- [critical] kms-key-state worse: PendingDeletion (deletion on 2026-03-09) (was high: Disabled)',
        '',
        'RESOLVED (1)',
        '- [medium] s3-tls-only-policy resolved: o',
      ].join('\n'),
    );
  });

  it('a quiet night is one summary that pages nobody', () => {
    const known = [finding('known', 'failed')];
    const [notification, ...more] = notificationsFor(known, known.map(previous));
    expect(more).toEqual([]);
    expect(notification?.subject).toBe('S3 encryption audit 2026-03-02: no changes, 1 known failing');
    expect(notification?.attributes).toEqual({ kind: 'encryption-audit', page: 'false', severity: 'none' });
    expect((notification?.document as NotificationDocument).findings).toEqual([]);
    expect(notification?.text).toContain('Nothing changed since the previous run.');
  });

  it('a resource that is gone lists its last finding as resolved', () => {
    const [notification] = notificationsFor([], [previous(finding('deleted-bucket', 'failed'))]);
    expect((notification?.document as NotificationDocument).findings).toMatchObject([{ resource: 'deleted-bucket', change: 'resolved', status: 'resolved' }]);
  });

  it('splits a big first run into parts that each fit SNS, every finding once, every part with the summary', () => {
    const observed = `a long observation ${'x'.repeat(1500)}`;
    const many = Array.from({ length: 400 }, (_, index) => finding(`arn:aws:s3:::bucket-${String(index).padStart(3, '0')}`, 'failed', 's3-tls-only-policy', observed));
    const notifications = notificationsFor(many, undefined);
    expect(notifications.length).toBeGreaterThan(1);
    const ids = notifications.flatMap((notification) => (notification.document as NotificationDocument).findings.map((item) => item.id));
    expect(ids.sort()).toEqual(many.map((item) => item.id).sort());
    notifications.forEach((notification, index) => {
      expect(snsMessageBytes(notification)).toBeLessThanOrEqual(SNS_MESSAGE_BUDGET_BYTES);
      expect(notification.subject.length).toBeLessThanOrEqual(SNS_SUBJECT_LIMIT);
      expect(notification.subject).toMatch(new RegExp(`\\(${index + 1}/${notifications.length}\\)$`));
      expect((notification.document as NotificationDocument).summary).toMatchObject({ part: index + 1, parts: notifications.length, page: true });
    });
    // Long observations are bounded: a finding describes a policy, it does not reproduce it.
    expect((notifications[0]?.document as NotificationDocument).findings[0]?.observed.length).toBeLessThanOrEqual(1000);
  });

  it('packs parts close to the budget instead of one finding each', () => {
    const many = Array.from({ length: 60 }, (_, index) => finding(`arn:aws:s3:::bucket-${index}`, 'failed'));
    const budget = 40_000;
    const notifications = notificationsFor(many, undefined, budget);
    for (const notification of notifications) expect(snsMessageBytes(notification)).toBeLessThanOrEqual(budget);
    const perPart = notifications.map((notification) => (notification.document as NotificationDocument).findings.length);
    expect(Math.min(...perPart.slice(0, -1))).toBeGreaterThan(1);
  });
});
