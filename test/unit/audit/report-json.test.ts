import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  buildReportHeader,
  runIdentity,
  scanPreviousReport,
  type AuditReport,
  type PreviousReportScan,
} from '../../../shared/audit/audit-report.js';
import { CHECKS, type CheckId } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { diffFindings, type PreviousFinding } from '../../../shared/audit/diff-findings.js';
import { findingId, type Finding } from '../../../shared/audit/finding.js';
import { buildReport, countFindings, previousOf as previous, reportJson } from '../../fixtures/whole-report.js';

const finding = (resource: string, status: Finding['status'], observed = 'o', options: { severity?: Finding['severity']; check?: CheckId } = {}): Finding =>
  makeFinding(CHECKS[options.check ?? 's3-default-encryption-kms'], { resource, region: 'us-east-1', status, observed, expected: 'e', severity: options.severity });


const run = { ...runIdentity(new Date('2026-03-01T03:00:00Z')), accountId: '123456789012', region: 'us-east-1', requiredKey: { reference: 'alias/data', arn: 'arn:k' } };

/** As the run writes them: each finding with the night it was first seen. */
const FINDINGS = [
  { ...finding('arn:aws:s3:::passing', 'passed'), firstSeen: '2026-01-10T03:00:00.000Z' },
  // Text that would end a line, a list or the document if it were not escaped.
  { ...finding('arn:aws:s3:::tricky', 'failed', 'statement "x",\n]}\r\n{"kind":"encryption-audit-report"},', { severity: 'critical' }), firstSeen: '2026-02-20T03:00:00.000Z' },
  { ...finding('arn:aws:s3:::bücket→', 'error', 'zugriff verweigert — ü → ✓ \u2028 next', { check: 's3-tls-only-policy' }), firstSeen: '2026-03-01T03:00:00.000Z' },
  { ...finding('arn:aws:kms:us-east-1:123456789012:key/k', 'fixed', 'rotation was off', { check: 'kms-key-rotation' }), firstSeen: '2025-12-31T03:00:00.000Z' },
];

/** What the next night reads back of a finding: what a report keeps, with its resource type and first sighting. */
const readBack = (item: Finding): PreviousFinding => ({ ...previous(item), resourceType: item.resourceType, ...(item.firstSeen ? { firstSeen: item.firstSeen } : {}) });

/** A report as an earlier version wrote it: its findings carried no first sighting. */
const withoutFirstSeen = (report: AuditReport): AuditReport => ({ ...report, findings: report.findings.map(({ firstSeen: _dropped, ...rest }) => rest) });

const FOUND = { kind: 'found', runId: '2026-03-01T030000Z', accountId: '123456789012', startedAt: '2026-03-01T03:00:00.000Z' };

const reportOf = (findings: readonly Finding[]): AuditReport =>
  buildReport({ run, findings, changes: diffFindings(findings, undefined), buckets: 3, exemptBuckets: ['scratch'], keys: 1 });

/** Lines as the store hands them over: read with readline from a stream of the text. */
const linesOf = (text: string): AsyncIterable<string> => createInterface({ input: Readable.from([Buffer.from(text, 'utf8')]), crlfDelay: Infinity });

const scan = async (text: string): Promise<{ result: PreviousReportScan; findings: PreviousFinding[] }> => {
  const findings: PreviousFinding[] = [];
  const result = await scanPreviousReport(linesOf(text), (item) => findings.push(item));
  return { result, findings };
};

describe('reportJson', () => {
  it('is one valid JSON document equal to the report, laid out a finding a line', () => {
    const report = reportOf(FINDINGS);
    const text = reportJson(report);
    expect(JSON.parse(text)).toEqual(report);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\{"kind":"encryption-audit-report","schemaVersion":1,"run":\{.*\},$/);
    expect(lines[1]).toBe('"findings":[');
    expect(lines.slice(2, -2).map((line) => JSON.parse(line.replace(/,$/, '')) as Finding)).toEqual(report.findings);
    expect(lines.slice(-2)).toEqual([']}', '']);
  });

  it('a report without findings is valid JSON too, and reads back', async () => {
    const report = reportOf([]);
    const text = reportJson(report);
    expect(JSON.parse(text)).toEqual(report);
    await expect(scan(text)).resolves.toEqual({ result: FOUND, findings: [] });
  });
});

describe('scanPreviousReport', () => {
  it('reads back every finding of the layout reportJson writes, in order, with the run id and when the run started', async () => {
    const report = reportOf(FINDINGS);
    const { result, findings } = await scan(reportJson(report));
    expect(result).toEqual(FOUND);
    expect(findings).toEqual(report.findings.map(readBack));
    expect(findings.map((item) => [item.resource, item.resourceType, item.firstSeen])).toEqual([
      ['arn:aws:s3:::tricky', 'AwsS3Bucket', '2026-02-20T03:00:00.000Z'],
      ['arn:aws:s3:::bücket→', 'AwsS3Bucket', '2026-03-01T03:00:00.000Z'],
      ['arn:aws:s3:::passing', 'AwsS3Bucket', '2026-01-10T03:00:00.000Z'],
      ['arn:aws:kms:us-east-1:123456789012:key/k', 'AwsKmsKey', '2025-12-31T03:00:00.000Z'],
    ]);
  });

  it('still reads a report an earlier version pretty-printed, whose findings carry no first sighting', async () => {
    const report = withoutFirstSeen(reportOf(FINDINGS));
    const { result, findings } = await scan(JSON.stringify(report, null, 2));
    expect(result).toEqual(FOUND);
    expect(findings).toEqual(report.findings.map((item) => ({ ...previous(item), resourceType: item.resourceType })));
    expect(findings.some((item) => 'firstSeen' in item)).toBe(false);
    // And one written on a single line.
    await expect(scan(JSON.stringify(report))).resolves.toEqual({ result, findings });
  });

  it('skips findings of checks this version does not know, and malformed ones; a report without a run id reads as run "unknown"', async () => {
    const known = finding('arn:aws:s3:::a', 'failed');
    const retired = { ...known, check: 'retired-check', id: findingId('retired-check', 'arn:aws:s3:::a') };
    const header: Record<string, unknown> = { ...buildReportHeader({ run, counts: countFindings([known]), changes: diffFindings([known], undefined), buckets: 1, exemptBuckets: [], keys: 0 }) };
    delete header['run'];
    const lines = [`${JSON.stringify(header).slice(0, -1)},`, '"findings":[', `${JSON.stringify(known)},`, `${JSON.stringify(retired)},`, `${JSON.stringify({ id: 'x' })},`, JSON.stringify({ ...known, status: 'odd' }), ']}'];
    await expect(scan(lines.join('\n'))).resolves.toEqual({ result: { kind: 'found', runId: 'unknown' }, findings: [readBack(known)] });
    const pretty = JSON.stringify({ kind: 'encryption-audit-report', run: { runId: 'r' }, findings: [known, retired, { id: 'x' }] }, null, 2);
    await expect(scan(pretty)).resolves.toEqual({ result: { kind: 'found', runId: 'r' }, findings: [readBack(known)] });
    // A first sighting, a resource type or a start it cannot read is left out, not guessed.
    const odd = { ...known, firstSeen: 'a while ago', resourceType: 'AwsEc2Instance' };
    const oddLines = [`${JSON.stringify({ kind: 'encryption-audit-report', run: { runId: 'r', startedAt: 'last night' } }).slice(0, -1)},`, '"findings":[', JSON.stringify(odd), ']}'];
    await expect(scan(oddLines.join('\n'))).resolves.toEqual({ result: { kind: 'found', runId: 'r' }, findings: [previous(known)] });
  });

  describe('says why a report cannot be read', () => {
    const text = reportJson(reportOf(FINDINGS));
    const lines = text.split('\n');
    it.each([
      ['not JSON at all', 'this is not a report\n', 'the previous report is not valid JSON'],
      ['empty', '', 'the previous report is not valid JSON'],
      ['pretty-printed, cut short', JSON.stringify(reportOf(FINDINGS), null, 2).slice(0, 200), 'the previous report is not valid JSON'],
      ['another kind of document (line layout)', text.replace('"kind":"encryption-audit-report"', '"kind":"something-else"'), 'the previous report is not an encryption-audit-report'],
      ['another kind of document (whole)', JSON.stringify({ kind: 'something-else', findings: [] }, null, 2), 'the previous report is not an encryption-audit-report'],
      ['no findings list (whole)', JSON.stringify({ kind: 'encryption-audit-report' }), 'the previous report is not an encryption-audit-report'],
      ['no findings list where one belongs', [lines[0], '"results":[', ...lines.slice(2)].join('\n'), 'the previous report has no findings list where one belongs'],
      ['truncated before ]}', lines.slice(0, -2).join('\n'), 'the previous report ends before its findings do'],
      ['truncated in the middle of a finding', [lines[0], lines[1], lines[2]?.slice(0, 40)].join('\n'), 'line 3 of the previous report is not valid JSON'],
      ['text after its end', `${text}{"more":true}\n`, 'the previous report has text after its end'],
    ])('%s', async (_case, input, reason) => {
      await expect(scan(input).then(({ result }) => result)).resolves.toEqual({ kind: 'unreadable', reason });
    });
  });
});

describe('buildReportHeader', () => {
  it('summarises the counts and the changes, without the findings', () => {
    const before = [finding('known', 'failed'), finding('worse', 'failed', 'o', { severity: 'medium' }), finding('gone', 'error')];
    const now = [
      finding('known', 'failed'),
      finding('worse', 'failed', 'o', { severity: 'critical' }),
      finding('new', 'error', 'o', { check: 's3-tls-only-policy' }),
      finding('fixed', 'fixed'),
      finding('fine', 'passed'),
      finding('info', 'informational', 'o', { check: 's3-object-sample' }),
    ];
    const changes = diffFindings(now, before.map(previous));
    const location = { bucket: 'reports', jsonKey: 'a.json', markdownKey: 'a.md', htmlKey: 'a.html', ocsfKey: 'a.ocsf.jsonl', uri: 's3://reports/a.json', consoleUrl: 'https://console/a', htmlConsoleUrl: 'https://console/a.html' };
    const header = buildReportHeader({ run, location, counts: countFindings(now), changes, buckets: 4, exemptBuckets: ['z-scratch', 'a-scratch'], keys: 2 });
    expect(header).toEqual({
      kind: 'encryption-audit-report',
      schemaVersion: 1,
      run,
      location,
      summary: {
        buckets: 4,
        bucketsExempt: 2,
        keys: 2,
        findings: 6,
        byStatus: { failed: 2, error: 1, fixed: 1, passed: 1, informational: 1 },
        failingBySeverity: { critical: 1, high: 1, medium: 1, low: 0, informational: 0 },
        highestFailingSeverity: 'critical',
        changes: { new: 1, changed: 1, resolved: 1, fixed: 1, unchanged: 1 },
        page: true,
      },
      scope: { exemptBuckets: ['a-scratch', 'z-scratch'] },
      changes: {
        firstRun: false,
        new: [now[2]?.id],
        changed: [now[1]?.id],
        resolved: [previous(before[2] as Finding)],
        fixed: [now[3]?.id],
      },
    });
    expect(header).not.toHaveProperty('findings');
  });

  it('with nothing failing and nothing new: no page, no failing severity, and no location when there is none', () => {
    const now = [finding('fine', 'passed'), finding('known', 'failed')];
    const header = buildReportHeader({ run, counts: countFindings([now[0] as Finding]), changes: diffFindings([], undefined), buckets: 1, exemptBuckets: [], keys: 0 });
    expect(header.summary).toMatchObject({ findings: 1, highestFailingSeverity: 'none', page: false, changes: { new: 0, changed: 0, resolved: 0, fixed: 0, unchanged: 0 } });
    expect(header).not.toHaveProperty('location');
    // A known failure, unchanged, is counted and does not page.
    const known = buildReportHeader({ run, counts: countFindings(now), changes: diffFindings(now, now.map(previous)), buckets: 1, exemptBuckets: [], keys: 0 });
    expect(known.summary).toMatchObject({ highestFailingSeverity: 'high', page: false, changes: { new: 0, changed: 0, unchanged: 1 } });
  });
});
