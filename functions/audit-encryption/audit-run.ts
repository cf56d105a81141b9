import { buildAuditNotifications } from '../../shared/audit/audit-notifications.js';
import {
  buildReportHeader,
  latestReportKey,
  legacyLatestReportKey,
  reportLocation,
  runIdentity,
  scanPreviousReport,
  type PreviousReportScan,
  type ReportHeader,
  type ReportLocation,
} from '../../shared/audit/audit-report.js';
import { FindingLedger, PreviousFailures, idDigest, type PreviousFinding, type PreviousState } from '../../shared/audit/diff-findings.js';
import type { AccountFinding, Finding, FindingStatus } from '../../shared/audit/finding.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import type { FindingChanges } from '../../shared/audit/diff-findings.js';
import type { Notification, NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { ReportSpool } from '../../shared/ports/report-spool.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import { factError } from './gather-facts.js';
import { ReportFiles } from './report-files.js';
import type { AccountScan, FindingSink } from './scan-account.js';

export interface ReportDestination {
  /** Owned by the reports account, which may not be the account audited. */
  readonly store: ReportStore;
  readonly bucket: string;
  readonly prefix: string;
  /** Scratch space for the report while the run goes (one per run; discarded at its end). */
  readonly openSpool: () => ReportSpool;
  /**
   * The key reports are encrypted under. Unset, it is the audited account's required key; a reports
   * bucket in another account (an organization's) has a key of its own.
   */
  readonly kmsKeyArn?: string | undefined;
}

/**
 * How a run ends once its report is written: who is told what changed, and whether the run saves
 * its state for the next night itself.
 */
export interface RunEnding {
  /** Sends the run's summary and returns how many messages went out; throws when it could not. */
  announce(report: ReportHeader, changes: FindingChanges, reportError: string | undefined): Promise<number>;
  /**
   * The state is saved only after the summary went out, so a failed announcement is announced again
   * by the retry. False when another step announces many runs at once and saves each one's state
   * after (the organization's merge).
   */
  readonly savesState: boolean;
}

/** The summary to a channel (SNS), in as many parts as its size limit needs; the run saves its state. */
export const announceThrough = (publisher: NotificationPublisher, measure: (notification: Notification) => number, budgetBytes: number): RunEnding => ({
  savesState: true,
  async announce(report, changes, reportError) {
    const notifications = buildAuditNotifications({ report, changes, reportError, measure, budgetBytes });
    for (const notification of notifications) await publisher.publish(notification);
    return notifications.length;
  },
});

/** One account among many: the organization's merge announces for all of them, then saves each state. */
export const LEFT_TO_THE_MERGE: RunEnding = Object.freeze({ savesState: false, announce: async () => 0 });

export interface AuditOutcome {
  readonly accountId: string;
  readonly runId: string;
  readonly runDate: string;
  readonly buckets: number;
  readonly keys: number;
  readonly findings: Readonly<Record<FindingStatus, number>>;
  readonly changes: ReportHeader['summary']['changes'];
  readonly page: boolean;
  readonly notifications: number;
  readonly report?: string | undefined;
  /** The JSON report's key in the reports bucket, when it was written. */
  readonly reportKey?: string | undefined;
  readonly reportError?: string | undefined;
}

/** Where the run itself is written down; the scan has its own (ScanRecorder). */
export interface RunRecorder {
  /** Each finding once, as the run records it. */
  findingRecorded(finding: AccountFinding): void;
  previousReportUnavailable(reason: string): void;
  /** The previous state was read, but the details of what changed could not be read back. */
  previousDetailsUnavailable(reason: string): void;
  reportNotWritten(what: string, error: unknown): void;
  runCompleted(outcome: AuditOutcome): void;
}

export interface AuditRunDependencies {
  /** The account audited: its reports and its state for the next night are filed under it. */
  readonly accountId: string;
  readonly homeRegion: string;
  /** REQUIRED_KMS_KEY as configured, for the report. */
  readonly requiredKeyReference: string;
  readonly reports?: ReportDestination | undefined;
  readonly ending: RunEnding;
  readonly recorder: RunRecorder;
}

/** A scan that hands its findings to the sink it asks for (scanAccount, with one account's clients). */
export type Scan = (openSink: () => Promise<FindingSink>) => Promise<AccountScan>;

/**
 * The state the previous run left for this account; before reports were filed per account, the
 * state was one `latest.json` under the prefix, read once so the first run after an upgrade still
 * compares with it instead of paging everything again — unless it says it is another account's.
 */
const readLatest = async (reports: ReportDestination, accountId: string): Promise<{ lines: AsyncIterable<string>; legacy: boolean } | undefined> => {
  const current = await reports.store.readLines(latestReportKey(reports.prefix, accountId));
  if (current) return { lines: current, legacy: false };
  const legacy = await reports.store.readLines(legacyLatestReportKey(reports.prefix));
  return legacy ? { lines: legacy, legacy: true } : undefined;
};

const ofAnotherAccount = (scan: PreviousReportScan, accountId: string): boolean => scan.kind === 'found' && scan.accountId !== undefined && scan.accountId !== accountId;

const describeError = (error: unknown): string => {
  const { operation, code, message } = factError('unknown', error);
  return `${operation}: ${code}: ${message}`;
};

/**
 * The state to compare against: the previous report's failing findings, compactly, read a line at a
 * time; or none (then everything failing is new). Never throws: a report that cannot be read is
 * recorded, and the run goes on as a first run.
 */
const readPreviousState = async (deps: AuditRunDependencies): Promise<PreviousState | undefined> => {
  if (!deps.reports) {
    deps.recorder.previousReportUnavailable('REPORTS_BUCKET is not set: every failing finding counts as new on every run');
    return undefined;
  }
  try {
    const latest = await readLatest(deps.reports, deps.accountId);
    if (!latest) return undefined;
    const failing = PreviousFailures.collect();
    const scan = await scanPreviousReport(latest.lines, (finding) => failing.add(finding));
    if (scan.kind === 'unreadable') {
      deps.recorder.previousReportUnavailable(scan.reason);
      return undefined;
    }
    if (latest.legacy && ofAnotherAccount(scan, deps.accountId)) return undefined;
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
const readPreviousDetails = async (deps: AuditRunDependencies, ids: ReadonlySet<number>): Promise<Map<number, PreviousFinding>> => {
  const details = new Map<number, PreviousFinding>();
  if (ids.size === 0 || !deps.reports) return details;
  try {
    const latest = await readLatest(deps.reports, deps.accountId);
    if (!latest) {
      deps.recorder.previousDetailsUnavailable('the previous report is gone since the start of the run');
      return details;
    }
    const scan = await scanPreviousReport(latest.lines, (finding) => {
      const digest = idDigest(finding.id);
      if (ids.has(digest)) details.set(digest, finding);
    });
    if (scan.kind === 'unreadable') deps.recorder.previousDetailsUnavailable(scan.reason);
  } catch (error) {
    deps.recorder.previousDetailsUnavailable(describeError(error));
  }
  return details;
};

/**
 * One nightly run of one account around its scan: the previous state read while the scan lists its
 * first buckets, each finding the scan hands on counted against that state and spooled into the
 * report, then the report, the summary and the state for the next night. The dated report is
 * written before the summary goes out, and the state (latest.json, a copy of it) only after it went
 * out: a failed publish throws, and the retry pages again instead of finding nothing new.
 */
export const runAudit = async (deps: AuditRunDependencies, scan: Scan, startedAt: Date): Promise<AuditOutcome> => {
  const previousReading = readPreviousState(deps);
  let ledger: FindingLedger | undefined;
  let files: ReportFiles | undefined;
  let spool: ReportSpool | undefined;
  const withFixes: Finding[] = [];
  const openSink = async (): Promise<FindingSink> => {
    const opened = new FindingLedger(await previousReading);
    ledger = opened;
    spool = deps.reports?.openSpool();
    const opening = spool ? new ReportFiles(spool) : undefined;
    files = opening;
    return (finding) => {
      opened.record(finding);
      opening?.add(finding);
      if (finding.fix) withFixes.push(finding);
      deps.recorder.findingRecorded(finding);
    };
  };
  try {
    let scanned: AccountScan;
    try {
      scanned = await scan(openSink);
    } catch (error) {
      // The read already under way ends before the invocation does.
      await previousReading;
      throw error;
    }
    if (!ledger) throw new Error(`the scan of account ${deps.accountId} ended without asking for somewhere to record its findings`);
    return await complete(deps, scanned, { ledger, files, withFixes }, startedAt);
  } finally {
    await spool?.discard();
  }
};

interface Recorded {
  readonly ledger: FindingLedger;
  readonly files: ReportFiles | undefined;
  readonly withFixes: readonly Finding[];
}

/** After the scan: what changed, the reports, the summary, the state for the next night. */
const complete = async (deps: AuditRunDependencies, scanned: AccountScan, { ledger, files, withFixes }: Recorded, startedAt: Date): Promise<AuditOutcome> => {
  const changes = ledger.changes(await readPreviousDetails(deps, ledger.previousDetailsNeeded()));
  const counts = ledger.counts();
  const { requiredKey } = scanned;
  const identity = runIdentity(startedAt);
  const run = {
    ...identity,
    accountId: deps.accountId,
    region: deps.homeRegion,
    requiredKey: { reference: deps.requiredKeyReference, ...(requiredKey.kind === 'usable' ? { arn: requiredKey.arn } : {}) },
  };
  const location: ReportLocation | undefined = deps.reports
    ? reportLocation(deps.reports.bucket, deps.reports.prefix, identity, deps.accountId, deps.homeRegion, partitionOf(deps.homeRegion))
    : undefined;
  const headerInput = { run, counts, changes, buckets: scanned.buckets, exemptBuckets: scanned.exemptBuckets, keys: scanned.keys };
  const header = buildReportHeader({ ...headerInput, location });

  let reportError: string | undefined;
  const reportKey = deps.reports?.kmsKeyArn ?? (requiredKey.kind === 'usable' ? requiredKey.arn : undefined);
  if (deps.reports && location && files) {
    if (reportKey === undefined) {
      reportError = `the required key is not usable in ${deps.homeRegion}, so the report cannot be encrypted under it`;
      deps.recorder.reportNotWritten('report', new Error(reportError));
    } else {
      const { store } = deps.reports;
      const written = await Promise.allSettled([
        store.write({ key: location.jsonKey, ...files.json(header), contentType: 'application/json', kmsKeyArn: reportKey }),
        store.write({ key: location.markdownKey, ...files.markdown(header, changes, counts, withFixes), contentType: 'text/markdown; charset=utf-8', kmsKeyArn: reportKey }),
      ]);
      const failed = written.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        reportError = describeError(failed.reason);
        deps.recorder.reportNotWritten('report', failed.reason);
      }
    }
  }

  // A summary never links a report that was not written.
  const notifications = await deps.ending.announce(reportError ? buildReportHeader(headerInput) : header, changes, reportError);

  if (deps.reports && location && !reportError && reportKey !== undefined && deps.ending.savesState) {
    try {
      await deps.reports.store.copy(location.jsonKey, latestReportKey(deps.reports.prefix, deps.accountId), reportKey);
    } catch (error) {
      reportError = `the state for the next run was not saved (${describeError(error)}); it will page these changes again`;
      deps.recorder.reportNotWritten('latest', error);
    }
  }

  const outcome: AuditOutcome = {
    accountId: deps.accountId,
    runId: identity.runId,
    runDate: identity.runDate,
    buckets: scanned.buckets,
    keys: scanned.keys,
    findings: header.summary.byStatus,
    changes: header.summary.changes,
    page: header.summary.page,
    notifications,
    ...(location && !reportError ? { report: location.uri, reportKey: location.jsonKey } : {}),
    ...(reportError ? { reportError } : {}),
  };
  deps.recorder.runCompleted(outcome);
  return outcome;
};
