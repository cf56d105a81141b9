import { Buffer } from 'node:buffer';
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
import { PreviousSightings } from '../../shared/audit/previous-sightings.js';
import { accountHistoryEntry, accountHistoryKey, historyText, readHistory, withRun, type RunHistoryEntry } from '../../shared/audit/run-history.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import { drawTrend, prepareTrendDrawing } from '../../shared/report-html/draw-trend.js';
import type { FindingChanges } from '../../shared/audit/diff-findings.js';
import type { RegionImportOutcome } from '../../shared/findings-export/security-hub-export.js';
import type { FindingsImporter } from '../../shared/ports/findings-importer.js';
import type { Notification, NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { ReportSpool } from '../../shared/ports/report-spool.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import { factError } from './gather-facts.js';
import { ReportFiles } from './report-files.js';
import type { AccountScan, FindingSink } from './scan-account.js';
import { SecurityHubFiles, importFindings } from './security-hub-files.js';

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
  /**
   * The reports live only as long as the run (a command-line run without a bucket, in a temporary
   * directory): they name no location, since nothing will be there to open.
   */
  readonly transient?: boolean | undefined;
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
  /** One region's import into Security Hub, whatever its outcome. */
  securityHubImported(outcome: RegionImportOutcome): void;
  runCompleted(outcome: AuditOutcome): void;
}

/** Security Hub CSPM of the audited account, where its findings are imported (POLICY.audit.securityHub). */
export interface SecurityHubDestination {
  /** Calls Security Hub as the audited account (its own clients, or the member role's). */
  readonly importer: FindingsImporter;
  /** Scratch space for the findings on their way, when the run has no report destination to share one with. */
  readonly openSpool: () => ReportSpool;
}

export interface AuditRunDependencies {
  /** The account audited: its reports and its state for the next night are filed under it. */
  readonly accountId: string;
  readonly homeRegion: string;
  /** REQUIRED_KMS_KEY as configured, for the report. */
  readonly requiredKeyReference: string;
  readonly reports?: ReportDestination | undefined;
  readonly securityHub?: SecurityHubDestination | undefined;
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

/** The previous run as this one needs it: its failures to compare against, and every finding's first sighting. */
interface PreviousRun {
  readonly state: PreviousState | undefined;
  readonly sightings: PreviousSightings;
}

const FIRST_RUN: PreviousRun = { state: undefined, sightings: PreviousSightings.NONE };

/**
 * The state to compare against: the previous report's failing findings, compactly, and when each of
 * its findings was first seen, read a line at a time; or none (then everything failing is new).
 * Never throws: a report that cannot be read is recorded, and the run goes on as a first run.
 */
const readPreviousRun = async (deps: AuditRunDependencies): Promise<PreviousRun> => {
  if (!deps.reports) {
    deps.recorder.previousReportUnavailable('REPORTS_BUCKET is not set: every failing finding counts as new on every run');
    return FIRST_RUN;
  }
  try {
    const latest = await readLatest(deps.reports, deps.accountId);
    if (!latest) return FIRST_RUN;
    const failing = PreviousFailures.collect();
    const sightings = PreviousSightings.collect();
    const scan = await scanPreviousReport(latest.lines, (finding) => {
      const digest = idDigest(finding.id);
      failing.add(finding, digest);
      sightings.add(finding, digest);
    });
    if (scan.kind === 'unreadable') {
      deps.recorder.previousReportUnavailable(scan.reason);
      return FIRST_RUN;
    }
    if (latest.legacy && ofAnotherAccount(scan, deps.accountId)) return FIRST_RUN;
    return { state: { runId: scan.runId, failing: failing.build() }, sightings: sightings.build(scan.startedAt) };
  } catch (error) {
    deps.recorder.previousReportUnavailable(`the previous report could not be read (${describeError(error)})`);
    return FIRST_RUN;
  }
};

/** The account's run history so far, or why it cannot be added to this run (then it is left as it is). */
type HistoryReading = { readonly kind: 'read'; readonly entries: readonly RunHistoryEntry[] } | { readonly kind: 'unavailable'; readonly error: unknown };

const readAccountHistory = async (deps: AuditRunDependencies): Promise<HistoryReading> => {
  if (!deps.reports) return { kind: 'read', entries: [] };
  try {
    const stored = await deps.reports.store.readLines(accountHistoryKey(deps.reports.prefix, deps.accountId));
    return { kind: 'read', entries: (await readHistory(stored)).entries };
  } catch (error) {
    return { kind: 'unavailable', error };
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
 * This run added to the account's history, once its reports are written. A history that could not
 * be read is not written over: a failed read never costs the runs before it.
 */
const saveHistory = async (deps: AuditRunDependencies, reports: ReportDestination, history: HistoryReading, entries: readonly RunHistoryEntry[], kmsKeyArn: string): Promise<void> => {
  if (history.kind === 'unavailable') {
    deps.recorder.reportNotWritten('history', history.error);
    return;
  }
  const text = historyText(entries);
  try {
    await reports.store.write({
      key: accountHistoryKey(reports.prefix, deps.accountId),
      body: async function* () {
        yield text;
      },
      contentLength: Buffer.byteLength(text, 'utf8'),
      contentType: 'application/x-ndjson',
      kmsKeyArn,
    });
  } catch (error) {
    deps.recorder.reportNotWritten('history', error);
  }
};

/**
 * One nightly run of one account around its scan: the previous state read while the scan lists its
 * first buckets, each finding the scan hands on counted against that state and spooled into the
 * report, then the report, the summary and the state for the next night. The dated report is
 * written before the summary goes out, and the state (latest.json, a copy of it) only after it went
 * out: a failed publish throws, and the retry pages again instead of finding nothing new.
 */
export const runAudit = async (deps: AuditRunDependencies, scan: Scan, startedAt: Date): Promise<AuditOutcome> => {
  const previousReading = readPreviousRun(deps);
  const historyReading = readAccountHistory(deps);
  // A run with reports draws the page's trend at its end: the drawing loads while the run waits on its first calls.
  if (deps.reports) prepareTrendDrawing();
  const partition = partitionOf(deps.homeRegion);
  const runStart = startedAt.toISOString();
  let recorded: Recorded | undefined;
  const spools: ReportSpool[] = [];
  const withFixes: Finding[] = [];
  const openSink = async (): Promise<FindingSink> => {
    const previous = await previousReading;
    const ledger = new FindingLedger(previous.state);
    // One spool for the run: a spool may clear what earlier runs left, a second one included.
    const spool = (deps.reports ?? deps.securityHub)?.openSpool();
    if (spool) spools.push(spool);
    const files = spool && deps.reports ? new ReportFiles(spool, { partition, time: startedAt.getTime() }) : undefined;
    const hub = spool && deps.securityHub ? new SecurityHubFiles(spool, { accountId: deps.accountId, partition, homeRegion: deps.homeRegion, updatedAt: runStart }) : undefined;
    const sink: FindingSink = (scanned) => {
      // One digest of the id serves the sightings and the ledger.
      const digest = idDigest(scanned.id);
      // A finding's first sighting is carried from the previous report, or is this run.
      const firstSeen = previous.sightings.sightDigest(digest) ?? runStart;
      // As `{ ...scanned, firstSeen }` would make it, without the fresh hidden class V8 gives such a
      // copy for every finding (a few µs each).
      const finding: AccountFinding = Object.assign({}, scanned, { firstSeen });
      ledger.record(finding, digest);
      files?.add(finding);
      hub?.add(finding, firstSeen);
      if (finding.fix) withFixes.push(finding);
      deps.recorder.findingRecorded(finding);
    };
    recorded = { ledger, files, hub, sightings: previous.sightings, sink, withFixes };
    return sink;
  };
  try {
    let scanned: AccountScan;
    try {
      scanned = await scan(openSink);
    } catch (error) {
      // The reads already under way end before the invocation does.
      await Promise.all([previousReading, historyReading]);
      throw error;
    }
    if (!recorded) throw new Error(`the scan of account ${deps.accountId} ended without asking for somewhere to record its findings`);
    return await complete(deps, scanned, recorded, await historyReading, startedAt);
  } finally {
    await Promise.all(spools.map((spool) => spool.discard()));
  }
};

interface Recorded {
  readonly ledger: FindingLedger;
  readonly files: ReportFiles | undefined;
  readonly hub: SecurityHubFiles | undefined;
  readonly sightings: PreviousSightings;
  /** Records a finding made after the scan (the import's own) as the scan's were. */
  readonly sink: FindingSink;
  readonly withFixes: readonly Finding[];
}

/**
 * Security Hub: this run's findings, and last run's whose resource or check is gone (archived, once),
 * imported region by region; each region's outcome is a finding of its own. A Security Hub that is
 * not enabled, or refuses findings, is reported, and the run goes on.
 */
const importIntoSecurityHub = async (deps: AuditRunDependencies, recorded: Recorded, unsighted: ReadonlySet<number>, details: ReadonlyMap<number, PreviousFinding>, runStart: string): Promise<void> => {
  const { hub, sightings, sink } = recorded;
  if (!hub || !deps.securityHub) return;
  for (const digest of unsighted) {
    const previous = details.get(digest);
    if (previous) hub.archive(previous, sightings.firstSeenOf(digest) ?? runStart);
  }
  const outcomes = await hub.importAll(deps.securityHub.importer);
  outcomes.forEach((outcome) => deps.recorder.securityHubImported(outcome));
  importFindings(outcomes, { accountId: deps.accountId, partition: partitionOf(deps.homeRegion), homeRegion: deps.homeRegion, updatedAt: runStart }).forEach((finding) =>
    sink({ accountId: deps.accountId, ...finding }),
  );
};

/** After the scan: Security Hub, what changed, the reports, the summary, the state for the next night. */
const complete = async (deps: AuditRunDependencies, scanned: AccountScan, recorded: Recorded, history: HistoryReading, startedAt: Date): Promise<AuditOutcome> => {
  const { ledger, files, withFixes } = recorded;
  const runStart = startedAt.toISOString();
  const needed = ledger.previousDetailsNeeded();
  const unsighted = recorded.hub ? recorded.sightings.unsighted() : new Set<number>();
  unsighted.forEach((digest) => needed.add(digest));
  const details = await readPreviousDetails(deps, needed);
  await importIntoSecurityHub(deps, recorded, unsighted, details, runStart);
  const changes = ledger.changes(details);
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
  const historyEntry = accountHistoryEntry(run, counts);
  const headerInput = { run, counts, changes, buckets: scanned.buckets, exemptBuckets: scanned.exemptBuckets, keys: scanned.keys };
  const header = buildReportHeader({ ...headerInput, location: deps.reports?.transient ? undefined : location });

  let reportError: string | undefined;
  const reportKey = deps.reports?.kmsKeyArn ?? (requiredKey.kind === 'usable' ? requiredKey.arn : undefined);
  if (deps.reports && location && files) {
    if (reportKey === undefined) {
      reportError = `the required key is not usable in ${deps.homeRegion}, so the report cannot be encrypted under it`;
      deps.recorder.reportNotWritten('report', new Error(reportError));
    } else {
      const { store } = deps.reports;
      // The trend shows this run too; a history that could not be read shows this run alone.
      const trend = withRun(history.kind === 'read' ? history.entries : [], historyEntry);
      const trendMarkup = await drawTrend(trend);
      const bodies = [
        { key: location.jsonKey, ...files.json(header), contentType: 'application/json' },
        { key: location.markdownKey, ...files.markdown(header, changes, counts, withFixes), contentType: 'text/markdown; charset=utf-8' },
        { key: location.htmlKey, ...files.html(header, changes, trendMarkup, withFixes), contentType: 'text/html; charset=utf-8' },
        { key: location.ocsfKey, ...files.ocsfLines(), contentType: 'application/x-ndjson' },
      ];
      const written = await Promise.allSettled(bodies.map((body) => store.write({ ...body, kmsKeyArn: reportKey })));
      const failed = written.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        reportError = describeError(failed.reason);
        deps.recorder.reportNotWritten('report', failed.reason);
      } else {
        await saveHistory(deps, deps.reports, history, trend, reportKey);
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
