import { hash } from 'node:crypto';
import { FINDING_STATUSES, SEVERITIES, compareSeverity, compareText, isFailing, type Finding, type FindingStatus, type ResourceType, type Severity } from './finding.js';

/** What a previous run's report says about one finding: enough to tell what changed. */
export interface PreviousFinding {
  /** The account whose resource it was; reports from before findings named their account have none. */
  readonly accountId?: string | undefined;
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
  /** Absent in reports written before findings carried them. */
  readonly resourceType?: ResourceType | undefined;
  readonly firstSeen?: string | undefined;
}

/**
 * 48 bits of the SHA-256 of a finding id: exact in a number, and unique among millions of ids. A run
 * takes it once per finding and hands it to whatever else needs it (the sightings, the ledger).
 */
export const idDigest = (id: string): number => hash('sha256', id, 'buffer').readUIntBE(0, 6);

/** The position of `value` among the first `size` entries of ascending `values`, or -1. */
export const sortedIndexOf = (values: Float64Array, size: number, value: number): number => {
  let low = 0;
  let high = size - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = values[middle] as number;
    if (found === value) return middle;
    if (found < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
};

/** Status, severity and observation in 32 bits: equal digests mean nothing changed worth paging. */
export const stateDigest = (finding: Pick<PreviousFinding, 'status' | 'severity' | 'observed'>): number =>
  hash('sha256', `${finding.status}\u0000${finding.severity}\u0000${finding.observed}`, 'buffer').readUInt32BE(0);

/**
 * The previous run's failing findings, compactly: for each, the digest of its id, the digest of its
 * state, its severity and status — 14 bytes, in typed arrays sorted by id digest. A finding that
 * passed last run is as good as absent, so only failing ones are kept.
 */
export class PreviousFailures {
  private constructor(
    private readonly ids: Float64Array,
    private readonly states: Uint32Array,
    /** Severity × 16 + status, as indexes into SEVERITIES and FINDING_STATUSES. */
    private readonly facets: Uint16Array,
    readonly size: number,
  ) {}

  /**
   * Collects failures as the previous report is read, then sorts them in place (a heap sort over the
   * three arrays together): no copy, no index array, so reading the state never needs more than the
   * arrays themselves, grown by half as they fill.
   */
  static collect(): { add(finding: PreviousFinding, digest?: number): void; build(): PreviousFailures } {
    let ids = new Float64Array(1024);
    let states = new Uint32Array(1024);
    let facets = new Uint16Array(1024);
    let size = 0;
    return {
      /** `digest`: the id's, when the caller has it already. */
      add(finding, digest) {
        if (!isFailing(finding.status)) return;
        if (size === ids.length) {
          const capacity = Math.ceil(ids.length * 1.5);
          const grow = <T extends Float64Array | Uint32Array | Uint16Array>(from: T, to: T): T => {
            to.set(from);
            return to;
          };
          ids = grow(ids, new Float64Array(capacity));
          states = grow(states, new Uint32Array(capacity));
          facets = grow(facets, new Uint16Array(capacity));
        }
        ids[size] = digest ?? idDigest(finding.id);
        states[size] = stateDigest(finding);
        facets[size] = SEVERITIES.indexOf(finding.severity) * 16 + FINDING_STATUSES.indexOf(finding.status);
        size += 1;
      },
      build() {
        const swap = (a: number, b: number): void => {
          const id = ids[a] as number;
          ids[a] = ids[b] as number;
          ids[b] = id;
          const state = states[a] as number;
          states[a] = states[b] as number;
          states[b] = state;
          const facet = facets[a] as number;
          facets[a] = facets[b] as number;
          facets[b] = facet;
        };
        const siftDown = (start: number, end: number): void => {
          let root = start;
          for (;;) {
            let child = 2 * root + 1;
            if (child >= end) return;
            if (child + 1 < end && (ids[child + 1] as number) > (ids[child] as number)) child += 1;
            if ((ids[root] as number) >= (ids[child] as number)) return;
            swap(root, child);
            root = child;
          }
        };
        for (let start = Math.floor(size / 2) - 1; start >= 0; start -= 1) siftDown(start, size);
        for (let end = size - 1; end > 0; end -= 1) {
          swap(0, end);
          siftDown(0, end);
        }
        return new PreviousFailures(ids, states, facets, size);
      },
    };
  }

  static of(findings: readonly PreviousFinding[]): PreviousFailures {
    const collector = PreviousFailures.collect();
    findings.forEach((finding) => collector.add(finding));
    return collector.build();
  }

  /** The position of the failure with this id digest, or -1. */
  indexOf(digest: number): number {
    return sortedIndexOf(this.ids, this.size, digest);
  }

  idAt(index: number): number {
    return this.ids[index] as number;
  }

  stateAt(index: number): number {
    return this.states[index] as number;
  }

  severityAt(index: number): Severity {
    return SEVERITIES[Math.floor((this.facets[index] as number) / 16)] as Severity;
  }

  statusAt(index: number): FindingStatus {
    return FINDING_STATUSES[(this.facets[index] as number) % 16] as FindingStatus;
  }
}

/** The previous run as state. */
export interface PreviousState {
  readonly runId: string;
  readonly failing: PreviousFailures;
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

/** A stand-in for a previous finding whose details could not be read back. */
const sketchOf = (id: string, severity: Severity, status: FindingStatus, current?: Finding): PreviousFinding => ({
  id,
  check: current?.check ?? id.split('/')[0] ?? id,
  severity,
  status,
  resource: current?.resource ?? '(not recorded)',
  region: current?.region ?? '',
  title: current?.title ?? id.split('/')[0] ?? id,
  observed: '(the previous observation could not be read back)',
  expected: current?.expected ?? '',
  remediation: current?.remediation ?? '',
});

/** The previous findings' details, by the digest of their id. */
export type PreviousDetails = ReadonlyMap<number, PreviousFinding>;

/**
 * This run's findings against the previous run's, one finding at a time: the ledger keeps counts,
 * a bit per previous failure and the findings that changed — never the unchanged ones — so its
 * memory grows with what changed, not with the size of the account. Ids are stable (check +
 * resource), so the same known failure is `unchanged` night after night and pages nobody.
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
  /** Per previous failure: it still fails, or was fixed (not resolved). */
  private readonly carried: Uint8Array;
  /** Previous failures that no longer fail, by position: resolved, with this run's finding. */
  private readonly nowPassing = new Map<number, Finding>();

  constructor(private readonly previous: PreviousState | undefined) {
    this.carried = new Uint8Array(previous?.failing.size ?? 0);
  }

  /** `digest`: the id's, when the caller has it already. */
  record(finding: Finding, digest?: number): void {
    this.total += 1;
    this.byStatus[finding.status] += 1;
    const failing = isFailing(finding.status);
    if (failing) this.failingBySeverity[finding.severity] += 1;
    const check = this.byCheck.get(finding.check) ?? { findings: 0, failing: 0 };
    check.findings += 1;
    if (failing) check.failing += 1;
    this.byCheck.set(finding.check, check);

    const earlier = this.previous ? this.previous.failing.indexOf(digest ?? idDigest(finding.id)) : -1;
    if (finding.status === 'fixed') {
      this.fixedFindings.push(finding);
      if (earlier >= 0) this.carried[earlier] = 1;
      return;
    }
    if (!failing) {
      if (earlier >= 0) this.nowPassing.set(earlier, finding);
      return;
    }
    if (earlier < 0) {
      this.newFindings.push(finding);
      return;
    }
    this.carried[earlier] = 1;
    if ((this.previous as PreviousState).failing.stateAt(earlier) !== stateDigest(finding)) this.changedFindings.push(finding);
    else this.unchanged += 1;
  }

  counts(): FindingCounts {
    return { findings: this.total, byStatus: { ...this.byStatus }, failingBySeverity: { ...this.failingBySeverity }, byCheck: new Map(this.byCheck) };
  }

  /** Digests of the ids of previous findings whose details the changes show: the changed and the resolved. */
  previousDetailsNeeded(): Set<number> {
    const digests = new Set(this.changedFindings.map((finding) => idDigest(finding.id)));
    const failing = this.previous?.failing;
    if (failing) for (let index = 0; index < failing.size; index += 1) if (this.carried[index] === 0) digests.add(failing.idAt(index));
    return digests;
  }

  /** The changes, given the previous findings' details that `previousDetailsNeeded` named. */
  changes(details: PreviousDetails): FindingChanges {
    const failing = this.previous?.failing;
    const changed = this.changedFindings.map((finding) => {
      const digest = idDigest(finding.id);
      const index = failing?.indexOf(digest) ?? -1;
      const sketch = (): PreviousFinding => sketchOf(finding.id, failing?.severityAt(index) ?? finding.severity, failing?.statusAt(index) ?? finding.status, finding);
      return { finding, previous: details.get(digest) ?? sketch() };
    });
    const resolved: ResolvedFinding[] = [];
    if (failing) {
      for (let index = 0; index < failing.size; index += 1) {
        if (this.carried[index] === 1) continue;
        const current = this.nowPassing.get(index);
        const digest = failing.idAt(index);
        const previous = details.get(digest) ?? sketchOf(current?.id ?? `unknown/${digest.toString(16).padStart(12, '0')}`, failing.severityAt(index), failing.statusAt(index), current);
        resolved.push({ previous, ...(current ? { current } : {}) });
      }
    }
    // As a report lists them: most severe first, then by check and resource.
    resolved.sort(
      (a, b) =>
        compareSeverity(a.previous.severity, b.previous.severity) ||
        compareText(a.previous.check, b.previous.check) ||
        compareText(a.previous.resource, b.previous.resource) ||
        compareText(a.previous.id, b.previous.id),
    );
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

/** Details of previous findings, keyed as the ledger asks for them. */
export const detailsOf = (findings: Iterable<PreviousFinding>): Map<number, PreviousFinding> => {
  const details = new Map<number, PreviousFinding>();
  for (const finding of findings) details.set(idDigest(finding.id), finding);
  return details;
};

/** The previous findings as state (failing ones only). */
export const previousStateOf = (runId: string, findings: readonly PreviousFinding[]): PreviousState => ({ runId, failing: PreviousFailures.of(findings) });

/** Pure: a whole run's findings against a whole previous report's (the ledger, in one call). */
export const diffFindings = (current: readonly Finding[], previous: readonly PreviousFinding[] | undefined): FindingChanges => {
  const ledger = new FindingLedger(previous ? previousStateOf('previous', previous) : undefined);
  current.forEach((finding) => ledger.record(finding));
  return ledger.changes(detailsOf(previous ?? []));
};

/** On-call is paged only for failures that are new or changed since the previous run. */
export const needsPage = (changes: FindingChanges): boolean => changes.new.length > 0 || changes.changed.length > 0;
