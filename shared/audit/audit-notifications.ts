import type { Notification } from '../ports/notification-publisher.js';
import type { AuditReport, ReportHeader } from './audit-report.js';
import type { FindingChanges, PreviousFinding } from './diff-findings.js';
import { compareSeverity, compareText, highestSeverity, type Finding, type FindingStatus, type FixRecord, type Severity } from './finding.js';

export type ChangeKind = 'new' | 'changed' | 'resolved' | 'fixed';

/** One finding as subscribers receive it: the finding, what changed, and what it was before. */
export interface NotifiedFinding {
  readonly id: string;
  readonly check: string;
  readonly severity: Severity;
  readonly status: FindingStatus | 'resolved';
  readonly resource: string;
  readonly region: string;
  readonly title: string;
  readonly observed: string;
  readonly expected: string;
  readonly remediation: string;
  readonly controls: readonly string[];
  readonly change: ChangeKind;
  readonly previous?: { readonly status: FindingStatus; readonly severity: Severity; readonly observed: string } | undefined;
  readonly fix?: Finding['fix'];
}

export interface NotificationSummary {
  readonly kind: 'encryption-audit';
  readonly runId: string;
  readonly runDate: string;
  readonly accountId: string;
  readonly region: string;
  readonly page: boolean;
  /** The most severe new or changed failure; `none` when nothing pages. */
  readonly severity: Severity | 'none';
  readonly changes: AuditReport['summary']['changes'];
  readonly failing: number;
  readonly highestFailingSeverity: Severity | 'none';
  readonly report?: { readonly uri: string; readonly consoleUrl: string; /** The HTML page in the console. */ readonly html?: string | undefined } | undefined;
  readonly reportError?: string | undefined;
  readonly part: number;
  readonly parts: number;
}

export interface NotificationDocument {
  readonly summary: NotificationSummary;
  readonly findings: readonly NotifiedFinding[];
}

/** Long observations (a policy fragment, a list of objects) are cut in messages; the report has them whole. */
const FIELD_LIMIT = 1_000;
const clip = (text: string): string => (text.length <= FIELD_LIMIT ? text : `${text.slice(0, FIELD_LIMIT - 1)}…`);

const fromFinding = (finding: Finding, change: ChangeKind, previous?: PreviousFinding): NotifiedFinding => ({
  id: finding.id,
  check: finding.check,
  severity: finding.severity,
  status: finding.status,
  resource: finding.resource,
  region: finding.region,
  title: clip(finding.title),
  observed: clip(finding.observed),
  expected: clip(finding.expected),
  remediation: clip(finding.remediation),
  controls: finding.controls,
  change,
  ...(previous ? { previous: { status: previous.status, severity: previous.severity, observed: clip(previous.observed) } } : {}),
  ...(finding.fix ? { fix: finding.fix } : {}),
});

const fromResolved = (previous: PreviousFinding, current: Finding | undefined): NotifiedFinding => ({
  ...(current ? fromFinding(current, 'resolved') : { ...fromFinding({ ...previous, controls: [], resourceType: 'AwsS3Bucket' }, 'resolved'), controls: [] }),
  status: current?.status ?? 'resolved',
  change: 'resolved',
  previous: { status: previous.status, severity: previous.severity, observed: clip(previous.observed) },
});

/** Paged first (new, changed, most severe first), then fixes, then what got better. */
export const notifiedFindings = (changes: FindingChanges): NotifiedFinding[] => {
  const bySeverity = (a: NotifiedFinding, b: NotifiedFinding): number => compareSeverity(a.severity, b.severity) || compareText(a.id, b.id);
  return [
    ...[...changes.new.map((finding) => fromFinding(finding, 'new')), ...changes.changed.map(({ finding, previous }) => fromFinding(finding, 'changed', previous))].sort(bySeverity),
    ...changes.fixed.map((finding) => fromFinding(finding, 'fixed')).sort(bySeverity),
    ...changes.resolved.map(({ previous, current }) => fromResolved(previous, current)).sort(bySeverity),
  ];
};

const LABEL: Readonly<Record<ChangeKind, string>> = { new: 'NEW', changed: 'CHANGED', fixed: 'FIXED', resolved: 'RESOLVED' };

const fixText = (fix: FixRecord): string => {
  switch (fix.outcome) {
    case 'applied':
      return fix.after;
    case 'planned':
      return `fix planned: ${fix.after}`;
    case 'failed':
    case 'refused':
      return `fix ${fix.outcome}: ${fix.error ?? ''}`;
  }
};

const textLine = (finding: NotifiedFinding): string => {
  const was = finding.change === 'changed' && finding.previous ? ` (was ${finding.previous.severity}: ${finding.previous.observed})` : '';
  const fix = finding.fix ? ` → ${fixText(finding.fix)}` : '';
  return `- [${finding.severity}] ${finding.check} ${finding.resource}: ${finding.observed}${was}${fix}`;
};

const textOf = (summary: NotificationSummary, findings: readonly NotifiedFinding[]): string => {
  const { changes } = summary;
  const lines = [
    `S3 encryption audit ${summary.runDate}, account ${summary.accountId}${summary.parts > 1 ? ` (part ${summary.part} of ${summary.parts})` : ''}`,
    `${changes.new} new, ${changes.changed} changed, ${changes.fixed} fixed, ${changes.resolved} resolved; ${summary.failing} failing in all (${changes.unchanged} known and unchanged).`,
    summary.report ? `Report: ${summary.report.uri}\n${summary.report.consoleUrl}${summary.report.html ? `\nHTML report: ${summary.report.html}` : ''}` : `Report: not written${summary.reportError ? ` (${summary.reportError})` : ''}`,
  ];
  if (findings.length === 0) lines.push('', summary.page ? '' : 'Nothing changed since the previous run.');
  for (const kind of ['new', 'changed', 'fixed', 'resolved'] as const) {
    const items = findings.filter((finding) => finding.change === kind);
    if (items.length > 0) lines.push('', `${LABEL[kind]} (${items.length})`, ...items.map(textLine));
  }
  return lines.join('\n').trimEnd();
};

const subjectOf = (summary: NotificationSummary): string => {
  const { changes } = summary;
  const what =
    changes.new + changes.changed + changes.resolved + changes.fixed === 0
      ? `no changes, ${summary.failing} known failing`
      : `${changes.new} new, ${changes.changed} changed, ${changes.resolved} resolved${changes.fixed > 0 ? `, ${changes.fixed} fixed` : ''}`;
  const severity = summary.page ? ` [${summary.severity}]` : '';
  return `S3 encryption audit ${summary.runDate}${severity}: ${what}${summary.parts > 1 ? ` (${summary.part}/${summary.parts})` : ''}`;
};

const notificationOf = (base: Omit<NotificationSummary, 'part' | 'parts'>, findings: readonly NotifiedFinding[], part: number, parts: number): Notification => {
  const summary: NotificationSummary = { ...base, part, parts };
  const checks = [...new Set(findings.map((finding) => finding.check))].sort();
  const changes = [...new Set(findings.map((finding) => finding.change))].sort();
  return {
    subject: subjectOf(summary),
    text: textOf(summary, findings),
    document: { summary, findings } satisfies NotificationDocument,
    // Lists go out as String.Array; an empty one is left out rather than sent as "[]".
    attributes: {
      kind: 'encryption-audit',
      page: String(summary.page),
      severity: summary.severity,
      ...(checks.length > 0 ? { checks } : {}),
      ...(changes.length > 0 ? { changes } : {}),
    },
  };
};

export interface NotificationInput {
  readonly report: ReportHeader;
  readonly changes: FindingChanges;
  readonly reportError?: string | undefined;
  /** The size of the message the channel would send for a notification (SNS: the MessageStructure body). */
  readonly measure: (notification: Notification) => number;
  readonly budgetBytes: number;
}

/**
 * Packs findings in order into parts whose estimated size stays within the budget. Each finding's
 * cost is measured once, alone, so packing stays linear however many findings a first run has.
 */
const pack = (
  findings: readonly NotifiedFinding[],
  sizeOf: (group: readonly NotifiedFinding[]) => number,
  budgetBytes: number,
): NotifiedFinding[][] => {
  const empty = sizeOf([]);
  const groups: NotifiedFinding[][] = [];
  let current: NotifiedFinding[] = [];
  let size = empty;
  for (const finding of findings) {
    // A separator and list punctuation per copy of the document: a little over, never under.
    const cost = sizeOf([finding]) - empty + 64;
    if (current.length > 0 && size + cost > budgetBytes) {
      groups.push(current);
      current = [];
      size = empty;
    }
    current.push(finding);
    size += cost;
  }
  groups.push(current);
  return groups;
};

/** The estimate is checked against the real size; a part that is still too big is halved. */
const fitted = (group: NotifiedFinding[], sizeOf: (group: readonly NotifiedFinding[]) => number, budgetBytes: number): NotifiedFinding[][] => {
  if (group.length <= 1 || sizeOf(group) <= budgetBytes) return [group];
  const half = Math.ceil(group.length / 2);
  return [...fitted(group.slice(0, half), sizeOf, budgetBytes), ...fitted(group.slice(half), sizeOf, budgetBytes)];
};

/**
 * One summary per run, in as few parts as fit the channel's limit; every part carries the summary.
 * It lists what changed (new, changed, fixed, resolved); known failures are counted, not repeated.
 */
export const buildAuditNotifications = ({ report, changes, reportError, measure, budgetBytes }: NotificationInput): Notification[] => {
  const paged = [...changes.new, ...changes.changed.map(({ finding }) => finding)];
  const base: Omit<NotificationSummary, 'part' | 'parts'> = {
    kind: 'encryption-audit',
    runId: report.run.runId,
    runDate: report.run.runDate,
    accountId: report.run.accountId,
    region: report.run.region,
    page: paged.length > 0,
    severity: highestSeverity(paged.map((finding) => finding.severity)) ?? 'none',
    changes: report.summary.changes,
    failing: report.summary.byStatus.failed + report.summary.byStatus.error,
    highestFailingSeverity: report.summary.highestFailingSeverity,
    ...(report.location ? { report: { uri: report.location.uri, consoleUrl: report.location.consoleUrl, html: report.location.htmlConsoleUrl } } : {}),
    ...(reportError ? { reportError } : {}),
  };
  // Part numbers are not known while packing; the widest stand in, so the real message is no larger.
  const sizeOf = (group: readonly NotifiedFinding[]): number => measure(notificationOf(base, group, 999, 999));
  const groups = pack(notifiedFindings(changes), sizeOf, budgetBytes).flatMap((group) => fitted(group, sizeOf, budgetBytes));
  return groups.map((group, index) => notificationOf(base, group, index + 1, groups.length));
};
