import { createHash } from 'node:crypto';
import { FINDING_STATUSES, SEVERITIES, isFailing, type Finding, type FindingStatus, type Severity } from './finding.js';

/** What a previous run's report says about one finding: enough to tell what changed. */
export interface PreviousFinding {
  readonly id: string;
  readonly check: string;
  readonly severity: Severity;
  readonly status: FindingStatus;
  readonly resource: string;
  readonly region: string;
  readonly title: string;
  readonly observed: string;
  readonly expected: string;
  readonly remediation: string;
}

/** A previous failing finding, compactly: what the comparison needs, and nothing else. */
export interface PreviousEntry {
  readonly status: FindingStatus;
  readonly severity: Severity;
  readonly observedDigest: string;
}

/** The previous run as state: its failing findings by id (a finding that passed is as good as absent). */
export interface PreviousState {
  readonly runId: string;
  readonly failing: ReadonlyMap<string, PreviousEntry>;
}

export const observedDigest = (observed: string): string => createHash('sha256').update(observed).digest('base64').slice(0, 22);

export const previousEntryOf = (finding: PreviousFinding): PreviousEntry => ({
  status: finding.status,
  severity: finding.severity,
  observedDigest: observedDigest(finding.observed),
});

export interface ChangedFinding {
  readonly finding: Finding;
  readonly previous: PreviousFinding;
}

export interface ResolvedFinding {
  readonly previous: PreviousFinding;
  /** The finding this run, when the check still ran on the resource; absent when the resource is gone. */
  readonly current?: Finding | undefined;
}

export interface FindingChanges {
  /** Failing now, and not failing (or not there) last run. */
  readonly new: readonly Finding[];
  /** Failing both times, with a different status, severity or observation. */
  readonly changed: readonly ChangedFinding[];
  /** Failing last run, not failing (or gone) now. */
  readonly resolved: readonly ResolvedFinding[];
  /** Changed by this run's fixes. */
  readonly fixed: readonly Finding[];
  /** Failing both times, exactly as before: in the report, counted, not paged again. */
  readonly unchanged: number;
  /** There was no previous report: everything failing is new. */
  readonly firstRun: boolean;
}

export interface FindingCounts {
  readonly findings: number;
  readonly byStatus: Readonly<Record<FindingStatus, number>>;
  /** Failing findings (failed or error) by severity. */
  readonly failingBySeverity: Readonly<Record<Severity, number>>;
  /** Per check: findings, and how many of them fail. */
  readonly byCheck: ReadonlyMap<string, { readonly findings: number; readonly failing: number }>;
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

/** A stand-in for a previous finding whose details could not be read back: its id names the check. */
const sketchOf = (id: string, entry: PreviousEntry, current?: Finding): PreviousFinding => ({
  id,
  check: current?.check ?? id.split('/')[0] ?? id,
  severity: entry.severity,
  status: entry.status,
  resource: current?.resource ?? '(not recorded)',
  region: current?.region ?? '',
  title: current?.title ?? id.split('/')[0] ?? id,
  observed: '(the previous observation could not be read back)',
  expected: current?.expected ?? '',
  remediation: current?.remediation ?? '',
});

/**
 * This run's findings against the previous run's, one finding at a time: the ledger keeps counts
 * and the findings that changed, never the unchanged ones, so its memory grows with what changed,
 * not with the size of the account. Ids are stable (check + resource), so the same known failure
 * is `unchanged` night after night and pages nobody.
 */
export class FindingLedger {
  private readonly byStatus = zeros(FINDING_STATUSES);
  private readonly failingBySeverity = zeros(SEVERITIES);
  private readonly byCheck = new Map<string, { findings: number; failing: number }>();
  private total = 0;
  private readonly newFindings: Finding[] = [];
  private readonly changedFindings: Finding[] = [];
  private readonly fixedFindings: Finding[] = [];
  private unchanged = 0;
  /** Previous failures that still fail, or were fixed: not resolved. */
  private readonly carried = new Set<string>();
  /** Previous failures that no longer fail: resolved, with this run's finding. */
  private readonly nowPassing = new Map<string, Finding>();

  constructor(private readonly previous: PreviousState | undefined) {}

  record(finding: Finding): void {
    this.total += 1;
    this.byStatus[finding.status] += 1;
    const failing = isFailing(finding.status);
    if (failing) this.failingBySeverity[finding.severity] += 1;
    const check = this.byCheck.get(finding.check) ?? { findings: 0, failing: 0 };
    check.findings += 1;
    if (failing) check.failing += 1;
    this.byCheck.set(finding.check, check);

    const earlier = this.previous?.failing.get(finding.id);
    if (finding.status === 'fixed') {
      this.fixedFindings.push(finding);
      if (earlier) this.carried.add(finding.id);
      return;
    }
    if (!failing) {
      if (earlier) this.nowPassing.set(finding.id, finding);
      return;
    }
    if (!earlier) {
      this.newFindings.push(finding);
      return;
    }
    this.carried.add(finding.id);
    if (earlier.status !== finding.status || earlier.severity !== finding.severity || earlier.observedDigest !== observedDigest(finding.observed)) {
      this.changedFindings.push(finding);
    } else this.unchanged += 1;
  }

  counts(): FindingCounts {
    return { findings: this.total, byStatus: { ...this.byStatus }, failingBySeverity: { ...this.failingBySeverity }, byCheck: new Map(this.byCheck) };
  }

  /** Ids of previous findings whose details the changes show: the changed and the resolved. */
  previousDetailsNeeded(): Set<string> {
    const ids = new Set(this.changedFindings.map((finding) => finding.id));
    for (const id of this.previous?.failing.keys() ?? []) if (!this.carried.has(id)) ids.add(id);
    return ids;
  }

  /** The changes, given the previous findings' details (by id) that `previousDetailsNeeded` named. */
  changes(details: ReadonlyMap<string, PreviousFinding>): FindingChanges {
    const previous = this.previous?.failing ?? new Map<string, PreviousEntry>();
    const detail = (id: string, entry: PreviousEntry, current?: Finding): PreviousFinding => details.get(id) ?? sketchOf(id, entry, current);
    const changed = this.changedFindings.map((finding) => ({ finding, previous: detail(finding.id, previous.get(finding.id) as PreviousEntry, finding) }));
    const resolved: ResolvedFinding[] = [];
    for (const [id, entry] of previous) {
      if (this.carried.has(id)) continue;
      const current = this.nowPassing.get(id);
      resolved.push({ previous: detail(id, entry, current), ...(current ? { current } : {}) });
    }
    return {
      new: [...this.newFindings],
      changed,
      resolved,
      fixed: [...this.fixedFindings],
      unchanged: this.unchanged,
      firstRun: this.previous === undefined,
    };
  }
}

/** The previous findings as state: failing ones only, by id. */
export const previousStateOf = (runId: string, findings: readonly PreviousFinding[]): PreviousState => ({
  runId,
  failing: new Map(findings.filter((finding) => isFailing(finding.status)).map((finding) => [finding.id, previousEntryOf(finding)])),
});

/** Pure: a whole run's findings against a whole previous report's (the ledger, in one call). */
export const diffFindings = (current: readonly Finding[], previous: readonly PreviousFinding[] | undefined): FindingChanges => {
  const ledger = new FindingLedger(previous ? previousStateOf('previous', previous) : undefined);
  current.forEach((finding) => ledger.record(finding));
  return ledger.changes(new Map((previous ?? []).map((finding) => [finding.id, finding])));
};

/** On-call is paged only for failures that are new or changed since the previous run. */
export const needsPage = (changes: FindingChanges): boolean => changes.new.length > 0 || changes.changed.length > 0;
