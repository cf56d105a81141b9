import { Buffer } from 'node:buffer';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportFiles, type ReportBody } from '../../../functions/audit-encryption/report-files.js';
import { LocalReportSpool } from '../../../shared/adapters/local-report-spool.js';
import { buildReportHeader, runIdentity, type AuditReport } from '../../../shared/audit/audit-report.js';
import { CHECKS, type CheckId } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { FindingLedger } from '../../../shared/audit/diff-findings.js';
import { isFailing, type AccountFinding, type Finding } from '../../../shared/audit/finding.js';
import { accountHistoryEntry } from '../../../shared/audit/run-history.js';
import { toOcsfFinding, type OcsfContext } from '../../../shared/findings-export/ocsf-finding.js';
import { accountHtmlClosing, accountHtmlOpening, resourceBlock } from '../../../shared/report-html/render-account-html.js';
import { CONTENT_SECURITY_POLICY } from '../../../shared/report-html/page-frame.js';
import { renderReportMarkdown, reportJson } from '../../fixtures/whole-report.js';
import { renderTrend } from '../../../shared/report-html/trend-chart.js';

const ACCOUNT = '123456789012';
const run = { ...runIdentity(new Date('2026-03-01T03:00:00Z')), accountId: ACCOUNT, region: 'us-east-1', requiredKey: { reference: 'alias/data', arn: 'arn:k' } };
/** Each OCSF event's time: the run's start. */
const OCSF_CONTEXT: OcsfContext = { partition: 'aws', time: Date.parse(run.startedAt) };

/** A finding as the run hands it on: with its account, and the night it was first seen (this run's start unless given). */
const finding = (check: CheckId, resource: string, status: Finding['status'], observed = 'o', firstSeen = run.startedAt): AccountFinding => ({
  accountId: ACCOUNT,
  ...makeFinding(CHECKS[check], { resource, region: 'eu-central-1', status, observed, expected: 'e' }),
  firstSeen,
});

/** Findings in the order an audit makes them: bucket by bucket, each bucket's checks in order, keys last. */
const AUDITED: readonly AccountFinding[] = [
  finding('s3-default-encryption-kms', 'arn:aws:s3:::größe-bucket', 'passed', 'SSE-KMS → required key ✓', '2026-02-01T03:00:00.000Z'),
  finding('s3-tls-only-policy', 'arn:aws:s3:::größe-bucket', 'failed', 'no statement denies aws:SecureTransport false — „ü“', '2026-02-01T03:00:00.000Z'),
  finding('s3-default-encryption-kms', 'arn:aws:s3:::plain-bucket', 'failed', 'rule 1: SSE-S3 (AES256)'),
  finding('s3-tls-only-policy', 'arn:aws:s3:::plain-bucket', 'passed'),
  finding('s3-default-encryption-kms', 'arn:aws:s3:::locked-bucket', 'error', 'AccessDenied', '2026-02-28T03:00:00.000Z'),
  {
    ...finding('s3-default-encryption-kms', 'arn:aws:s3:::fixed-bucket', 'fixed', 'rule 1: SSE-S3 (AES256)'),
    fix: { action: 'PutBucketEncryption', before: 'rule 1: SSE-S3 (AES256)', after: 'SSE-KMS with arn:k', outcome: 'applied' },
  },
  finding('kms-key-rotation', 'arn:aws:kms:us-east-1:123456789012:key/k', 'failed', 'automatic rotation is off', '2025-11-30T03:00:00.000Z'),
  finding('kms-key-state', 'arn:aws:kms:us-east-1:123456789012:key/k', 'passed', 'o', '2025-11-30T03:00:00.000Z'),
];

/** Failing first, then the others, each in the order audited: the order the report keeps. */
const failingFirst = (findings: readonly AccountFinding[]): AccountFinding[] => [
  ...findings.filter((item) => isFailing(item.status)),
  ...findings.filter((item) => !isFailing(item.status)),
];

const collect = async (report: ReportBody): Promise<{ text: string; bytes: number }> => {
  const chunks: Buffer[] = [];
  for await (const chunk of report.body()) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  const bytes = Buffer.concat(chunks);
  return { text: bytes.toString('utf8'), bytes: bytes.length };
};

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'report-files-test-'));
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

const spoolDirectories = (): string[] => readdirSync(parent).map((name) => join(parent, name));

/** What the audit does: each finding to the ledger and to the files; then the header from the ledger. */
const record = (spool: LocalReportSpool, findings: readonly AccountFinding[]) => {
  const files = new ReportFiles(spool, OCSF_CONTEXT);
  const ledger = new FindingLedger(undefined);
  for (const item of findings) {
    ledger.record(item);
    files.add(item);
  }
  const counts = ledger.counts();
  const changes = ledger.changes(new Map());
  const header = buildReportHeader({ run, counts, changes, buckets: 4, exemptBuckets: ['scratch'], keys: 1 });
  return { files, counts, changes, header };
};

describe('ReportFiles on a LocalReportSpool', () => {
  it('the JSON body is the report, failing findings first, each group in the order audited; its length is in bytes', async () => {
    const spool = new LocalReportSpool({ parent });
    const { files, header } = record(spool, AUDITED);
    const json = files.json(header);
    const { text, bytes } = await collect(json);
    const expected: AuditReport = { ...header, findings: failingFirst(AUDITED) };
    expect(JSON.parse(text)).toEqual(expected);
    // Laid out exactly as reportJson lays out the whole report.
    expect(text).toBe(reportJson(expected));
    expect(json.contentLength).toBe(bytes);
    expect(bytes).toBeGreaterThan(text.length);
    await spool.discard();
  });

  it.each([
    ['only failing findings', AUDITED.filter((item) => isFailing(item.status))],
    ['no failing findings', AUDITED.filter((item) => !isFailing(item.status))],
    ['no findings at all', []],
  ])('the JSON body is valid with %s', async (_case, findings) => {
    const spool = new LocalReportSpool({ parent });
    const { files, header } = record(spool, findings);
    const json = files.json(header);
    const { text, bytes } = await collect(json);
    expect(JSON.parse(text)).toEqual({ ...header, findings: failingFirst(findings) });
    expect(json.contentLength).toBe(bytes);
    await spool.discard();
  });

  it('the Markdown body has each check’s section, failing rows before passing ones, as renderReportMarkdown writes it', async () => {
    const spool = new LocalReportSpool({ parent });
    const { files, header, changes, counts } = record(spool, AUDITED);
    const markdown = files.markdown(
      header,
      changes,
      counts,
      AUDITED.filter((item) => item.fix),
    );
    const { text, bytes } = await collect(markdown);
    expect(markdown.contentLength).toBe(bytes);
    expect(bytes).toBeGreaterThan(text.length);
    expect(text).toBe(renderReportMarkdown({ ...header, findings: AUDITED }, changes));

    const headings = text.split('\n').filter((line) => line.startsWith('### `'));
    expect(headings.map((line) => /`([^`]+)`/.exec(line)?.[1])).toEqual(['kms-key-rotation', 'kms-key-state', 's3-default-encryption-kms', 's3-tls-only-policy']);
    const section = (check: string): string[] => {
      const start = text.indexOf(`### \`${check}\``);
      const end = text.indexOf('\n### ', start + 1);
      return text
        .slice(start, end === -1 ? undefined : end)
        .split('\n')
        .filter((line) => /^\| (critical|high|medium|low|informational) \|/.test(line));
    };
    expect(section('s3-default-encryption-kms').map((line) => line.split(' | ').slice(1, 3).join(' '))).toEqual([
      'failed `arn:aws:s3:::plain-bucket`',
      'error `arn:aws:s3:::locked-bucket`',
      'passed `arn:aws:s3:::größe-bucket`',
      'fixed `arn:aws:s3:::fixed-bucket`',
    ]);
    expect(section('s3-tls-only-policy').map((line) => line.split(' | ').slice(1, 3).join(' '))).toEqual(['failed `arn:aws:s3:::größe-bucket`', 'passed `arn:aws:s3:::plain-bucket`']);
    expect(text).toContain('2 of 4 failing.');
    expect(text).toContain('## Fixes');
    expect(text).toContain('## Exempt buckets\n\n- `scratch`');
    await spool.discard();
  });

  it('holds more than it buffers: a large report comes back whole, with its exact length', async () => {
    const many = Array.from({ length: 400 }, (_, index) =>
      finding('s3-default-encryption-kms', `arn:aws:s3:::bucket-${index}`, index % 3 === 0 ? 'passed' : 'failed', `${'→'.repeat(200)} ${index}`),
    );
    const spool = new LocalReportSpool({ parent });
    const { files, header, changes, counts } = record(spool, many);
    const json = files.json(header);
    const markdown = files.markdown(header, changes, counts, []);
    const [jsonText, markdownText] = await Promise.all([collect(json), collect(markdown)]);
    expect(jsonText.bytes).toBeGreaterThan(3 * 64 * 1024);
    expect(json.contentLength).toBe(jsonText.bytes);
    expect((JSON.parse(jsonText.text) as AuditReport).findings).toEqual(failingFirst(many));
    expect(markdown.contentLength).toBe(markdownText.bytes);
    expect(markdownText.text).toBe(renderReportMarkdown({ ...header, findings: many }, changes));
    await spool.discard();
  });

  it('the OCSF body is one Compliance Finding event a finding, in the order audited, each with its first sighting', async () => {
    const spool = new LocalReportSpool({ parent });
    const { files } = record(spool, AUDITED);
    const ocsf = files.ocsfLines();
    const { text, bytes } = await collect(ocsf);
    expect(ocsf.contentLength).toBe(bytes);
    expect(text.endsWith('\n')).toBe(true);
    const events = text
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as ReturnType<typeof toOcsfFinding>);
    expect(events).toEqual(AUDITED.map((item) => JSON.parse(JSON.stringify(toOcsfFinding(item, OCSF_CONTEXT))) as unknown));
    expect(events.map((event) => event.finding_info.uid)).toEqual(AUDITED.map((item) => item.id));
    expect(events.map((event) => [event.class_uid, event.cloud.account.uid, event.time])).toEqual(AUDITED.map(() => [2003, ACCOUNT, Date.parse('2026-03-01T03:00:00Z')]));
    // Seen on an earlier night: an update; first seen tonight: created.
    expect(events.map((event) => [event.activity_name, event.finding_info.first_seen_time])).toEqual([
      ['Update', Date.parse('2026-02-01T03:00:00Z')],
      ['Update', Date.parse('2026-02-01T03:00:00Z')],
      ['Create', Date.parse('2026-03-01T03:00:00Z')],
      ['Create', Date.parse('2026-03-01T03:00:00Z')],
      ['Update', Date.parse('2026-02-28T03:00:00Z')],
      ['Create', Date.parse('2026-03-01T03:00:00Z')],
      ['Update', Date.parse('2025-11-30T03:00:00Z')],
      ['Update', Date.parse('2025-11-30T03:00:00Z')],
    ]);
    await spool.discard();
  });

  it('the HTML body is one self-contained page: a block a resource, resources with a failure first, then the fixes and the exempt buckets', async () => {
    const spool = new LocalReportSpool({ parent });
    const { files, header, changes, counts } = record(spool, AUDITED);
    const trend = [accountHistoryEntry(run, counts)];
    const fixes = AUDITED.filter((item) => item.fix);
    const page = files.html(header, changes, renderTrend(trend), fixes);
    const { text, bytes } = await collect(page);
    expect(page.contentLength).toBe(bytes);
    expect(bytes).toBeGreaterThan(text.length);
    const of = (resource: string) => AUDITED.filter((item) => item.resource === resource);
    // Buckets as they were audited, the key (gathered until the scan ends) after them; the resource without a failure last.
    expect(text).toBe(
      accountHtmlOpening(header, changes, renderTrend(trend)) +
        ['arn:aws:s3:::größe-bucket', 'arn:aws:s3:::plain-bucket', 'arn:aws:s3:::locked-bucket', 'arn:aws:kms:us-east-1:123456789012:key/k', 'arn:aws:s3:::fixed-bucket']
          .map((resource) => resourceBlock(of(resource)))
          .join('') +
        accountHtmlClosing(fixes, ['scratch']),
    );
    expect(text.startsWith('<!doctype html>\n')).toBe(true);
    expect(text.endsWith('</html>\n')).toBe(true);
    // Nothing on the page may load or run: the policy comes first, its quotes escaped in the attribute.
    expect(text).toContain(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY.replaceAll("'", '&#39;')}">`);
    expect(text).not.toMatch(/<script/i);
    expect(text.match(/<details class="resource"/g)).toHaveLength(5);
    await spool.discard();
  });
});

describe('LocalReportSpool', () => {
  it('keeps its files in a directory only this user can enter, and discard removes them all', async () => {
    const spool = new LocalReportSpool({ parent });
    const [directory] = spoolDirectories();
    expect(spoolDirectories()).toHaveLength(1);
    expect((statSync(directory as string).mode & 0o777).toString(8)).toBe('700');
    expect(directory).toMatch(/encryption-audit-[^/]+$/);

    const { files, header } = record(spool, AUDITED);
    await collect(files.json(header));
    const written = readdirSync(directory as string);
    expect(written.sort()).toEqual([
      'findings-failing.jsonl',
      'findings-other.jsonl',
      'findings.ocsf.jsonl',
      'resources-failing.html',
      'resources-other.html',
      'rows-failing-kms-key-rotation.md',
      'rows-failing-s3-default-encryption-kms.md',
      'rows-failing-s3-tls-only-policy.md',
      'rows-other-kms-key-state.md',
      'rows-other-s3-default-encryption-kms.md',
      'rows-other-s3-tls-only-policy.md',
    ]);
    for (const name of written) expect((statSync(join(directory as string, name)).mode & 0o777).toString(8)).toBe('600');

    await spool.discard();
    expect(existsSync(directory as string)).toBe(false);
    expect(spoolDirectories()).toEqual([]);
  });

  it('discards files that were never read, too', async () => {
    const spool = new LocalReportSpool({ parent });
    spool.file('unread.jsonl').append('{"a":1}\n');
    await spool.discard();
    expect(spoolDirectories()).toEqual([]);
  });

  it('counts appended bytes, reads them back in order, and refuses appends once read', async () => {
    const spool = new LocalReportSpool({ parent });
    const file = spool.file('notes.md');
    file.append('a → b\n');
    file.append('ü');
    expect(file.bytes).toBe(Buffer.byteLength('a → b\nü', 'utf8'));
    expect(spool.file('notes.md')).toBe(file);
    const chunks: Buffer[] = [];
    for await (const chunk of file.read()) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).toString('utf8')).toBe('a → b\nü');
    expect(() => file.append('more')).toThrow(/already read/);
    await spool.discard();
  });

  it('removes spools a stopped run left behind only when asked to, and nothing else', async () => {
    const leftover = mkdtempSync(join(parent, 'encryption-audit-'));
    writeFileSync(join(leftover, 'findings-failing.jsonl'), '{}\n');
    const unrelated = mkdtempSync(join(parent, 'something-else-'));

    const keeping = new LocalReportSpool({ parent });
    expect(existsSync(leftover)).toBe(true);
    await keeping.discard();

    const cleaning = new LocalReportSpool({ parent, removeLeftovers: true });
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(unrelated)).toBe(true);
    expect(spoolDirectories().filter((path) => path !== unrelated)).toHaveLength(1);
    await cleaning.discard();
    expect(spoolDirectories()).toEqual([unrelated]);
  });

  it('takes plain file names only', async () => {
    const spool = new LocalReportSpool({ parent });
    expect(() => spool.file('../escape.md')).toThrow('spool file names are plain file names, not "../escape.md"');
    expect(() => spool.file('sub/dir.md')).toThrow(/plain file names/);
    await spool.discard();
  });
});
