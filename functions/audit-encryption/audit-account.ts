import { bucketRequirement, requiredKeyInRegion, type AuditContext } from '../../shared/audit/audit-context.js';
import type { AuditFacts } from '../../shared/audit/audit-facts.js';
import { buildAuditNotifications } from '../../shared/audit/audit-notifications.js';
import {
  buildReportHeader,
  latestReportKey,
  reportLocation,
  runIdentity,
  scanPreviousReport,
  type ReportHeader,
  type ReportLocation,
} from '../../shared/audit/audit-report.js';
import { FindingLedger, PreviousFailures, idDigest, type PreviousFinding, type PreviousState } from '../../shared/audit/diff-findings.js';
import { compareFindings, type Finding, type FindingStatus } from '../../shared/audit/finding.js';
import { bucketKeyReferences, policyKeyReferences } from '../../shared/audit/key-references.js';
import { planFixes, withFixResults } from '../../shared/audit/plan-fixes.js';
import { bucketFindings, keyFindings } from '../../shared/audit/run-checks.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import { forEachBoundedInOrder } from '../../shared/core/run-bounded.js';
import type { ListedBucket } from '../../shared/ports/bucket-inspector.js';
import type { Notification, NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { ReportSpool } from '../../shared/ports/report-spool.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import { applyFixes, type FixWriters } from './apply-fixes.js';
import type { AuditRecorder } from './audit-recorder.js';
import { factError, gatherBucket, KeyDirectory, type FactSources } from './gather-facts.js';
import { ReportFiles } from './report-files.js';

export interface ReportDestination {
  readonly store: ReportStore;
  readonly bucket: string;
  readonly prefix: string;
  /** Scratch space for the report while the run goes (one per run; discarded at its end). */
  readonly openSpool: () => ReportSpool;
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
  readonly changes: ReportHeader['summary']['changes'];
  readonly page: boolean;
  readonly notifications: number;
  readonly report?: string | undefined;
  readonly reportError?: string | undefined;
}

const describeError = (error: unknown): string => {
  const { operation, code, message } = factError('unknown', error);
  return `${operation}: ${code}: ${message}`;
};

/**
 * The state to compare against: the previous report's failing findings, compactly, read a line at a
 * time; or none (then everything failing is new). Never throws: a report that cannot be read is
 * recorded, and the run goes on as a first run.
 */
const readPreviousState = async (deps: AuditDependencies): Promise<PreviousState | undefined> => {
  if (!deps.reports) {
    deps.recorder.previousReportUnavailable('REPORTS_BUCKET is not set: every failing finding counts as new on every run');
    return undefined;
  }
  try {
    const lines = await deps.reports.store.readLines(latestReportKey(deps.reports.prefix));
    if (!lines) return undefined;
    const failing = PreviousFailures.collect();
    const scan = await scanPreviousReport(lines, (finding) => failing.add(finding));
    if (scan.kind === 'unreadable') {
      deps.recorder.previousReportUnavailable(scan.reason);
      return undefined;
    }
    return { runId: scan.runId, failing: failing.build() };
  } catch (error) {
    deps.recorder.previousReportUnavailable(`the previous report could not be read (${describeError(error)})`);
    return undefined;
  }
};

/**
 * The previous findings the changes show in full (changed and resolved ones), read back from the
 * same report. Only when there are any; a failed read leaves them sketched from what the state holds.
 */
const readPreviousDetails = async (deps: AuditDependencies, ids: ReadonlySet<number>): Promise<Map<number, PreviousFinding>> => {
  const details = new Map<number, PreviousFinding>();
  if (ids.size === 0 || !deps.reports) return details;
  try {
    const lines = await deps.reports.store.readLines(latestReportKey(deps.reports.prefix));
    if (!lines) {
      deps.recorder.previousDetailsUnavailable('the previous report is gone since the start of the run');
      return details;
    }
    const scan = await scanPreviousReport(lines, (finding) => {
      const digest = idDigest(finding.id);
      if (ids.has(digest)) details.set(digest, finding);
    });
    if (scan.kind === 'unreadable') deps.recorder.previousDetailsUnavailable(scan.reason);
  } catch (error) {
    deps.recorder.previousDetailsUnavailable(describeError(error));
  }
  return details;
};

interface InspectedBucket {
  readonly unreachable: boolean;
  readonly findings: readonly Finding[];
}

/** One bucket: its facts, the keys they name, its checks and the fixes POLICY allows. */
const auditBucket = async (deps: AuditDependencies, directory: KeyDirectory, listed: ListedBucket): Promise<InspectedBucket> => {
  const { context } = deps;
  const bucket = await gatherBucket(deps.sources, listed, context);
  await directory.resolve(bucketKeyReferences([bucket], directory.known, context));
  const facts: AuditFacts = { buckets: [bucket], exemptBuckets: [], keyReferences: [], keys: directory.known };
  const checked = bucketFindings(facts, context);
  const fixes = await applyFixes(planFixes(checked, facts, context), deps.writers, 1);
  fixes.forEach((result) => deps.recorder.fixAttempted(result));
  return { unreachable: bucket.kind === 'unreachable', findings: withFixResults(checked, fixes) };
};

/**
 * One nightly run, as a stream: each bucket's facts → checks → fixes (only those POLICY allows) →
 * its findings counted against the previous report and spooled into the report, then dropped; the
 * keys the buckets named last. Memory holds the buckets in flight and what changed, not the
 * account. The dated report is written before the summary goes out, and the state (latest.json,
 * a copy of it) only after it went out: a failed publish throws, and the retry pages again
 * instead of finding nothing new.
 */
export const auditAccount = async (deps: AuditDependencies, startedAt: Date): Promise<AuditOutcome> => {
  const { context, sources } = deps;
  const previousReading = readPreviousState(deps);
  // Buckets a page at a time, the next page asked for while this one is audited: memory holds one page.
  const pages = sources.buckets.bucketPages()[Symbol.asyncIterator]();
  const nextPage = (): Promise<IteratorResult<readonly ListedBucket[]>> => {
    const next = pages.next();
    next.catch(() => undefined); // awaited below; a failure is thrown there
    return next;
  };
  let page: IteratorResult<readonly ListedBucket[]>;
  try {
    page = await nextPage();
  } catch (error) {
    // Nothing to audit; the read already under way ends before the invocation does.
    await previousReading;
    throw error;
  }

  const directory = new KeyDirectory(sources);
  await directory.resolve(policyKeyReferences(context.policy, context.homeRegion), sources.concurrency);
  const ledger = new FindingLedger(await previousReading);
  const spool = deps.reports?.openSpool();
  try {
    const files = spool ? new ReportFiles(spool) : undefined;
    const withFixes: Finding[] = [];
    const record = (finding: Finding): void => {
      ledger.record(finding);
      files?.add(finding);
      if (finding.fix) withFixes.push(finding);
      deps.recorder.findingRecorded(finding);
    };

    const exemptBuckets: string[] = [];
    let audited = 0;
    let unreachable = 0;
    while (!page.done) {
      const following = nextPage();
      const buckets = page.value.filter((bucket) => {
        const exempt = bucketRequirement(context.policy, bucket.name).kind === 'exempt';
        if (exempt) exemptBuckets.push(bucket.name);
        return !exempt;
      });
      audited += buckets.length;
      await forEachBoundedInOrder(
        buckets,
        sources.concurrency,
        (bucket) => auditBucket(deps, directory, bucket),
        (bucket) => {
          if (bucket.unreachable) unreachable += 1;
          bucket.findings.forEach(record);
        },
      );
      page = await following;
    }

    const keyFacts: AuditFacts = { buckets: [], exemptBuckets, keyReferences: directory.namedReferences(), keys: directory.known };
    const keyChecked = keyFindings(keyFacts, context).sort(compareFindings);
    const keyFixes = await applyFixes(planFixes(keyChecked, keyFacts, context), deps.writers, sources.concurrency);
    keyFixes.forEach((result) => deps.recorder.fixAttempted(result));
    withFixResults(keyChecked, keyFixes).forEach(record);
    const keyCount = new Set([...directory.known.values()].flatMap((lookup) => (lookup.kind === 'found' ? [lookup.key.arn] : []))).size;
    deps.recorder.factsGathered({ buckets: audited, unreachable, exempt: exemptBuckets.length, keys: keyCount });

    const changes = ledger.changes(await readPreviousDetails(deps, ledger.previousDetailsNeeded()));
    const counts = ledger.counts();
    const requiredKey = requiredKeyInRegion(directory.known, context.homeRegion, context.policy.requiredKey, context.homeRegion);
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
    const headerInput = { run, counts, changes, buckets: audited, exemptBuckets, keys: keyCount };
    const header = buildReportHeader({ ...headerInput, location });

    let reportError: string | undefined;
    if (deps.reports && location && files) {
      if (requiredKey.kind !== 'usable') {
        reportError = `the required key is not usable in ${context.homeRegion}, so the report cannot be encrypted under it`;
        deps.recorder.reportNotWritten('report', new Error(reportError));
      } else {
        const { store } = deps.reports;
        const written = await Promise.allSettled([
          store.write({ key: location.jsonKey, ...files.json(header), contentType: 'application/json', kmsKeyArn: requiredKey.arn }),
          store.write({ key: location.markdownKey, ...files.markdown(header, changes, counts, withFixes), contentType: 'text/markdown; charset=utf-8', kmsKeyArn: requiredKey.arn }),
        ]);
        const failed = written.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) {
          reportError = describeError(failed.reason);
          deps.recorder.reportNotWritten('report', failed.reason);
        }
      }
    }

    // A summary never links a report that was not written.
    const notified = reportError ? buildReportHeader(headerInput) : header;
    const notifications = buildAuditNotifications({ report: notified, changes, reportError, measure: deps.measure, budgetBytes: deps.budgetBytes });
    for (const notification of notifications) await deps.publisher.publish(notification);

    if (deps.reports && location && !reportError && requiredKey.kind === 'usable') {
      try {
        await deps.reports.store.copy(location.jsonKey, latestReportKey(deps.reports.prefix), requiredKey.arn);
      } catch (error) {
        reportError = `the state for the next run was not saved (${describeError(error)}); it will page these changes again`;
        deps.recorder.reportNotWritten('latest', error);
      }
    }

    const outcome: AuditOutcome = {
      runId: identity.runId,
      runDate: identity.runDate,
      buckets: audited,
      keys: keyCount,
      findings: header.summary.byStatus,
      changes: header.summary.changes,
      page: header.summary.page,
      notifications: notifications.length,
      ...(location && !reportError ? { report: location.uri } : {}),
      ...(reportError ? { reportError } : {}),
    };
    deps.recorder.runCompleted(outcome);
    return outcome;
  } finally {
    await spool?.discard();
  }
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
