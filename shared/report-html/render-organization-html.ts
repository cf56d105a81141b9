import { SEVERITIES, compareSeverity, compareText, highestSeverity, type Severity } from '../audit/finding.js';
import type { OrganizationRun } from '../organization/organization-run.js';
import type { AccountLine, OrganizationChange, OrganizationSummary } from '../organization/organization-tally.js';
import { html, safeHref, trusted, type Markup } from './html-escape.js';
import { PAGE_CLOSING, pageOpening } from './page-frame.js';
import { STATUS_LABELS, severityBadge } from './render-account-html.js';
import { TREND_SEVERITIES } from './trend-points.js';

/** An account as the organization page lists it: its line, its failures by severity, and its own page. */
export type OrganizationHtmlAccount = AccountLine & {
  readonly failingBySeverity?: Readonly<Record<Severity, number>> | undefined;
  /** The account's own HTML page, relative to this one or absolute (http or https only). */
  readonly href?: string | undefined;
};

export interface OrganizationHtmlInput {
  readonly run: OrganizationRun & { readonly callerAccountId: string; readonly region: string };
  readonly summary: OrganizationSummary;
  readonly accounts: readonly OrganizationHtmlAccount[];
  /** The most severe new or changed failures, as the tally keeps them. */
  readonly changes: readonly OrganizationChange[];
  /** The organization's trend, as trend-chart.ts's renderTrend draws it. */
  readonly trendMarkup: string;
}

/** The worst severity an account fails with, when its line says. */
const worstOf = (account: OrganizationHtmlAccount): Severity | undefined =>
  account.failingBySeverity ? highestSeverity(SEVERITIES.filter((severity) => (account.failingBySeverity?.[severity] ?? 0) > 0)) : undefined;

/**
 * Worst first: accounts nobody could audit (nothing about them is known), then by the most severe
 * failure, the number of failures, and the account id.
 */
export const compareAccountsWorstFirst = (a: OrganizationHtmlAccount, b: OrganizationHtmlAccount): number => {
  const notAudited = Number(b.status === 'not-audited') - Number(a.status === 'not-audited');
  if (notAudited !== 0) return notAudited;
  const worstA = worstOf(a);
  const worstB = worstOf(b);
  const bySeverity = worstA === undefined || worstB === undefined ? Number(worstA === undefined) - Number(worstB === undefined) : compareSeverity(worstA, worstB);
  return bySeverity || (b.failing ?? 0) - (a.failing ?? 0) || compareText(a.accountId, b.accountId);
};

const accountCell = (account: OrganizationHtmlAccount): Markup => {
  const href = account.href === undefined ? undefined : safeHref(account.href);
  return href === undefined ? html`<code>${account.accountId}</code>` : html`<a href="${href}">${account.accountId}</a>`;
};

const changesText = (account: OrganizationHtmlAccount): string => {
  const changes = account.changes;
  if (!changes) return '';
  const parts = (['new', 'changed', 'resolved', 'fixed'] as const).filter((kind) => changes[kind] > 0).map((kind) => `${changes[kind]} ${kind}`);
  return parts.join(', ');
};

const noteText = (account: OrganizationHtmlAccount): string => {
  if (account.reason !== undefined) return account.reasonCode ? `${account.reasonCode}: ${account.reason}` : account.reason;
  const regions = account.regionsWithoutEnforcer ?? [];
  return regions.length > 0 ? `no member stack in ${regions.join(', ')}` : '';
};

/**
 * One row per account: kept lean (no per-cell classes; the stylesheet aligns the number columns by
 * position), since an organization of ten thousand accounts is ten thousand rows.
 */
const accountRow = (account: OrganizationHtmlAccount): Markup => {
  const worst = worstOf(account);
  const notAudited = account.status === 'not-audited';
  return html`<tr${notAudited ? trusted(' class="failing"') : ''}><td>${accountCell(account)}</td><td>${account.name}</td><td${notAudited ? trusted(' class="status-not-audited"') : ''}>${notAudited ? 'not audited' : account.status}</td><td>${worst ? severityBadge(worst) : ''}</td><td>${account.failing ?? ''}</td>${TREND_SEVERITIES.map(
    (severity) => html`<td>${account.failingBySeverity?.[severity] ?? ''}</td>`,
  )}<td>${changesText(account)}</td><td>${noteText(account)}</td></tr>\n`;
};

const ACCOUNTS_TABLE_OPENING = html`<table class="accounts"><thead><tr><th scope="col">account</th><th scope="col">name</th><th scope="col">status</th><th scope="col">worst</th><th scope="col" class="number">failing</th>${TREND_SEVERITIES.map(
  (severity) => html`<th scope="col" class="number">${severity}</th>`,
)}<th scope="col">changes</th><th scope="col">note</th></tr></thead>
<tbody>
`.text;

/** One audited or not-audited account's row of the accounts table. */
export const organizationAccountRow = (account: OrganizationHtmlAccount): string => accountRow(account).text;

/** One skipped account's line of the list of skipped accounts. */
export const organizationSkippedItem = (account: OrganizationHtmlAccount): string =>
  html`<li><code>${account.accountId}</code> ${account.name}${account.reason ? html` <span class="muted">(${account.reason})</span>` : ''}</li>`.text;

/** Where the accounts' rows go, in order: the table's opening, the rows, then what closes the page. */
export interface OrganizationPageFrame {
  /** Everything up to the accounts table's first row. */
  readonly opening: string;
  /** After the rows: the table's end, and the opening of the list of skipped accounts. */
  readonly betweenRowsAndSkipped: string;
  /** After the skipped accounts: the end of the page. */
  readonly closing: string;
}

/**
 * The page around its accounts, for a caller that streams the rows (the merge, from spool files, a
 * rank at a time): the rows go between `opening` and `betweenRowsAndSkipped`, the skipped accounts'
 * items between that and `closing`.
 */
export const organizationPageFrame = (input: Omit<OrganizationHtmlInput, 'accounts'>, counts: { readonly listed: number; readonly skipped: number }): OrganizationPageFrame => {
  const { run } = input;
  const opening =
    pageOpening(`S3 encryption audit ${run.runDate}, organization`) +
    html`<header>
<h1>S3 encryption audit of the organization — ${run.runDate}</h1>
<p class="lead">Run <code>${run.runId}</code>, started <time datetime="${run.startedAt}">${run.startedAt}</time>, from account <code>${run.callerAccountId}</code> in <code>${run.region}</code>.</p>
</header>
${summarySection(input)}${changesSection(input.changes)}<section aria-labelledby="trend-heading">
<h2 id="trend-heading">Failing findings over time</h2>
${trusted(input.trendMarkup)}</section>
<section aria-labelledby="accounts-heading">
<h2 id="accounts-heading">Accounts, worst first</h2>
<p class="muted">Accounts not audited first, then by the most severe failure. Each account's findings are on its own page.</p>
${counts.listed === 0 ? html`<p>No account was audited.</p>\n` : trusted(ACCOUNTS_TABLE_OPENING)}`.text;
  const betweenRowsAndSkipped =
    (counts.listed === 0 ? '' : '</tbody></table>\n') +
    (counts.skipped > 0 ? html`<details class="skipped"><summary>Skipped <span class="count">(${counts.skipped})</span></summary>\n<ul class="compact">`.text : '');
  const closing = `${counts.skipped > 0 ? '</ul>\n</details>\n' : ''}</section>\n${PAGE_CLOSING}`;
  return { opening, betweenRowsAndSkipped, closing };
};

const changesSection = (changes: readonly OrganizationChange[]): Markup =>
  html`<section aria-labelledby="changes-heading">
<h2 id="changes-heading">Most severe changes <span class="count">(${changes.length} shown)</span></h2>
${
  changes.length === 0
    ? html`<p class="muted">None.</p>\n`
    : html`<table><thead><tr><th scope="col">severity</th><th scope="col">change</th><th scope="col">account</th><th scope="col">check</th><th scope="col">resource</th><th scope="col">status</th><th scope="col">observed</th></tr></thead>
<tbody>
${changes.map(
  (change) =>
    html`<tr><td>${severityBadge(change.severity)}</td><td>${change.change}</td><td><code>${change.accountId}</code></td><td><code>${change.check}</code></td><td><code>${change.resource}</code></td><td>${STATUS_LABELS[change.status]}</td><td>${change.observed}</td></tr>\n`,
)}</tbody></table>
`
}</section>
`;

const summarySection = (input: Pick<OrganizationHtmlInput, 'summary'>): Markup => {
  const { summary } = input;
  const { accounts, byStatus, failingBySeverity, changes } = summary;
  return html`<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Summary</h2>
<dl class="facts">
<dt>Accounts</dt><dd>${accounts.listed} listed: ${accounts.audited} audited, <strong>${accounts.notAudited} not audited</strong>, ${accounts.skipped} skipped</dd>
<dt>Findings</dt><dd>${summary.findings}: ${byStatus.failed} failed, ${byStatus.error} could not be checked, ${byStatus.fixed} fixed, ${byStatus.passed} passed, ${byStatus.informational} informational</dd>
<dt>Highest failing severity</dt><dd>${severityBadge(summary.highestFailingSeverity)}</dd>
<dt>Since each account's previous run</dt><dd>${changes.new} new, ${changes.changed} changed, ${changes.resolved} resolved, ${changes.fixed} fixed, in ${summary.accountsWithChanges} account(s)</dd>
<dt>Paged</dt><dd>${summary.page ? html`yes, ${severityBadge(summary.severity)}` : 'no'}</dd>
</dl>
<table class="counts"><caption class="muted">Failing findings by severity</caption><thead><tr>${SEVERITIES.map((severity) => html`<th scope="col" class="number">${severity}</th>`)}</tr></thead>
<tbody><tr>${SEVERITIES.map((severity) => html`<td class="number">${failingBySeverity[severity]}</td>`)}</tr></tbody></table>
</section>
`;
};

/**
 * The organization's page: the totals, the most severe changes, the trend and one row per account,
 * worst first (not audited, then by the most severe failure, then by the number of failures),
 * linking to the account's own page. Findings stay on the accounts' pages, so the page grows by a
 * row per account, not by a row per finding.
 */
export const renderOrganizationHtml = (input: OrganizationHtmlInput): string => {
  const listed = input.accounts.filter((account) => account.status !== 'skipped').sort(compareAccountsWorstFirst);
  const skipped = input.accounts.filter((account) => account.status === 'skipped').sort((a, b) => compareText(a.accountId, b.accountId));
  const frame = organizationPageFrame(input, { listed: listed.length, skipped: skipped.length });
  return frame.opening + listed.map(organizationAccountRow).join('') + frame.betweenRowsAndSkipped + skipped.map(organizationSkippedItem).join('') + frame.closing;
};
