import { describe, expect, it } from 'vitest';
import { latestReportKey, legacyLatestReportKey, readPreviousReport, reportLocation, runIdentity } from '../../../shared/audit/audit-report.js';
import { diffFindings, needsPage } from '../../../shared/audit/diff-findings.js';
import { findingId, type Finding } from '../../../shared/audit/finding.js';
import { buildReport, previousOf as previous, renderReportMarkdown } from '../../fixtures/whole-report.js';
import { CHECKS } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';

const finding = (resource: string, status: Finding['status'], observed = 'o', severity?: Finding['severity']): Finding =>
  makeFinding(CHECKS['s3-default-encryption-kms'], { resource, region: 'us-east-1', status, observed, expected: 'e', severity });


describe('diffFindings', () => {
  it('with no previous report, everything failing is new and pages', () => {
    const changes = diffFindings([finding('a', 'failed'), finding('b', 'passed'), finding('c', 'error')], undefined);
    expect(changes.firstRun).toBe(true);
    expect(changes.new.map((item) => item.resource)).toEqual(['a', 'c']);
    expect(needsPage(changes)).toBe(true);
  });

  it('separates new, changed, unchanged, resolved and fixed', () => {
    const before = [finding('known', 'failed'), finding('worse', 'failed', 'o', 'medium'), finding('gone', 'failed'), finding('better', 'error'), finding('fixed', 'failed'), finding('was-ok', 'passed')];
    const now = [
      finding('known', 'failed'),
      finding('worse', 'failed', 'o', 'critical'),
      finding('better', 'passed'),
      finding('fixed', 'fixed'),
      finding('was-ok', 'failed'),
      finding('brand-new', 'error'),
    ];
    const changes = diffFindings(now, before.map(previous));
    expect(changes.new.map((item) => item.resource)).toEqual(['was-ok', 'brand-new']);
    expect(changes.changed.map(({ finding: item, previous: earlier }) => [item.resource, earlier.severity, item.severity])).toEqual([['worse', 'medium', 'critical']]);
    expect(changes.unchanged).toBe(1);
    // Resolved as a report lists them: most severe first, then by check and resource.
    expect(changes.resolved.map(({ previous: earlier, current }) => [earlier.resource, current?.status])).toEqual([
      ['better', 'passed'],
      ['gone', undefined],
    ]);
    expect(changes.fixed.map((item) => item.resource)).toEqual(['fixed']);
  });

  it('the same known failure does not page again', () => {
    const known = [finding('known', 'failed'), finding('other', 'error')];
    const changes = diffFindings(known, known.map(previous));
    expect(changes.unchanged).toBe(2);
    expect(needsPage(changes)).toBe(false);
  });

  it('a different observation, or error turning into failed, is a change', () => {
    const changes = diffFindings([finding('a', 'failed', 'now SSE-S3'), finding('b', 'failed')], [previous(finding('a', 'failed', 'was none')), previous(finding('b', 'error'))]);
    expect(changes.changed.map(({ finding: item }) => item.resource)).toEqual(['a', 'b']);
  });
});

describe('reports', () => {
  const run = { ...runIdentity(new Date('2026-03-01T03:00:07.123Z')), accountId: '123456789012', region: 'us-east-1', requiredKey: { reference: 'alias/data', arn: 'arn:k' } };

  it('identifies the run and files it under its date', () => {
    expect(runIdentity(new Date('2026-03-01T03:00:07.123Z'))).toEqual({ runId: '2026-03-01T030007Z', runDate: '2026-03-01', startedAt: '2026-03-01T03:00:07.123Z' });
    expect(reportLocation('reports', 'encryption-audit/', run, '123456789012', 'us-east-1', 'aws')).toEqual({
      bucket: 'reports',
      jsonKey: 'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030007Z.json',
      markdownKey: 'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030007Z.md',
      htmlKey: 'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030007Z.html',
      ocsfKey: 'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030007Z.ocsf.jsonl',
      uri: 's3://reports/encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030007Z.json',
      consoleUrl: 'https://console.aws.amazon.com/s3/object/reports?region=us-east-1&prefix=encryption-audit%2F123456789012%2F2026-03-01%2Fencryption-audit-2026-03-01T030007Z.json',
      htmlConsoleUrl: 'https://console.aws.amazon.com/s3/object/reports?region=us-east-1&prefix=encryption-audit%2F123456789012%2F2026-03-01%2Fencryption-audit-2026-03-01T030007Z.html',
    });
    expect(reportLocation('reports', 'a/', run, '123456789012', 'cn-north-1', 'aws-cn').consoleUrl).toMatch(/^https:\/\/console\.amazonaws\.cn\//);
    expect(reportLocation('reports', 'a/', run, '123456789012', 'cn-north-1', 'aws-cn').htmlConsoleUrl).toBe(
      'https://console.amazonaws.cn/s3/object/reports?region=cn-north-1&prefix=a%2F123456789012%2F2026-03-01%2Fencryption-audit-2026-03-01T030007Z.html',
    );
    // Two accounts' reports of the same run never share a key.
    expect(reportLocation('reports', 'a/', run, '111111111111', 'us-east-1', 'aws').jsonKey).not.toBe(reportLocation('reports', 'a/', run, '222222222222', 'us-east-1', 'aws').jsonKey);
    expect(latestReportKey('encryption-audit/', '123456789012')).toBe('encryption-audit/123456789012/latest.json');
    expect(legacyLatestReportKey('encryption-audit/')).toBe('encryption-audit/latest.json');
  });

  it('summarises, and reads back as the next run state', () => {
    const findings = [{ ...finding('a', 'failed', 'o', 'critical'), firstSeen: '2026-02-14T03:00:00.000Z' }, finding('b', 'passed'), finding('c', 'error')];
    const changes = diffFindings(findings, undefined);
    const report = buildReport({ run, findings, changes, buckets: 3, exemptBuckets: ['z', 'y'], keys: 1 });
    expect(report.summary).toEqual({
      buckets: 3,
      bucketsExempt: 2,
      keys: 1,
      findings: 3,
      byStatus: { failed: 1, error: 1, fixed: 0, passed: 1, informational: 0 },
      failingBySeverity: { critical: 1, high: 1, medium: 0, low: 0, informational: 0 },
      highestFailingSeverity: 'critical',
      changes: { new: 2, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
      page: true,
    });
    expect(report.scope.exemptBuckets).toEqual(['y', 'z']);
    // Failing first (most severe first), then the rest.
    expect(report.findings.map((item) => item.resource)).toEqual(['a', 'c', 'b']);
    const [a, b, c] = findings as [Finding, Finding, Finding];
    const read = readPreviousReport(JSON.stringify(report));
    // The next run reads back each finding's resource type, and its first sighting where it has one.
    expect(read).toEqual({
      kind: 'found',
      runId: '2026-03-01T030007Z',
      accountId: '123456789012',
      startedAt: '2026-03-01T03:00:07.123Z',
      findings: [
        { ...previous(a), resourceType: 'AwsS3Bucket', firstSeen: '2026-02-14T03:00:00.000Z' },
        { ...previous(c), resourceType: 'AwsS3Bucket' },
        { ...previous(b), resourceType: 'AwsS3Bucket' },
      ],
    });
  });

  it('drops malformed findings and checks it no longer knows; refuses what is not a report', () => {
    const text = JSON.stringify({
      kind: 'encryption-audit-report',
      run: { runId: 'r' },
      findings: [previous(finding('a', 'failed')), { ...previous(finding('b', 'failed')), check: 'retired-check', id: findingId('retired-check', 'b') }, { id: 'x' }],
    });
    expect(readPreviousReport(text)).toEqual({ kind: 'found', runId: 'r', findings: [previous(finding('a', 'failed'))] });
    // A first sighting or a resource type it cannot read is left out; so is a start that is not a time.
    const unreadableExtras = JSON.stringify({
      kind: 'encryption-audit-report',
      run: { runId: 'r', startedAt: 'last night' },
      findings: [{ ...previous(finding('a', 'failed')), firstSeen: 'yesterday', resourceType: 'AwsEc2Instance' }],
    });
    expect(readPreviousReport(unreadableExtras)).toEqual({ kind: 'found', runId: 'r', findings: [previous(finding('a', 'failed'))] });
    expect(readPreviousReport('{')).toEqual({ kind: 'unreadable', reason: 'the previous report is not valid JSON' });
    expect(readPreviousReport('{"kind":"other"}')).toEqual({ kind: 'unreadable', reason: 'the previous report is not an encryption-audit-report' });
  });

  it('reads a finding back with its fields in one order, the order a report writes a resolved one in', () => {
    const full = { ...previous(finding('a', 'failed')), accountId: '123456789012', resourceType: 'AwsS3Bucket', firstSeen: '2026-02-14T03:00:00.000Z' };
    const read = readPreviousReport(JSON.stringify({ kind: 'encryption-audit-report', run: { runId: 'r' }, findings: [full, previous(finding('b', 'passed'))] }));
    const [first, second] = read.kind === 'found' ? read.findings : [];
    const rest = ['id', 'check', 'severity', 'status', 'resource', 'region', 'title', 'observed', 'expected', 'remediation'];
    expect(Object.keys(first ?? {})).toEqual(['accountId', 'resourceType', 'firstSeen', ...rest]);
    expect(Object.keys(second ?? {})).toEqual(rest);
  });

  it('renders Markdown that no observed text can break', () => {
    const nasty = finding('arn:aws:s3:::a', 'failed', 'statement "x|y":\nit has `code`');
    const report = buildReport({ run, findings: [nasty], changes: diffFindings([nasty], undefined), buckets: 1, exemptBuckets: [], keys: 0 });
    const markdown = renderReportMarkdown(report, diffFindings([nasty], undefined));
    expect(markdown).toContain('# S3 encryption audit — 2026-03-01');
    expect(markdown).toContain('### New (1)');
    expect(markdown).toContain('| high | failed | `arn:aws:s3:::a` | us-east-1 | statement "x\\|y": it has `code` | e |');
    expect(markdown.split('\n').filter((line) => line.startsWith('| high')).every((line) => line.split(/(?<!\\)\|/).length === 9)).toBe(true);
  });
});
