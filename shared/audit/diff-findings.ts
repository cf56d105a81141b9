import { isFailing, type Finding, type FindingStatus, type Severity } from './finding.js';

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
  /** Failing both times, exactly as before: in the report, not paged again. */
  readonly unchanged: readonly Finding[];
  /** There was no previous report: everything failing is new. */
  readonly firstRun: boolean;
}

/**
 * Pure: this run's findings against the previous report's. Ids are stable (check + resource), so
 * the same known failure is `unchanged` night after night and pages nobody.
 */
export const diffFindings = (current: readonly Finding[], previous: readonly PreviousFinding[] | undefined): FindingChanges => {
  const before = new Map((previous ?? []).map((finding) => [finding.id, finding]));
  const now = new Map(current.map((finding) => [finding.id, finding]));
  const changes = { new: [] as Finding[], changed: [] as ChangedFinding[], fixed: [] as Finding[], unchanged: [] as Finding[] };
  for (const finding of current) {
    if (finding.status === 'fixed') {
      changes.fixed.push(finding);
      continue;
    }
    if (!isFailing(finding.status)) continue;
    const earlier = before.get(finding.id);
    if (!earlier || !isFailing(earlier.status)) changes.new.push(finding);
    else if (earlier.status !== finding.status || earlier.severity !== finding.severity || earlier.observed !== finding.observed) {
      changes.changed.push({ finding, previous: earlier });
    } else changes.unchanged.push(finding);
  }
  const resolved = [...before.values()]
    .filter((earlier) => isFailing(earlier.status))
    .flatMap((earlier) => {
      const finding = now.get(earlier.id);
      if (finding && (isFailing(finding.status) || finding.status === 'fixed')) return [];
      return [{ previous: earlier, ...(finding ? { current: finding } : {}) }];
    });
  return { ...changes, resolved, firstRun: previous === undefined };
};

/** On-call is paged only for failures that are new or changed since the previous run. */
export const needsPage = (changes: FindingChanges): boolean => changes.new.length > 0 || changes.changed.length > 0;
