import { describe, expect, it } from 'vitest';
import { buildReportHeader } from '../../../shared/audit/audit-report.js';
import { diffFindings } from '../../../shared/audit/diff-findings.js';
import { escapeHtml } from '../../../shared/report-html/html-escape.js';
import { accountHtmlClosing, accountHtmlOpening, resourceBlock } from '../../../shared/report-html/render-account-html.js';
import { countFindings } from '../../fixtures/whole-report.js';
import {
  HOSTILE_BUCKET,
  HOSTILE_OBJECT,
  HOSTILE_OBSERVED,
  HOSTILE_TITLE,
  RUN,
  accountFindings,
  accountReport,
  byResource,
  finding,
  inertProblems,
  trendPoints,
} from './fixtures.js';
import { renderTrend } from '../../../shared/report-html/trend-chart.js';

const accountPage = (): string => {
  const { header, changes, findings } = accountReport();
  return accountHtmlOpening(header, changes, renderTrend(trendPoints(3))) + byResource(findings).map(resourceBlock).join('') + accountHtmlClosing(findings, header.scope.exemptBuckets);
};

/** The text between a heading and the next heading of the same level or higher. */
const section = (page: string, heading: string): string => {
  const start = page.indexOf(heading);
  if (start < 0) throw new Error(`no ${heading}`);
  const next = page.slice(start + heading.length).search(/<h2|<details class="changes"|<h3/);
  return next < 0 ? page.slice(start) : page.slice(start, start + heading.length + next);
};

describe('the account page', () => {
  const page = accountPage();

  it('is one whole document: the frame, the summary, the changes, the trend, the resources, the fixes', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page.endsWith('</html>\n')).toBe(true);
    const order = ['<h2 id="summary-heading">', '<h2 id="changes-heading">Changes since the previous night', '<h2 id="trend-heading">', '<h2 id="resources-heading">', '<h2 id="fixes-heading">', '<h2 id="exempt-heading">'];
    const positions = order.map((heading) => page.indexOf(heading));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(page.match(/<section/g)).toHaveLength(page.match(/<\/section>/g)?.length ?? -1);
    expect(page.match(/<details/g)).toHaveLength(page.match(/<\/details>/g)?.length ?? -1);
  });

  it('summarises the run: account, run, region, required key, counts by status and the highest failing severity', () => {
    const summary = section(page, '<h2 id="summary-heading">');
    expect(summary).toContain('<dt>Account</dt><dd><code>123456789012</code></dd>');
    expect(summary).toContain('<code>2026-03-01T030000Z</code>');
    expect(summary).toContain('<dt>Region</dt><dd><code>us-east-1</code></dd>');
    expect(summary).toContain(`<code>${RUN.requiredKey.arn}</code> <span class="muted">(alias/data)</span>`);
    expect(summary).toContain('<span class="sev sev-critical">critical</span>');
    // failed, could not be checked, fixed, passed, informational
    expect(summary).toContain('<td class="number">2</td><td class="number">1</td><td class="number">1</td><td class="number">3</td><td class="number">0</td>');
  });

  it('lists what changed since the previous night: new, changed, fixed and resolved', () => {
    expect(section(page, '<strong>New</strong>')).toContain(escapeHtml(HOSTILE_OBJECT));
    const changed = section(page, '<strong>Changed</strong>');
    expect(changed).toContain(escapeHtml(HOSTILE_OBSERVED));
    expect(changed).toContain('failed, critical: default encryption was SSE-S3');
    expect(section(page, '<strong>Fixed by this run</strong>')).toContain('rotation every 365 days');
    const resolved = section(page, '<strong>Resolved</strong>');
    expect(resolved).toContain('arn:aws:s3:::gone&lt;i&gt;bucket&lt;/i&gt;');
    expect(resolved).toContain('was failed; the resource is gone');
    expect(page).not.toContain('No previous report');
  });

  it('links new and changed findings to their rows below', () => {
    const [bucketFailure] = accountFindings();
    expect(page).toContain(`<a href="#finding-${bucketFailure?.id}">`);
    expect(page).toContain(`<tr id="finding-${bucketFailure?.id}" class="failing">`);
  });

  it('draws the trend', () => {
    expect(page.match(/<circle class="trend-point"/g)).toHaveLength(3);
  });

  it('shows every hostile value as text, never as markup', () => {
    for (const text of [HOSTILE_OBJECT, HOSTILE_BUCKET, HOSTILE_OBSERVED, HOSTILE_TITLE, 'rotation <off>', 'scratch<x>']) expect(page).toContain(escapeHtml(text));
    expect(page).not.toMatch(/<img|<script|<b |<i>|<u>|<x>|<off>/i);
    expect(inertProblems(page)).toEqual([]);
  });

  it('has no script, no src, no inline style, and no URL outside links', () => {
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<[^>]*\ssrc=/i);
    expect(page).not.toMatch(/<[^>]*\sstyle=/i);
    expect(page).not.toMatch(/https?:/i);
  });

  it('says so on a first night, and folds the list of new findings (every failure) away', () => {
    const findings = accountFindings();
    const changes = diffFindings(findings, undefined);
    const header = buildReportHeader({ run: RUN, counts: countFindings(findings), changes, buckets: 3, exemptBuckets: [], keys: 1 });
    const opening = accountHtmlOpening(header, changes, renderTrend([]));
    expect(opening).toContain('<p>No previous report: every failing finding is new.</p>');
    expect(opening).toContain('<details class="changes"><summary><strong>New</strong> <span class="count">(3)</span>');
    expect(opening).toContain('<h3>Resolved (0)</h3>');
    expect(opening).toContain('No history yet');
  });

  it('links the report in the S3 console, and only over https', () => {
    const { header, changes } = accountReport();
    const location = { bucket: 'r', jsonKey: 'a.json', markdownKey: 'a.md', htmlKey: 'a.html', ocsfKey: 'a.ocsf', uri: 's3://r/a.json', htmlConsoleUrl: 'https://console.aws.amazon.com/s3/object/r?prefix=a.html' };
    const linked = accountHtmlOpening({ ...header, location: { ...location, consoleUrl: 'https://console.aws.amazon.com/s3/object/r?region=us-east-1&prefix=a.json' } }, changes, renderTrend([]));
    expect(linked).toContain('<a href="https://console.aws.amazon.com/s3/object/r?region=us-east-1&amp;prefix=a.json" rel="noreferrer">in the S3 console</a>');
    const unlinked = accountHtmlOpening({ ...header, location: { ...location, consoleUrl: 'javascript:alert(1)' } }, changes, renderTrend([]));
    expect(unlinked).toContain('<code>s3://r/a.json</code>');
    expect(unlinked).not.toContain('javascript');
  });
});

describe('resourceBlock', () => {
  it('opens a resource with a failure, saying how many fail of how many and the worst severity', () => {
    const block = resourceBlock(accountFindings().filter((item) => item.resource === HOSTILE_BUCKET));
    expect(block.startsWith('<details class="resource" open><summary><span class="sev sev-critical">critical</span> <span class="resource-type">S3 bucket</span>')).toBe(true);
    expect(block).toContain(`<code>${escapeHtml(HOSTILE_BUCKET)}</code>`);
    expect(block).toContain('<span class="muted">us-east-1</span> <span class="count">2 failing of 3</span></summary>');
  });

  it('lists failing findings first, each with severity, status, check and title, observed, expected, remediation and id', () => {
    const findings = accountFindings().filter((item) => item.resource === HOSTILE_BUCKET);
    const block = resourceBlock([...findings].reverse());
    const ids = [...block.matchAll(/<tr id="finding-([^"]+)"/g)].map(([, id]) => id);
    expect(ids).toEqual([findings[0]?.id, findings[2]?.id, findings[1]?.id]);
    const [failure] = findings;
    expect(block).toContain(
      `<td><span class="sev sev-critical">critical</span></td><td><span class="status-failed">failed</span></td><td><code>s3-default-encryption-kms</code><br>${escapeHtml(HOSTILE_TITLE)} <span class="muted">(Bucket default encryption is SSE-KMS with the required key)</span></td><td>${escapeHtml(HOSTILE_OBSERVED)}</td><td>SSE-KMS with the required key</td><td>${escapeHtml(failure?.remediation ?? '')}</td><td><code>${failure?.id}</code></td></tr>`,
    );
    expect(block).toContain('<span class="status-error">could not be checked</span>');
  });

  it('leaves a resource without failures closed', () => {
    const block = resourceBlock([finding('arn:aws:s3:::logs', 'passed'), finding('arn:aws:s3:::logs', 'informational', { check: 's3-tls-only-policy' })]);
    expect(block.startsWith('<details class="resource"><summary><span class="sev sev-none">no failures</span>')).toBe(true);
    expect(block).toContain('0 failing of 2');
  });

  it('names keys and objects as such', () => {
    expect(resourceBlock([finding('arn:aws:kms:us-east-1:123456789012:key/k', 'passed', { check: 'kms-key-rotation' })])).toContain('<span class="resource-type">KMS key</span>');
    expect(resourceBlock([finding(HOSTILE_OBJECT, 'failed', { check: 's3-object-sample', resourceType: 'AwsS3Object' })])).toContain('<span class="resource-type">S3 object</span>');
  });

  it('writes nothing for no findings', () => {
    expect(resourceBlock([])).toBe('');
  });
});

describe('accountHtmlClosing', () => {
  it('closes the drill-down, lists fixes with their outcome and the exempt buckets, sorted', () => {
    const fixed = {
      ...finding('arn:aws:s3:::a', 'failed'),
      fix: { action: 'PutBucketEncryption' as const, before: 'SSE-S3', after: 'SSE-KMS', outcome: 'failed' as const, error: 'AccessDenied <for> role' },
    };
    const closing = accountHtmlClosing([finding('arn:aws:s3:::b', 'passed'), fixed], ['zeta', 'alpha<1>']);
    expect(closing.startsWith('</section>\n<section aria-labelledby="fixes-heading">')).toBe(true);
    expect(closing).toContain('<tr><td><code>PutBucketEncryption</code></td><td><code>arn:aws:s3:::a</code></td><td class="status-failed">failed: AccessDenied &lt;for&gt; role</td><td>SSE-S3</td><td>SSE-KMS</td></tr>');
    expect(closing.match(/<tr>/g)).toHaveLength(2);
    expect(closing).toContain('<li><code>alpha&lt;1&gt;</code></li><li><code>zeta</code></li>');
    expect(closing.endsWith('</body>\n</html>\n')).toBe(true);
  });

  it('leaves out the sections with nothing in them', () => {
    expect(accountHtmlClosing([], [])).toBe('</section>\n</main>\n</body>\n</html>\n');
  });
});
