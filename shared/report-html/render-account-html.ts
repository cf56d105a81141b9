import type { ReportHeader } from '../audit/audit-report.js';
import { CHECKS, type CheckId } from '../audit/checks-catalogue.js';
import type { FindingChanges, PreviousFinding } from '../audit/diff-findings.js';
import { FINDING_STATUSES, SEVERITIES, compareFindings, highestSeverity, isFailing, type Finding, type ResourceType, type Severity } from '../audit/finding.js';
import { html, joinMarkup, safeHref, trusted, type Interpolation, type Markup } from './html-escape.js';
import { PAGE_CLOSING, pageOpening } from './page-frame.js';

/** How a status reads in a sentence or a table. */
export const STATUS_LABELS: Readonly<Record<(typeof FINDING_STATUSES)[number], string>> = {
  failed: 'failed',
  error: 'could not be checked',
  fixed: 'fixed',
  passed: 'passed',
  informational: 'informational',
};

const RESOURCE_TYPE_LABELS: Readonly<Record<ResourceType, string>> = {
  AwsS3Bucket: 'S3 bucket',
  AwsKmsKey: 'KMS key',
  AwsS3Object: 'S3 object',
  AwsAccount: 'Account',
};

/** A severity as a badge; `none` where nothing fails, or the label given for that. */
export const severityBadge = (severity: Severity | 'none', noneLabel = 'none'): Markup =>
  html`<span class="sev sev-${severity}">${severity === 'none' ? noneLabel : severity}</span>`;

const statusCell = (status: Finding['status']): Markup => html`<span class="status-${status}">${STATUS_LABELS[status]}</span>`;

const checkTitle = (check: string): string | undefined => CHECKS[check as CheckId]?.title;

/** The in-page target of a finding's row in the drill-down. */
const findingAnchor = (id: string): string => `finding-${id}`;

type ChangeSubject = Pick<PreviousFinding, 'id' | 'severity' | 'check' | 'resource' | 'observed'>;

const changeRow = (subject: ChangeSubject, extra: Interpolation, linked: boolean): Markup =>
  html`<tr><td>${severityBadge(subject.severity)}</td><td>${linked ? html`<a href="#${findingAnchor(subject.id)}"><code>${subject.check}</code></a>` : html`<code>${subject.check}</code>`}</td><td><code>${subject.resource}</code></td><td>${subject.observed}</td>${extra}</tr>\n`;

const changeList = (title: string, rows: readonly Markup[], options: { readonly extraColumn?: string; readonly open?: boolean; readonly note?: string } = {}): Markup => {
  if (rows.length === 0) return html`<h3>${title} (0)</h3>\n<p class="muted">None.</p>\n`;
  return html`<details class="changes"${options.open === false ? '' : trusted(' open')}><summary><strong>${title}</strong> <span class="count">(${rows.length})</span></summary>
${options.note ? html`<p class="muted">${options.note}</p>` : ''}
<table><thead><tr><th scope="col">severity</th><th scope="col">check</th><th scope="col">resource</th><th scope="col">observed</th>${options.extraColumn ? html`<th scope="col">${options.extraColumn}</th>` : ''}</tr></thead>
<tbody>
${rows}</tbody></table>
</details>
`;
};

const changesSection = (changes: FindingChanges): Markup =>
  html`<section aria-labelledby="changes-heading">
<h2 id="changes-heading">Changes since the previous night</h2>
${changes.firstRun ? html`<p>No previous report: every failing finding is new.</p>\n` : ''}${changeList(
    'New',
    changes.new.map((finding) => changeRow(finding, '', true)),
    // On a first night the list is every failure: the drill-down below shows them by resource.
    changes.firstRun ? { open: false } : {},
  )}${changeList(
    'Changed',
    changes.changed.map(({ finding, previous }) => changeRow(finding, html`<td>${STATUS_LABELS[previous.status]}, ${previous.severity}: ${previous.observed}</td>`, true)),
    { extraColumn: 'previously' },
  )}${changeList(
    'Fixed by this run',
    changes.fixed.map((finding) => changeRow(finding, html`<td>${finding.fix?.after ?? ''}</td>`, true)),
    { extraColumn: 'after the fix' },
  )}${changeList(
    'Resolved',
    changes.resolved.map(({ previous, current }) =>
      changeRow(previous, html`<td>was ${STATUS_LABELS[previous.status]}; ${current ? `now ${STATUS_LABELS[current.status]}` : 'the resource is gone'}</td>`, false),
    ),
    { extraColumn: 'now' },
  )}</section>
`;

const countsTable = (header: ReportHeader): Markup => {
  const { byStatus, failingBySeverity } = header.summary;
  return html`<table class="counts"><thead><tr>${FINDING_STATUSES.map((status) => html`<th scope="col" class="number">${STATUS_LABELS[status]}</th>`)}</tr></thead>
<tbody><tr>${FINDING_STATUSES.map((status) => html`<td class="number">${byStatus[status]}</td>`)}</tr></tbody></table>
<table class="counts"><caption class="muted">Failing findings by severity</caption><thead><tr>${SEVERITIES.map((severity) => html`<th scope="col" class="number">${severity}</th>`)}</tr></thead>
<tbody><tr>${SEVERITIES.map((severity) => html`<td class="number">${failingBySeverity[severity]}</td>`)}</tr></tbody></table>
`;
};

const reportLocation = (location: NonNullable<ReportHeader['location']>): Markup => {
  const consoleLink = safeHref(location.consoleUrl);
  return html`<dt>Report</dt><dd><code>${location.uri}</code>${consoleLink ? html` <a href="${consoleLink}" rel="noreferrer">in the S3 console</a>` : ''}</dd>\n`;
};

const summarySection = (header: ReportHeader): Markup => {
  const { run, summary } = header;
  const key = run.requiredKey;
  return html`<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Summary</h2>
<dl class="facts">
<dt>Account</dt><dd><code>${run.accountId}</code></dd>
<dt>Run</dt><dd><code>${run.runId}</code> <span class="muted">started <time datetime="${run.startedAt}">${run.startedAt}</time></span></dd>
<dt>Region</dt><dd><code>${run.region}</code></dd>
<dt>Required key</dt><dd><code>${key.arn ?? key.reference}</code>${key.arn && key.arn !== key.reference ? html` <span class="muted">(${key.reference})</span>` : ''}</dd>
<dt>Audited</dt><dd>${summary.buckets} bucket(s) (${summary.bucketsExempt} exempt), ${summary.keys} key(s), ${summary.findings} finding(s)</dd>
<dt>Highest failing severity</dt><dd>${severityBadge(summary.highestFailingSeverity)}</dd>
${header.location ? reportLocation(header.location) : ''}<dt>Paged</dt><dd>${summary.page ? 'yes: new or changed failures' : 'no'}</dd>
</dl>
${countsTable(header)}</section>
`;
};

/**
 * The page up to the drill-down: the summary, what changed since the previous night and the trend.
 * Resource blocks follow (`resourceBlock`, one per bucket or key), then `accountHtmlClosing`: the
 * findings can be streamed through, a resource at a time, and never held together.
 */
export const accountHtmlOpening = (header: ReportHeader, changes: FindingChanges, trendMarkup: string): string => {
  const { run } = header;
  return (
    pageOpening(`S3 encryption audit ${run.runDate}, account ${run.accountId}`) +
    html`<header>
<h1>S3 encryption audit — ${run.runDate}</h1>
<p class="lead">Account <code>${run.accountId}</code>, run <code>${run.runId}</code> from <code>${run.region}</code>.</p>
</header>
${summarySection(header)}${changesSection(changes)}<section aria-labelledby="trend-heading">
<h2 id="trend-heading">Failing findings over time</h2>
${trusted(trendMarkup)}</section>
<section aria-labelledby="resources-heading">
<h2 id="resources-heading">Findings by resource</h2>
<p class="muted">Each bucket and key with its findings, failing ones first; resources with a failure are open.</p>
`.text
  );
};

const findingRow = (finding: Finding): Markup => {
  const title = checkTitle(finding.check);
  return html`<tr id="${findingAnchor(finding.id)}"${isFailing(finding.status) ? trusted(' class="failing"') : ''}><td>${severityBadge(finding.severity)}</td><td>${statusCell(finding.status)}</td><td><code>${finding.check}</code><br>${finding.title}${title && title !== finding.title ? html` <span class="muted">(${title})</span>` : ''}</td><td>${finding.observed}</td><td>${finding.expected}</td><td>${finding.remediation}</td><td><code>${finding.id}</code></td></tr>\n`;
};

/**
 * One bucket or key and its findings, all of one resource: open when any of them fails, its
 * summary saying how many fail and the worst of them.
 */
export const resourceBlock = (findings: readonly Finding[]): string => {
  const first = findings[0];
  if (first === undefined) return '';
  const failing = findings.filter((finding) => isFailing(finding.status));
  const worst = highestSeverity(failing.map((finding) => finding.severity)) ?? 'none';
  const regions = [...new Set(findings.map((finding) => finding.region).filter((region) => region !== ''))];
  return html`<details class="resource"${failing.length > 0 ? trusted(' open') : ''}><summary>${severityBadge(worst, 'no failures')} <span class="resource-type">${RESOURCE_TYPE_LABELS[first.resourceType] ?? first.resourceType}</span> <code>${first.resource}</code>${regions.length > 0 ? html` <span class="muted">${regions.join(', ')}</span>` : ''} <span class="count">${failing.length} failing of ${findings.length}</span></summary>
<table class="findings"><thead><tr><th scope="col">severity</th><th scope="col">status</th><th scope="col">check</th><th scope="col">observed</th><th scope="col">expected</th><th scope="col">remediation</th><th scope="col">id</th></tr></thead>
<tbody>
${[...findings].sort(compareFindings).map(findingRow)}</tbody></table>
</details>
`.text;
};

/** The end of the page: every fix the run attempted, the buckets the policy exempts. */
export const accountHtmlClosing = (fixes: readonly Finding[], exemptBuckets: readonly string[]): string => {
  const fixed = fixes.flatMap((finding) => (finding.fix ? [{ finding, fix: finding.fix }] : []));
  const parts: Interpolation[] = [trusted('</section>\n')];
  if (fixed.length > 0) {
    parts.push(html`<section aria-labelledby="fixes-heading">
<h2 id="fixes-heading">Fixes</h2>
<table><thead><tr><th scope="col">action</th><th scope="col">resource</th><th scope="col">outcome</th><th scope="col">before</th><th scope="col">after</th></tr></thead>
<tbody>
${fixed.map(
  ({ finding, fix }) =>
    html`<tr><td><code>${fix.action}</code></td><td><code>${finding.resource}</code></td><td class="${fix.outcome === 'failed' || fix.outcome === 'refused' ? 'status-failed' : fix.outcome === 'applied' ? 'status-fixed' : ''}">${fix.outcome}${fix.error ? `: ${fix.error}` : ''}</td><td>${fix.before}</td><td>${fix.after}</td></tr>\n`,
)}</tbody></table>
</section>
`);
  }
  if (exemptBuckets.length > 0) {
    parts.push(html`<section aria-labelledby="exempt-heading">
<h2 id="exempt-heading">Exempt buckets</h2>
<ul class="compact">${[...exemptBuckets].sort().map((bucket) => html`<li><code>${bucket}</code></li>`)}</ul>
</section>
`);
  }
  return joinMarkup(parts).text + PAGE_CLOSING;
};
