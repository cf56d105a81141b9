// Findings, headers and histories for the HTML report's tests, with text that would be markup if
// it were ever written unescaped.
import { buildReportHeader, runIdentity, type ReportHeader } from '../../../shared/audit/audit-report.js';
import { CHECKS, type CheckId } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { diffFindings, type FindingChanges, type PreviousFinding } from '../../../shared/audit/diff-findings.js';
import { SEVERITIES, type Finding, type Severity } from '../../../shared/audit/finding.js';
import type { OrganizationSummary } from '../../../shared/organization/organization-tally.js';
import type { OrganizationHtmlAccount } from '../../../shared/report-html/render-organization-html.js';
import type { TrendPoint } from '../../../shared/report-html/trend-chart.js';
import { countFindings, previousOf } from '../../fixtures/whole-report.js';

export const ACCOUNT = '123456789012';
export const RUN = { ...runIdentity(new Date('2026-03-01T03:00:00Z')), accountId: ACCOUNT, region: 'us-east-1', requiredKey: { reference: 'alias/data', arn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111' } };

export const HOSTILE_OBJECT = 'arn:aws:s3:::b/inbox/<img src=x onerror=alert(1)>.txt';
export const HOSTILE_OBSERVED = `default encryption is <script>alert("x")</script> & 'AES256'`;
export const HOSTILE_TITLE = 'Bucket <b onmouseover="alert(1)">default</b> encryption';
export const HOSTILE_BUCKET = 'arn:aws:s3:::reports"><script>alert(2)</script>';

export const finding = (
  resource: string,
  status: Finding['status'],
  options: { check?: CheckId; severity?: Severity; observed?: string; title?: string; resourceType?: Finding['resourceType'] } = {},
): Finding =>
  makeFinding(CHECKS[options.check ?? 's3-default-encryption-kms'], {
    resource,
    region: 'us-east-1',
    status,
    observed: options.observed ?? `${status} observation`,
    expected: 'SSE-KMS with the required key',
    severity: options.severity,
    title: options.title,
    resourceType: options.resourceType,
  });

/** A bucket failing in several ways, an object whose key is markup, a key that passes, a fix. */
export const accountFindings = (): Finding[] => [
  finding(HOSTILE_BUCKET, 'failed', { severity: 'critical', observed: HOSTILE_OBSERVED, title: HOSTILE_TITLE }),
  finding(HOSTILE_BUCKET, 'passed', { check: 's3-bucket-key-enabled' }),
  finding(HOSTILE_BUCKET, 'error', { check: 's3-tls-only-policy', observed: 'GetBucketPolicy failed with AccessDenied' }),
  finding('arn:aws:s3:::logs', 'passed'),
  finding('arn:aws:s3:::logs', 'passed', { check: 's3-tls-only-policy' }),
  finding(HOSTILE_OBJECT, 'failed', { check: 's3-object-sample', resourceType: 'AwsS3Object', observed: `object ${HOSTILE_OBJECT} is SSE-S3` }),
  {
    ...finding('arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111', 'fixed', { check: 'kms-key-rotation', observed: 'rotation was off' }),
    fix: { action: 'EnableKeyRotation', before: 'rotation <off>', after: 'rotation every 365 days', outcome: 'applied' },
  },
];

/** The previous night: one failure still there but changed, one gone, one the same. */
export const previousFindings = (current: readonly Finding[]): PreviousFinding[] => {
  const [first, , tls] = current as [Finding, Finding, Finding];
  return [
    { ...previousOf(first), observed: 'default encryption was SSE-S3' },
    previousOf(tls),
    previousOf(finding('arn:aws:s3:::gone<i>bucket</i>', 'failed', { severity: 'high', observed: 'was <u>unencrypted</u>' })),
  ];
};

export const accountReport = (findings: readonly Finding[] = accountFindings()): { header: ReportHeader; changes: FindingChanges; findings: readonly Finding[] } => {
  const changes = diffFindings(findings, previousFindings(findings));
  const header = buildReportHeader({ run: RUN, counts: countFindings(findings), changes, buckets: 3, exemptBuckets: ['scratch<x>', 'archive'], keys: 1 });
  return { header, changes, findings };
};

/** Findings grouped by resource, in first-seen order: what a caller streams through resourceBlock. */
export const byResource = (findings: readonly Finding[]): Finding[][] => {
  const groups = new Map<string, Finding[]>();
  for (const item of findings) groups.set(item.resource, [...(groups.get(item.resource) ?? []), item]);
  return [...groups.values()];
};

const zeroes = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;

/** `count` nightly runs from 2026-01-01, failures varying night to night. */
export const trendPoints = (count: number, start = Date.parse('2026-01-01T03:00:00Z')): TrendPoint[] =>
  Array.from({ length: count }, (_, index) => {
    const startedAt = new Date(start + index * 86_400_000);
    return {
      runId: runIdentity(startedAt).runId,
      startedAt: startedAt.toISOString(),
      failingBySeverity: { ...zeroes(), critical: index % 3, high: 2 + (index % 5), medium: 4 + (index % 7), low: index % 2 },
    };
  });

export const organizationSummary = (overrides: Partial<OrganizationSummary> = {}): OrganizationSummary => ({
  accounts: { listed: 5, audited: 3, notAudited: 1, skipped: 1 },
  findings: 120,
  byStatus: { failed: 10, error: 2, fixed: 1, passed: 100, informational: 7 },
  failingBySeverity: { ...zeroes(), critical: 1, high: 5, medium: 6 },
  highestFailingSeverity: 'critical',
  changes: { new: 3, changed: 1, resolved: 2, fixed: 1, unchanged: 8 },
  accountsWithChanges: 2,
  page: true,
  severity: 'critical',
  ...overrides,
});

export const ORGANIZATION_RUN = { ...runIdentity(new Date('2026-03-01T03:00:00Z')), callerAccountId: '999999999999', region: 'us-east-1' };

export const organizationAccount = (accountId: string, overrides: Partial<OrganizationHtmlAccount> = {}): OrganizationHtmlAccount => ({
  accountId,
  name: `account ${accountId}`,
  status: 'audited',
  failing: 0,
  failingBySeverity: zeroes(),
  changes: { new: 0, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
  page: false,
  href: `${accountId}/2026-03-01/encryption-audit-2026-03-01T030000Z.html`,
  ...overrides,
});

/** The elements a report may contain: text, tables, disclosure and inline SVG; nothing that loads or runs. */
export const ALLOWED_ELEMENTS = new Set(
  (
    'html head meta title style body main header section h1 h2 h3 p dl dt dd code span strong time table caption thead tbody tr th td ' +
    'details summary a br ul li figure figcaption svg desc g rect text line path circle'
  ).split(' '),
);

/**
 * What would make a page other than inert text, read from the markup without a parser: every `<`
 * in text is escaped, so each literal `<` opens a real tag, and attribute values escape `>`.
 */
export const inertProblems = (page: string): string[] => {
  const problems: string[] = [];
  for (const [tag, name = ''] of page.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)[^>]*>/g)) {
    if (!ALLOWED_ELEMENTS.has(name.toLowerCase())) problems.push(`element ${name}: ${tag}`);
    if (/\s(src|style|srcset|background|action|formaction|xlink:href)\s*=/i.test(tag)) problems.push(`attribute: ${tag}`);
    if (/\son[a-z]+\s*=/i.test(tag)) problems.push(`event handler: ${tag}`);
    if (/https?:/i.test(tag) && !/^<a\s/i.test(tag)) problems.push(`URL outside a link: ${tag}`);
  }
  if (/<script/i.test(page)) problems.push('a script element');
  if (/<img/i.test(page)) problems.push('an img element');
  return problems;
};

/** Counts a character in text. */
export const occurrences = (text: string, character: string): number => text.split(character).length - 1;
