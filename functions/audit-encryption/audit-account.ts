import { requiredKeyInRegion, type AuditContext } from '../../shared/audit/audit-context.js';
import { buildAuditNotifications } from '../../shared/audit/audit-notifications.js';
import {
  buildReport,
  latestReportKey,
  readPreviousReport,
  reportLocation,
  runIdentity,
  type AuditReport,
  type ReportLocation,
} from '../../shared/audit/audit-report.js';
import { diffFindings, type PreviousFinding } from '../../shared/audit/diff-findings.js';
import type { Finding, FindingStatus } from '../../shared/audit/finding.js';
import { planFixes, withFixResults } from '../../shared/audit/plan-fixes.js';
import { renderReportMarkdown } from '../../shared/audit/render-report-markdown.js';
import { runChecks } from '../../shared/audit/run-checks.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import type { Notification, NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import { applyFixes, type FixWriters } from './apply-fixes.js';
import type { AuditRecorder } from './audit-recorder.js';
import { factError, gatherFacts, type FactSources } from './gather-facts.js';

export interface ReportDestination {
  readonly store: ReportStore;
  readonly bucket: string;
  readonly prefix: string;
}

export interface AuditDependencies {
  readonly sources: FactSources;
  readonly writers: FixWriters;
  readonly reports?: ReportDestination | undefined;
  readonly publisher: NotificationPublisher;
  /** The size a notification has on the channel, and the channel's limit. */
  readonly measure: (notification: Notification) => number;
  readonly budgetBytes: number;
  readonly recorder: AuditRecorder;
  readonly context: AuditContext;
}

export interface AuditOutcome {
  readonly runId: string;
  readonly runDate: string;
  readonly buckets: number;
  readonly keys: number;
  readonly findings: Readonly<Record<FindingStatus, number>>;
  readonly changes: AuditReport['summary']['changes'];
  readonly page: boolean;
  readonly notifications: number;
  readonly report?: string | undefined;
  readonly reportError?: string | undefined;
}

const describeError = (error: unknown): string => {
  const { operation, code, message } = factError('unknown', error);
  return `${operation}: ${code}: ${message}`;
};

/** The state to compare against: the previous report, or none (then everything failing is new). */
const previousFindings = async (deps: AuditDependencies): Promise<readonly PreviousFinding[] | undefined> => {
  if (!deps.reports) {
    deps.recorder.previousReportUnavailable('REPORTS_BUCKET is not set: every failing finding counts as new on every run');
    return undefined;
  }
  let text: string | undefined;
  try {
    text = await deps.reports.store.read(latestReportKey(deps.reports.prefix));
  } catch (error) {
    deps.recorder.previousReportUnavailable(`the previous report could not be read (${describeError(error)})`);
    return undefined;
  }
  if (text === undefined) return undefined;
  const previous = readPreviousReport(text);
  if (previous.kind === 'unreadable') {
    deps.recorder.previousReportUnavailable(previous.reason);
    return undefined;
  }
  return previous.findings;
};

/**
 * One nightly run: facts → checks → fixes (only those POLICY allows) → diff against the previous
 * report → report → one summary. The dated report is written before the summary goes out, and the
 * state (latest.json) only after it went out: a failed publish throws, and the retry pages again
 * instead of finding nothing new.
 */
export const auditAccount = async (deps: AuditDependencies, startedAt: Date): Promise<AuditOutcome> => {
  const { context } = deps;
  const facts = await gatherFacts(deps.sources, context);
  const keyCount = new Set([...facts.keys.values()].flatMap((lookup) => (lookup.kind === 'found' ? [lookup.key.arn] : []))).size;
  deps.recorder.factsGathered({
    buckets: facts.buckets.length,
    unreachable: facts.buckets.filter((bucket) => bucket.kind === 'unreachable').length,
    exempt: facts.exemptBuckets.length,
    keys: keyCount,
  });

  const checked = runChecks(facts, context);
  const fixResults = await applyFixes(planFixes(checked, facts, context), deps.writers, deps.sources.concurrency);
  fixResults.forEach((result) => deps.recorder.fixAttempted(result));
  const findings: Finding[] = withFixResults(checked, fixResults);

  const changes = diffFindings(findings, await previousFindings(deps));
  const requiredKey = requiredKeyInRegion(facts.keys, context.homeRegion, context.policy.requiredKey, context.homeRegion);
  const identity = runIdentity(startedAt);
  const run = {
    ...identity,
    accountId: context.accountId,
    region: context.homeRegion,
    requiredKey: { reference: context.policy.requiredKey, ...(requiredKey.kind === 'usable' ? { arn: requiredKey.arn } : {}) },
  };
  const location: ReportLocation | undefined = deps.reports
    ? reportLocation(deps.reports.bucket, deps.reports.prefix, identity, context.homeRegion, partitionOf(context.homeRegion))
    : undefined;
  const reportInput = { run, findings, changes, buckets: facts.buckets.length, exemptBuckets: facts.exemptBuckets, keys: keyCount };
  const report = buildReport({ ...reportInput, location });

  let reportError: string | undefined;
  const json = JSON.stringify(report, null, 2);
  if (deps.reports && location) {
    if (requiredKey.kind !== 'usable') {
      reportError = `the required key is not usable in ${context.homeRegion}, so the report cannot be encrypted under it`;
      deps.recorder.reportNotWritten('report', new Error(reportError));
    } else {
      try {
        await deps.reports.store.write({ key: location.jsonKey, body: json, contentType: 'application/json', kmsKeyArn: requiredKey.arn });
        await deps.reports.store.write({
          key: location.markdownKey,
          body: renderReportMarkdown(report),
          contentType: 'text/markdown; charset=utf-8',
          kmsKeyArn: requiredKey.arn,
        });
      } catch (error) {
        reportError = describeError(error);
        deps.recorder.reportNotWritten('report', error);
      }
    }
  }

  // A summary never links a report that was not written.
  const notified = reportError ? buildReport(reportInput) : report;
  const notifications = buildAuditNotifications({ report: notified, changes, reportError, measure: deps.measure, budgetBytes: deps.budgetBytes });
  for (const notification of notifications) await deps.publisher.publish(notification);

  if (deps.reports && !reportError && requiredKey.kind === 'usable') {
    try {
      await deps.reports.store.write({ key: latestReportKey(deps.reports.prefix), body: json, contentType: 'application/json', kmsKeyArn: requiredKey.arn });
    } catch (error) {
      reportError = `the state for the next run was not saved (${describeError(error)}); it will page these changes again`;
      deps.recorder.reportNotWritten('latest', error);
    }
  }

  const outcome: AuditOutcome = {
    runId: identity.runId,
    runDate: identity.runDate,
    buckets: facts.buckets.length,
    keys: keyCount,
    findings: report.summary.byStatus,
    changes: report.summary.changes,
    page: report.summary.page,
    notifications: notifications.length,
    ...(location && !reportError ? { report: location.uri } : {}),
    ...(reportError ? { reportError } : {}),
  };
  deps.recorder.runCompleted(outcome, findings);
  return outcome;
};

/** A scheduled EventBridge event carries the time it was due: retries of it file under the same run. */
export const scheduledTime = (event: unknown, now: () => Date): Date => {
  const time = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)['time'] : undefined;
  if (typeof time === 'string') {
    const parsed = new Date(time);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return now();
};

/** The account is the fourth field of the function's own ARN. */
export const accountOfFunctionArn = (arn: string | undefined): string | undefined => {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
};
