import { CHECK_IDS } from './checks-catalogue.js';
import type { FindingChanges, FindingCounts, PreviousFinding } from './diff-findings.js';
import { FINDING_STATUSES, RESOURCE_TYPES, SEVERITIES, highestSeverity, type Finding, type FindingStatus, type ResourceType, type Severity } from './finding.js';

export const REPORT_KIND = 'encryption-audit-report';
export const REPORT_SCHEMA_VERSION = 1;

export interface AuditRun {
  /** The run's start, compact and sortable: `2026-11-22T030000Z`. */
  readonly runId: string;
  /** The date the report is filed under: `2026-11-22`. */
  readonly runDate: string;
  readonly startedAt: string;
  readonly accountId: string;
  readonly region: string;
  readonly requiredKey: { readonly reference: string; readonly arn?: string | undefined };
}

/** Where a report lives: S3 keys, an s3:// URI and a console link for people. */
export interface ReportLocation {
  readonly bucket: string;
  readonly jsonKey: string;
  readonly markdownKey: string;
  /** The self-contained HTML page, for people. */
  readonly htmlKey: string;
  /** One OCSF event per finding, for a SIEM or Security Lake. */
  readonly ocsfKey: string;
  readonly uri: string;
  readonly consoleUrl: string;
  /** The HTML page in the S3 console (its Open button shows it). */
  readonly htmlConsoleUrl: string;
}

export interface ReportSummary {
  readonly buckets: number;
  readonly bucketsExempt: number;
  readonly keys: number;
  readonly findings: number;
  readonly byStatus: Readonly<Record<FindingStatus, number>>;
  /** Failing findings (failed or error) by severity. */
  readonly failingBySeverity: Readonly<Record<Severity, number>>;
  readonly highestFailingSeverity: Severity | 'none';
  readonly changes: { readonly new: number; readonly changed: number; readonly resolved: number; readonly fixed: number; readonly unchanged: number };
  /** New or changed failures: on-call is paged. */
  readonly page: boolean;
}

export interface AuditReport {
  readonly kind: typeof REPORT_KIND;
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly run: AuditRun;
  readonly location?: ReportLocation | undefined;
  readonly summary: ReportSummary;
  readonly scope: { readonly exemptBuckets: readonly string[] };
  readonly changes: {
    readonly firstRun: boolean;
    readonly new: readonly string[];
    readonly changed: readonly string[];
    readonly resolved: readonly PreviousFinding[];
    readonly fixed: readonly string[];
  };
  readonly findings: readonly Finding[];
}

/** The report without its findings: everything the summary and the notifications are made from. */
export type ReportHeader = Omit<AuditReport, 'findings'>;

export interface ReportHeaderInput {
  readonly run: AuditRun;
  readonly location?: ReportLocation | undefined;
  readonly counts: FindingCounts;
  readonly changes: FindingChanges;
  readonly buckets: number;
  readonly exemptBuckets: readonly string[];
  readonly keys: number;
}

export const buildReportHeader = ({ run, location, counts, changes, buckets, exemptBuckets, keys }: ReportHeaderInput): ReportHeader => ({
  kind: REPORT_KIND,
  schemaVersion: REPORT_SCHEMA_VERSION,
  run,
  ...(location ? { location } : {}),
  summary: {
    buckets,
    bucketsExempt: exemptBuckets.length,
    keys,
    findings: counts.findings,
    byStatus: counts.byStatus,
    failingBySeverity: counts.failingBySeverity,
    highestFailingSeverity: highestSeverity(SEVERITIES.filter((severity) => counts.failingBySeverity[severity] > 0)) ?? 'none',
    changes: {
      new: changes.new.length,
      changed: changes.changed.length,
      resolved: changes.resolved.length,
      fixed: changes.fixed.length,
      unchanged: changes.unchanged,
    },
    page: changes.new.length > 0 || changes.changed.length > 0,
  },
  scope: { exemptBuckets: [...exemptBuckets].sort() },
  changes: {
    firstRun: changes.firstRun,
    new: changes.new.map((finding) => finding.id),
    changed: changes.changed.map(({ finding }) => finding.id),
    resolved: changes.resolved.map(({ previous }) => previous),
    fixed: changes.fixed.map((finding) => finding.id),
  },
});

/**
 * The report's JSON text is written as it goes: the header on the first line, then one finding per
 * line. It is one JSON document, and a reader can take it a line at a time.
 */
export const reportJsonOpening = (header: ReportHeader): string => `${JSON.stringify(header).slice(0, -1)},\n"findings":[\n`;
export const reportJsonFinding = (finding: Finding, first: boolean): string => `${first ? '' : ',\n'}${JSON.stringify(finding)}`;
export const REPORT_JSON_CLOSING = '\n]}\n';

/** `2026-11-22T03:00:00.000Z` → run id `2026-11-22T030000Z` and date `2026-11-22`. */
export const runIdentity = (startedAt: Date): { runId: string; runDate: string; startedAt: string } => {
  const iso = startedAt.toISOString();
  return { runId: `${iso.slice(0, 10)}T${iso.slice(11, 19).replace(/:/g, '')}Z`, runDate: iso.slice(0, 10), startedAt: iso };
};

/** The console's host in a region's partition. */
export const consoleHostOf = (partition: string): string => CONSOLE_HOSTS[partition] ?? 'console.aws.amazon.com';

const CONSOLE_HOSTS: Readonly<Record<string, string>> = {
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** Each account's reports under its own folder: unique per account and run, whoever owns the bucket. */
export const reportLocation = (
  bucket: string,
  prefix: string,
  run: Pick<AuditRun, 'runId' | 'runDate'>,
  accountId: string,
  region: string,
  partition: string,
): ReportLocation => {
  const base = `${prefix}${accountId}/${run.runDate}/encryption-audit-${run.runId}`;
  const jsonKey = `${base}.json`;
  const htmlKey = `${base}.html`;
  const consoleUrlOf = (key: string): string => `https://${consoleHostOf(partition)}/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(key)}`;
  return {
    bucket,
    jsonKey,
    markdownKey: `${base}.md`,
    htmlKey,
    ocsfKey: `${base}.ocsf.jsonl`,
    uri: `s3://${bucket}/${jsonKey}`,
    consoleUrl: consoleUrlOf(jsonKey),
    htmlConsoleUrl: consoleUrlOf(htmlKey),
  };
};

/** The key of the copy of an account's latest report: the state its next run compares against. */
export const latestReportKey = (prefix: string, accountId: string): string => `${prefix}${accountId}/latest.json`;

/** Where the state was kept before reports were filed per account: read, never written. */
export const legacyLatestReportKey = (prefix: string): string => `${prefix}latest.json`;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const CHECKS = new Set<string>(CHECK_IDS);

const previousFinding = (value: unknown): PreviousFinding | undefined => {
  if (!isObject(value)) return undefined;
  const text = (field: string): string | undefined => (typeof value[field] === 'string' ? (value[field] as string) : undefined);
  const [id, check, severity, status, resource, region, title, observed, expected, remediation] = [
    'id', 'check', 'severity', 'status', 'resource', 'region', 'title', 'observed', 'expected', 'remediation',
  ].map(text);
  if (!id || !check || !resource || observed === undefined) return undefined;
  if (!(SEVERITIES as readonly string[]).includes(severity ?? '') || !(FINDING_STATUSES as readonly string[]).includes(status ?? '')) return undefined;
  const accountId = text('accountId');
  const resourceType = text('resourceType');
  const firstSeen = text('firstSeen');
  // The optional fields first, then the rest assigned onto them: the order the report's
  // `changes.resolved` is written in. Not conditional spreads followed by more properties, which cost
  // V8 a fresh hidden class for every finding (about 12 µs each, while the scan waits for this report).
  const optional: { accountId?: string; resourceType?: ResourceType; firstSeen?: string } = {};
  if (accountId) optional.accountId = accountId;
  if (resourceType && (RESOURCE_TYPES as readonly string[]).includes(resourceType)) optional.resourceType = resourceType as ResourceType;
  if (firstSeen && !Number.isNaN(Date.parse(firstSeen))) optional.firstSeen = firstSeen;
  return Object.assign(optional, {
    id,
    check,
    severity: severity as Severity,
    status: status as FindingStatus,
    resource,
    region: region ?? '',
    title: title ?? check,
    observed,
    expected: expected ?? '',
    remediation: remediation ?? '',
  });
};

export type PreviousReport =
  | { readonly kind: 'found'; readonly runId: string; readonly accountId?: string | undefined; readonly startedAt?: string | undefined; readonly findings: readonly PreviousFinding[] }
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * A previous report as state: its findings, kept only where they are well-formed and of a check this
 * version knows (a retired check must not resurface as "resolved" forever).
 */
export const readPreviousReport = (text: string): PreviousReport => {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', reason: 'the previous report is not valid JSON' };
  }
  if (!isObject(document) || document['kind'] !== REPORT_KIND || !Array.isArray(document['findings'])) {
    return { kind: 'unreadable', reason: `the previous report is not an ${REPORT_KIND}` };
  }
  const run = isObject(document['run']) ? document['run'] : {};
  return {
    kind: 'found',
    runId: typeof run['runId'] === 'string' ? run['runId'] : 'unknown',
    ...(typeof run['accountId'] === 'string' ? { accountId: run['accountId'] } : {}),
    ...(typeof run['startedAt'] === 'string' && !Number.isNaN(Date.parse(run['startedAt'])) ? { startedAt: run['startedAt'] } : {}),
    findings: document['findings'].flatMap((value) => {
      const finding = previousFinding(value);
      return finding && CHECKS.has(finding.check) ? [finding] : [];
    }),
  };
};

export type PreviousReportScan =
  | {
      readonly kind: 'found';
      readonly runId: string;
      /** The account the report is of, where it says. */
      readonly accountId?: string | undefined;
      /** When that run started, where it says: the first sighting of findings reported before they carried one. */
      readonly startedAt?: string | undefined;
    }
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * A previous report read line by line, each well-formed finding of a known check handed to
 * `onFinding` as it is read: memory holds one line, not the report. A report laid out otherwise
 * (pretty-printed by an earlier version) is read whole instead.
 */
export const scanPreviousReport = async (lines: AsyncIterable<string>, onFinding: (finding: PreviousFinding) => void): Promise<PreviousReportScan> => {
  let lineNumber = 0;
  let opening: Record<string, unknown> | undefined;
  let closed = false;
  const whole: string[] = [];
  for await (const line of lines) {
    lineNumber += 1;
    if (lineNumber === 1) {
      if (line.endsWith(',') && line.startsWith('{')) {
        try {
          const parsed: unknown = JSON.parse(`${line.slice(0, -1)}}`);
          if (isObject(parsed)) opening = parsed;
        } catch {
          opening = undefined;
        }
      }
      if (!opening) whole.push(line);
      continue;
    }
    if (!opening) {
      whole.push(line);
      continue;
    }
    if (lineNumber === 2) {
      if (line !== '"findings":[') return { kind: 'unreadable', reason: 'the previous report has no findings list where one belongs' };
      continue;
    }
    if (line === ']}') {
      closed = true;
      continue;
    }
    if (closed) {
      if (line.trim() === '') continue;
      return { kind: 'unreadable', reason: 'the previous report has text after its end' };
    }
    // A report without findings has an empty line between `"findings":[` and `]}`.
    if (line.trim() === '') continue;
    const text = line.endsWith(',') ? line.slice(0, -1) : line;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { kind: 'unreadable', reason: `line ${lineNumber} of the previous report is not valid JSON` };
    }
    const finding = previousFinding(value);
    if (finding && CHECKS.has(finding.check)) onFinding(finding);
  }
  if (!opening) {
    const previous = readPreviousReport(whole.join('\n'));
    if (previous.kind === 'unreadable') return previous;
    previous.findings.forEach(onFinding);
    return { kind: 'found', runId: previous.runId, ...(previous.accountId ? { accountId: previous.accountId } : {}), ...(previous.startedAt ? { startedAt: previous.startedAt } : {}) };
  }
  if (opening['kind'] !== REPORT_KIND) return { kind: 'unreadable', reason: `the previous report is not an ${REPORT_KIND}` };
  if (!closed) return { kind: 'unreadable', reason: 'the previous report ends before its findings do' };
  const run = isObject(opening['run']) ? opening['run'] : {};
  return {
    kind: 'found',
    runId: typeof run['runId'] === 'string' ? run['runId'] : 'unknown',
    ...(typeof run['accountId'] === 'string' ? { accountId: run['accountId'] } : {}),
    ...(typeof run['startedAt'] === 'string' && !Number.isNaN(Date.parse(run['startedAt'])) ? { startedAt: run['startedAt'] } : {}),
  };
};
