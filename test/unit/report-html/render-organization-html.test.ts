import { describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity } from '../../../shared/audit/finding.js';
import { escapeHtml } from '../../../shared/report-html/html-escape.js';
import { renderOrganizationHtml, type OrganizationHtmlAccount, type OrganizationHtmlInput } from '../../../shared/report-html/render-organization-html.js';
import { HOSTILE_OBJECT, ORGANIZATION_RUN, inertProblems, organizationAccount, organizationSummary, trendPoints } from './fixtures.js';
import { renderTrend } from '../../../shared/report-html/trend-chart.js';

const failing = (counts: Partial<Record<Severity, number>>): Pick<OrganizationHtmlAccount, 'failing' | 'failingBySeverity'> => {
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, counts[severity] ?? 0])) as Record<Severity, number>;
  return { failing: Object.values(bySeverity).reduce((sum, count) => sum + count, 0), failingBySeverity: bySeverity };
};

const render = (accounts: readonly OrganizationHtmlAccount[], overrides: Partial<OrganizationHtmlInput> = {}): string =>
  renderOrganizationHtml({ run: ORGANIZATION_RUN, summary: organizationSummary(), accounts, changes: [], trendMarkup: renderTrend(trendPoints(3)), ...overrides });

/** Account ids in the order of the accounts table's rows. */
const rowOrder = (page: string): string[] =>
  [...page.slice(page.indexOf('<table class="accounts">')).matchAll(/<tr(?: class="failing")?><td>(?:<a href="[^"]*">|<code>)(\d+)</g)].map(([, id = '']) => id);

describe('the organization page', () => {
  it('lists accounts worst first: not audited, then by worst severity, failing count and account id', () => {
    const page = render([
      organizationAccount('100000000001', failing({ high: 5 })),
      organizationAccount('100000000002', { status: 'not-audited', reasonCode: 'throttled', reason: 'throttled until retries ran out', failing: undefined, failingBySeverity: undefined }),
      organizationAccount('100000000003', failing({ critical: 1 })),
      organizationAccount('100000000004', failing({ high: 10 })),
      organizationAccount('100000000005', failing({})),
      organizationAccount('100000000006', { failing: 3, failingBySeverity: undefined }),
      organizationAccount('100000000007', { status: 'skipped', reason: 'SUSPENDED' }),
      organizationAccount('100000000008', failing({ high: 5 })),
      organizationAccount('100000000000', { status: 'not-audited', reasonCode: 'role-not-assumable', reason: 'AccessDenied', failing: undefined, failingBySeverity: undefined }),
      organizationAccount('100000000009', failing({ low: 40 })),
    ]);
    expect(rowOrder(page)).toEqual(['100000000000', '100000000002', '100000000003', '100000000004', '100000000001', '100000000008', '100000000009', '100000000006', '100000000005']);
    expect(page).toContain('<td class="status-not-audited">not audited</td>');
    expect(page).toContain('<td>throttled: throttled until retries ran out</td>');
  });

  it('lists skipped accounts compactly, apart', () => {
    const page = render([organizationAccount('100000000001'), organizationAccount('100000000007', { status: 'skipped', name: 'old <one>', reason: 'SUSPENDED' })]);
    expect(rowOrder(page)).toEqual(['100000000001']);
    expect(page).toContain('<details class="skipped"><summary>Skipped <span class="count">(1)</span></summary>\n<ul class="compact"><li><code>100000000007</code> old &lt;one&gt; <span class="muted">(SUSPENDED)</span></li></ul>');
  });

  it('links each account to its own page, relative or http(s), and drops any other link', () => {
    const page = render([
      organizationAccount('100000000001', { href: '100000000001/2026-03-01/encryption-audit-2026-03-01T030000Z.html' }),
      organizationAccount('100000000002', { href: 'https://reports.example.com/a?b=1&c="2"' }),
      organizationAccount('100000000003', { href: 'javascript:alert(document.domain)' }),
      organizationAccount('100000000004', { href: ' JaVaScRiPt:alert(1)' }),
      organizationAccount('100000000005', { href: 'data:text/html,<script>alert(1)</script>' }),
      organizationAccount('100000000006', { href: undefined }),
    ]);
    expect(page).toContain('<td><a href="100000000001/2026-03-01/encryption-audit-2026-03-01T030000Z.html">100000000001</a></td>');
    expect(page).toContain('<td><a href="https://reports.example.com/a?b=1&amp;c=&quot;2&quot;">100000000002</a></td>');
    for (const id of ['100000000003', '100000000004', '100000000005', '100000000006']) expect(page).toContain(`<td><code>${id}</code></td>`);
    expect(page).not.toMatch(/javascript|data:|<script/i);
    expect(inertProblems(page)).toEqual([]);
  });

  it('gives each account its failures by severity, its changes and what it lacks', () => {
    const page = render([
      organizationAccount('100000000001', {
        ...failing({ critical: 1, high: 2, low: 4 }),
        changes: { new: 2, changed: 0, resolved: 1, fixed: 0, unchanged: 3 },
        regionsWithoutEnforcer: ['eu-west-1', 'ap-south-1'],
      }),
    ]);
    expect(page).toContain(
      '<td><span class="sev sev-critical">critical</span></td><td>7</td><td>1</td><td>2</td><td>0</td><td>4</td><td>2 new, 1 resolved</td><td>no member stack in eu-west-1, ap-south-1</td></tr>',
    );
  });

  it('summarises the organization and shows the most severe changes, escaped', () => {
    const page = render([], {
      changes: [
        { change: 'new', accountId: '100000000001', id: 'x/1', check: 's3-default-encryption-kms', severity: 'critical', status: 'error', resource: HOSTILE_OBJECT, region: 'us-east-1', observed: `<script>alert('x')</script>` },
      ],
    });
    expect(page).toContain('<dd>5 listed: 3 audited, <strong>1 not audited</strong>, 1 skipped</dd>');
    expect(page).toContain('Most severe changes <span class="count">(1 shown)</span>');
    expect(page).toContain(`<td><code>${escapeHtml(HOSTILE_OBJECT)}</code></td><td>could not be checked</td><td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>`);
    expect(page).toContain('<p>No account was audited.</p>');
    expect(page.match(/<circle class="trend-point"/g)).toHaveLength(3);
    expect(inertProblems(page)).toEqual([]);
  });

  it('stays bounded: ten thousand accounts in under 5 MB', () => {
    const accounts = Array.from({ length: 10_000 }, (_, index) => {
      const accountId = String(100_000_000_000 + index);
      const base = {
        name: `workload-${index}-production-${['eu', 'us', 'ap'][index % 3]}`,
        href: `../${accountId}/2026-03-01/encryption-audit-2026-03-01T030000Z.html`,
        changes: { new: index % 4, changed: index % 3, resolved: index % 2, fixed: 0, unchanged: 12 },
      };
      if (index % 50 === 0) {
        return organizationAccount(accountId, { ...base, status: 'not-audited', reasonCode: 'role-not-assumable', reason: `AssumeRole of arn:aws:iam::${accountId}:role/EncryptionAuditRole was refused (AccessDenied)`, failing: undefined, failingBySeverity: undefined });
      }
      return organizationAccount(accountId, { ...base, ...failing({ critical: index % 2, high: index % 7, medium: index % 11, low: index % 5 }), regionsWithoutEnforcer: index % 9 === 0 ? ['eu-west-1'] : [] });
    });
    const page = render(accounts);
    expect(rowOrder(page)).toHaveLength(10_000);
    expect(Buffer.byteLength(page, 'utf8')).toBeLessThan(5 * 1024 * 1024);
  });
});
