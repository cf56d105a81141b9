import { Buffer } from 'node:buffer';
import { posix } from 'node:path';
import { latestReportKey } from '../../shared/audit/audit-report.js';
import { SEVERITIES, compareText, findingId, isFailing, type Severity } from '../../shared/audit/finding.js';
import { WorstAccounts, historyText, organizationHistoryEntry, organizationHistoryKey, readHistory, withRun, type RunHistoryEntry } from '../../shared/audit/run-history.js';
import { forEachBoundedInOrder } from '../../shared/core/run-bounded.js';
import { accountResource, auditedFinding, notAuditedFinding, parseAccountResult, type AccountResult, type MemberAccount } from '../../shared/organization/account-result.js';
import { findingsStateLine, OrganizationFindingsState, organizationFindingsStateKey } from '../../shared/organization/organization-findings-state.js';
import { buildOrganizationNotification } from '../../shared/organization/organization-notification.js';
import { organizationRunLayout, type OrganizationRun } from '../../shared/organization/organization-run.js';
import { OrganizationTally, type AccountLine, type OrganizationChange } from '../../shared/organization/organization-tally.js';
import { parseRcpCoverage, RCP_COVERAGE_NOT_LISTED, rcpCoverageFinding, type RcpCoverage } from '../../shared/organization/rcp-coverage.js';
import type { Notification, NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { ReportSpool, SpoolFile } from '../../shared/ports/report-spool.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import { drawTrend } from '../../shared/report-html/draw-trend.js';
import {
  organizationAccountRow,
  organizationPageFrame,
  organizationSkippedItem,
  type OrganizationHtmlAccount,
  type OrganizationPageFrame,
} from '../../shared/report-html/render-organization-html.js';
import type { ListedAccount } from '../list-organization-accounts/list-accounts.js';
import { bodyOf, type ReportBody } from '../audit-encryption/report-files.js';
import { ORGANIZATION_REPORT_KIND, OrganizationReportFiles, type OrganizationReportHeader } from './organization-report.js';
import { readAccountReport, type ReportFindingLine } from './read-account-report.js';


export interface MergeRecorder {
  accountNotAudited(line: AccountLine): void;
  reportNotWritten(what: string, error: unknown): void;
  stateNotSaved(accountId: string, error: unknown): void;
  mergeCompleted(outcome: MergeOutcome): void;
}

export interface MergeDependencies {
  /** The central reports bucket: the listing, every account's result and report, and the organization report. */
  readonly store: ReportStore;
  readonly reports: { readonly bucket: string; readonly prefix: string; readonly kmsKeyArn: string; readonly consoleHost: string };
  readonly callerAccountId: string;
  readonly homeRegion: string;
  readonly publisher: NotificationPublisher;
  readonly measure: (notification: Notification) => number;
  readonly budgetBytes: number;
  readonly recorder: MergeRecorder;
  readonly openSpool: () => ReportSpool;
  /** Accounts read at once. */
  readonly concurrency: number;
}

export interface MergeOutcome {
  readonly runId: string;
  readonly accounts: { readonly listed: number; readonly audited: number; readonly notAudited: number; readonly skipped: number };
  readonly findings: number;
  readonly failing: number;
  readonly page: boolean;
  readonly notifications: number;
  readonly report?: string | undefined;
  readonly reportError?: string | undefined;
  readonly statesNotSaved: number;
}

/** One account as the merge found it: its line, the result behind it, and its report's findings as read. */
interface MergedAccount {
  readonly line: AccountLine;
  /** What the organization's RCPs do for an account in scope, as the listing carries it. */
  readonly rcp?: RcpCoverage | undefined;
  readonly result?: AccountResult | undefined;
  readonly findingLines: readonly ReportFindingLine[];
  readonly changes: readonly OrganizationChange[];
}

type Pair = { findings: number; failing: number };

/** Page ranks, worst first: not audited, then by the most severe failure, then none failing. */
const RANKS = ['not-audited', ...SEVERITIES, 'none'] as const;

/**
 * The organization page's rows as accounts stream past, spooled a file per rank, so the page is
 * worst first while memory holds no row: within a rank, accounts keep the listing's order. Also
 * the counts the history keeps: per check, and the worst accounts by name (bounded).
 */
class OrganizationPageRows {
  readonly byCheck = new Map<string, Pair>();
  readonly worst = new WorstAccounts();
  private readonly ranks: SpoolFile[];
  private readonly skipped: SpoolFile;
  listed = 0;
  skippedCount = 0;

  constructor(
    spool: ReportSpool,
    private readonly pageKey: string,
  ) {
    this.ranks = RANKS.map((rank) => spool.file(`page-rows-${rank}.html`));
    this.skipped = spool.file('page-rows-skipped.html');
  }

  add(merged: MergedAccount): void {
    const { line, result, findingLines } = merged;
    if (line.status === 'skipped') {
      this.skippedCount += 1;
      this.skipped.append(organizationSkippedItem(line));
      return;
    }
    const failingBySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
    const account: Pair = { findings: 0, failing: 0 };
    for (const { finding } of findingLines) {
      const failing = isFailing(finding.status);
      const check = this.byCheck.get(finding.check) ?? { findings: 0, failing: 0 };
      check.findings += 1;
      account.findings += 1;
      if (failing) {
        check.failing += 1;
        account.failing += 1;
        failingBySeverity[finding.severity] += 1;
      }
      this.byCheck.set(finding.check, check);
    }
    if (line.status === 'audited') this.worst.add(line.accountId, account);
    // Relative, so the page's links work wherever the reports prefix is copied to.
    const page = result?.status === 'audited' && result.reportKey ? result.reportKey.replace(/\.json$/, '.html') : undefined;
    const row: OrganizationHtmlAccount = {
      ...line,
      ...(line.status === 'audited' ? { failingBySeverity } : {}),
      ...(page ? { href: posix.relative(posix.dirname(this.pageKey), page) } : {}),
    };
    const worstSeverity = SEVERITIES.find((severity) => failingBySeverity[severity] > 0);
    const rank = line.status === 'not-audited' ? 0 : worstSeverity ? 1 + SEVERITIES.indexOf(worstSeverity) : RANKS.length - 1;
    this.listed += 1;
    (this.ranks[rank] as SpoolFile).append(organizationAccountRow(row));
  }

  /** The page around the spooled rows: once, after every account. */
  page(frame: OrganizationPageFrame): ReportBody {
    return bodyOf([frame.opening, ...this.ranks, frame.betweenRowsAndSkipped, this.skipped, frame.closing]);
  }
}

/** The organization's run history so far, or why this run cannot be added to it (then it is left as it is). */
type HistoryReading = { readonly kind: 'read'; readonly entries: readonly RunHistoryEntry[] } | { readonly kind: 'unavailable'; readonly error: unknown };

/**
 * The organization findings the last published run left failing. One that cannot be read is as
 * none: every failing organization finding is then new tonight and pages, never silently dropped.
 */
const readFindingsState = async (store: ReportStore, key: string): Promise<OrganizationFindingsState> => {
  try {
    const lines = await store.readLines(key);
    return lines ? await OrganizationFindingsState.read(lines) : OrganizationFindingsState.none();
  } catch {
    return OrganizationFindingsState.none();
  }
};

const rcpFindingId = (accountId: string): string => findingId('org-rcp-coverage', accountResource(accountId));

const readOrganizationHistory = async (store: ReportStore, key: string): Promise<HistoryReading> => {
  try {
    return { kind: 'read', entries: (await readHistory(await store.readLines(key))).entries };
  } catch (error) {
    return { kind: 'unavailable', error };
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const parseListed = (text: string): ListedAccount | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value) || typeof value['accountId'] !== 'string') return undefined;
    return value as unknown as ListedAccount;
  } catch {
    return undefined;
  }
};

const readText = async (lines: AsyncIterable<string>): Promise<string> => {
  const parts: string[] = [];
  for await (const line of lines) parts.push(line);
  return parts.join('\n');
};

const LISTING_BATCH = 256;

const textBody = (text: string): { body: () => AsyncIterable<string>; contentLength: number } => ({
  body: async function* () {
    yield text;
  },
  contentLength: Buffer.byteLength(text, 'utf8'),
});

/** The listing's accounts in batches, streamed: memory holds one batch of lines. */
async function* listingBatches(lines: AsyncIterable<string>): AsyncIterable<ListedAccount[]> {
  let batch: ListedAccount[] = [];
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    const listed = parseListed(text);
    if (!listed) throw new Error(`line ${lineNumber} of the run's listing is not an account`);
    batch.push(listed);
    if (batch.length >= LISTING_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

const notAuditedLine = (account: MemberAccount, reason: { code: AccountLine['reasonCode']; detail: string }): AccountLine => ({
  accountId: account.accountId,
  name: account.name,
  status: 'not-audited',
  reasonCode: reason.code,
  reason: reason.detail,
});

/**
 * The organization findings failing tonight become the state the next run compares with, with the
 * previous state's lines of accounts this run did not list (a run scoped to some OUs) carried over.
 * A state that cannot be saved is recorded: the next run then pages those findings again.
 */
const saveFindingsState = async (deps: MergeDependencies, key: string, state: OrganizationFindingsState, next: SpoolFile): Promise<void> => {
  try {
    if (state.compared) for await (const text of (await deps.store.readLines(key)) ?? []) if (state.carries(text)) next.append(`${text}\n`);
    await deps.store.write({ key, ...bodyOf([next]), contentType: 'application/x-ndjson', kmsKeyArn: deps.reports.kmsKeyArn });
  } catch (error) {
    deps.recorder.reportNotWritten('organization findings state', error);
  }
};

/**
 * Merges one night's organization audit: every account of the listing, in order, with the result
 * its audit left (or none: then it was not audited, and says so), each audited account's report
 * streamed into the organization report; then one summary for on-call, and only after it went out,
 * each account's report copied to its state for the next night. Memory holds the accounts in
 * flight, not the organization.
 */
export const mergeOrganization = async (deps: MergeDependencies, run: OrganizationRun, mapRunArn?: string): Promise<MergeOutcome> => {
  const layout = organizationRunLayout(deps.reports.prefix, run);
  // Read before the listing is opened: a stream opened is read at once, and nothing may wait in between.
  const findingsStateKey = organizationFindingsStateKey(deps.reports.prefix);
  const findingsState = await readFindingsState(deps.store, findingsStateKey);
  const listing = await deps.store.readLines(layout.listingKey);
  if (!listing) throw new Error(`the run's listing ${layout.listingKey} is not in ${deps.reports.bucket}: the accounts step did not finish`);

  const historyKey = organizationHistoryKey(deps.reports.prefix);
  const historyReading = readOrganizationHistory(deps.store, historyKey);
  const tally = new OrganizationTally();
  const spool = deps.openSpool();
  try {
    const files = new OrganizationReportFiles(spool);
    const rows = new OrganizationPageRows(spool, layout.reportHtmlKey);
    const promotions = spool.file('promotions.tsv');
    const nextFindingsState = spool.file('latest-findings.jsonl');
    let promotable = 0;

    const mergeAccount = async (listed: ListedAccount): Promise<MergedAccount> => {
      if (listed.scope === 'skipped') return { line: { accountId: listed.accountId, name: listed.name, status: 'skipped', reason: listed.reason }, findingLines: [], changes: [] };
      const rcp = parseRcpCoverage(listed.rcp) ?? RCP_COVERAGE_NOT_LISTED;
      const stored = await deps.store.readLines(layout.accountResultKey(listed.accountId));
      const result = stored ? parseAccountResult(await readText(stored)) : undefined;
      if (!result) {
        const reason = { code: 'no-result' as const, detail: stored ? 'the account’s result could not be read' : 'the fan-out recorded no result for the account: its audit never finished (see the map run)' };
        return { line: notAuditedLine(listed, reason), rcp, result, findingLines: [], changes: [] };
      }
      if (result.status === 'not-audited') return { line: notAuditedLine(listed, result.reason), rcp, result, findingLines: [], changes: [] };
      const findingLines: ReportFindingLine[] = [];
      const changes: OrganizationChange[] = [];
      let reportNote: string | undefined = result.reportError;
      if (result.reportKey) {
        try {
          const lines = await deps.store.readLines(result.reportKey);
          if (!lines) throw new Error('the report is missing');
          await readAccountReport(lines, (line, reported) => {
            const { finding } = line;
            findingLines.push(line);
            const change = reported.new.has(finding.id) ? 'new' : reported.changed.has(finding.id) ? 'changed' : undefined;
            if (change) {
              changes.push({ change, accountId: listed.accountId, id: finding.id, check: finding.check, severity: finding.severity, status: finding.status, resource: finding.resource, region: finding.region, observed: finding.observed });
            }
          });
        } catch (error) {
          reportNote = `the account's report could not be read (${error instanceof Error ? error.message : String(error)})`;
        }
      }
      return {
        line: {
          accountId: listed.accountId,
          name: listed.name,
          status: 'audited',
          failing: result.findings.failed + result.findings.error,
          changes: result.changes,
          page: result.page,
          ...(result.reportKey ? { report: `s3://${deps.reports.bucket}/${result.reportKey}` } : {}),
          ...(reportNote ? { reason: reportNote } : {}),
          ...(result.regions.absent.length + result.regions.unreadable.length > 0 ? { regionsWithoutEnforcer: [...result.regions.absent, ...result.regions.unreadable].sort(compareText) } : {}),
        },
        rcp,
        result,
        findingLines,
        changes,
      };
    };

    const deliver = (merged: MergedAccount): void => {
      const { line, result } = merged;
      tally.account(line, result);
      files.account(line);
      rows.add(merged);
      if (line.status === 'skipped') {
        // Closed or closing: its RCP coverage is no longer reported, nor kept as state.
        findingsState.settle(rcpFindingId(line.accountId));
        return;
      }
      // Every account in scope has a finding of its own: passed when audited, failed (and paging) when not.
      const own = line.status === 'not-audited' ? notAuditedFinding(line, { code: line.reasonCode ?? 'no-result', detail: line.reason ?? '' }, deps.homeRegion) : auditedFinding(line, deps.homeRegion);
      tally.finding(own);
      files.findingText(JSON.stringify(own));
      // And one on the RCPs above it, audited or not: compared with the previous organization run's, so it pages only when new or changed.
      const rcp = rcpCoverageFinding(line, merged.rcp ?? RCP_COVERAGE_NOT_LISTED, deps.homeRegion);
      tally.organizationFinding(rcp, findingsState.compare(rcp));
      files.findingText(JSON.stringify(rcp));
      if (isFailing(rcp.status)) nextFindingsState.append(`${findingsStateLine(rcp)}\n`);
      if (line.status === 'not-audited') deps.recorder.accountNotAudited(line);
      for (const { text, finding } of merged.findingLines) {
        files.findingText(text);
        tally.finding(finding);
      }
      merged.changes.forEach((change) => tally.change(change));
      if (result?.status === 'audited' && result.reportKey) {
        promotions.append(`${result.accountId}\t${result.reportKey}\n`);
        promotable += 1;
      }
    };

    for await (const batch of listingBatches(listing)) await forEachBoundedInOrder(batch, deps.concurrency, mergeAccount, deliver);

    const summary = tally.summary();
    const changes = tally.topChanges();
    const jsonKey = layout.reportJsonKey;
    const consoleUrlOf = (key: string): string => `https://${deps.reports.consoleHost}/s3/object/${deps.reports.bucket}?region=${deps.homeRegion}&prefix=${encodeURIComponent(key)}`;
    const location = {
      bucket: deps.reports.bucket,
      jsonKey,
      markdownKey: layout.reportMarkdownKey,
      htmlKey: layout.reportHtmlKey,
      uri: `s3://${deps.reports.bucket}/${jsonKey}`,
      consoleUrl: consoleUrlOf(jsonKey),
      htmlConsoleUrl: consoleUrlOf(layout.reportHtmlKey),
    };
    const header: OrganizationReportHeader = {
      kind: ORGANIZATION_REPORT_KIND,
      schemaVersion: 1,
      run: { ...run, callerAccountId: deps.callerAccountId, region: deps.homeRegion, ...(mapRunArn ? { mapRunArn } : {}) },
      location,
      summary,
    };
    const history = await historyReading;
    const entry = organizationHistoryEntry({ ...run, callerAccountId: deps.callerAccountId }, summary, rows.byCheck, rows.worst.bounded());
    const trend = withRun(history.kind === 'read' ? history.entries : [], entry);
    const frame = organizationPageFrame({ run: header.run, summary, changes, trendMarkup: await drawTrend(trend) }, { listed: rows.listed, skipped: rows.skippedCount });
    let reportError: string | undefined;
    const written = await Promise.allSettled([
      deps.store.write({ key: location.jsonKey, ...files.json(header), contentType: 'application/json', kmsKeyArn: deps.reports.kmsKeyArn }),
      deps.store.write({ key: location.markdownKey, ...files.markdown(header, changes), contentType: 'text/markdown; charset=utf-8', kmsKeyArn: deps.reports.kmsKeyArn }),
      deps.store.write({ key: location.htmlKey, ...rows.page(frame), contentType: 'text/html; charset=utf-8', kmsKeyArn: deps.reports.kmsKeyArn }),
    ]);
    const failed = written.find((settled): settled is PromiseRejectedResult => settled.status === 'rejected');
    if (failed) {
      reportError = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      deps.recorder.reportNotWritten('organization report', failed.reason);
    } else if (history.kind === 'unavailable') {
      // A history that could not be read is not written over: a failed read never costs the runs before it.
      deps.recorder.reportNotWritten('organization history', history.error);
    } else {
      await deps.store
        .write({ key: historyKey, ...textBody(historyText(trend)), contentType: 'application/x-ndjson', kmsKeyArn: deps.reports.kmsKeyArn })
        .catch((error: unknown) => deps.recorder.reportNotWritten('organization history', error));
    }

    const notification = buildOrganizationNotification({
      run,
      summary,
      changes,
      notAudited: tally.accountsNotAudited(),
      ...(reportError ? { reportError } : { report: { uri: location.uri, consoleUrl: location.consoleUrl, html: location.htmlConsoleUrl } }),
      measure: deps.measure,
      budgetBytes: deps.budgetBytes,
    });
    await deps.publisher.publish(notification);

    // Only now that the summary went out: a merge that failed before it pages again when retried.
    await saveFindingsState(deps, findingsStateKey, findingsState, nextFindingsState);
    let statesNotSaved = 0;
    if (promotable > 0) {
      const pending: { accountId: string; reportKey: string }[] = [];
      const promote = async (batch: readonly { accountId: string; reportKey: string }[]): Promise<void> =>
        forEachBoundedInOrder(
          batch,
          deps.concurrency,
          async ({ accountId, reportKey }) => {
            try {
              await deps.store.copy(reportKey, latestReportKey(deps.reports.prefix, accountId), deps.reports.kmsKeyArn);
            } catch (error) {
              statesNotSaved += 1;
              deps.recorder.stateNotSaved(accountId, error);
            }
          },
          () => undefined,
        );
      let rest = '';
      for await (const chunk of promotions.read()) {
        const lines = (rest + Buffer.from(chunk).toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          const [accountId = '', reportKey = ''] = line.split('\t');
          pending.push({ accountId, reportKey });
        }
        if (pending.length >= LISTING_BATCH) await promote(pending.splice(0));
      }
      await promote(pending.splice(0));
    }

    const outcome: MergeOutcome = {
      runId: run.runId,
      accounts: summary.accounts,
      findings: summary.findings,
      failing: summary.byStatus.failed + summary.byStatus.error,
      page: summary.page,
      notifications: 1,
      ...(reportError ? { reportError } : { report: location.uri }),
      statesNotSaved,
    };
    deps.recorder.mergeCompleted(outcome);
    return outcome;
  } finally {
    await spool.discard();
  }
};
