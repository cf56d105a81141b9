import { idDigest, PreviousFailures, stateDigest, type PreviousFinding } from '../audit/diff-findings.js';
import { FINDING_STATUSES, SEVERITIES, isFailing, type AccountFinding, type Finding } from '../audit/finding.js';

/**
 * The organization's own findings about its accounts that are compared night to night
 * (`org-rcp-coverage`), as the last run whose summary went out left them: one JSON line per failing
 * finding. `org-account-audited` is not among them: an account not audited pages every night.
 */
export const organizationFindingsStateKey = (prefix: string): string => `${prefix}organization/latest-findings.jsonl`;

/** What became of an organization finding since the previous run, as the accounts' own changes are told. */
export type OrganizationFindingChange = 'new' | 'changed' | 'resolved' | 'unchanged';

/** A failing finding as the state keeps it: what telling a change needs, and its account. */
export const findingsStateLine = (finding: AccountFinding): string =>
  JSON.stringify({ accountId: finding.accountId, id: finding.id, check: finding.check, status: finding.status, severity: finding.severity, observed: finding.observed });

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A state line read back, or undefined for one that is not (a damaged line makes its finding new, nothing worse). */
const previousOf = (text: string): PreviousFinding | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { id, check, status, severity, observed } = value;
  if (typeof id !== 'string' || typeof check !== 'string' || typeof observed !== 'string') return undefined;
  if (!(FINDING_STATUSES as readonly unknown[]).includes(status) || !(SEVERITIES as readonly unknown[]).includes(severity)) return undefined;
  return { id, check, status, severity, observed, resource: '', region: '', title: '', expected: '', remediation: '' } as PreviousFinding;
};

/**
 * The previous run's failing organization findings, compactly (14 bytes each, as an account's
 * previous failures are kept), and which of them this run has seen. An organization of 10,000
 * accounts failing every one holds some 150 KB.
 */
export class OrganizationFindingsState {
  private readonly seen: Uint8Array;

  private constructor(
    private readonly previous: PreviousFailures,
    /** There was a state to compare with: without one, every failure is new. */
    readonly compared: boolean,
  ) {
    this.seen = new Uint8Array(previous.size);
  }

  /** No previous state (the first night, or one that could not be read): everything failing is new. */
  static none(): OrganizationFindingsState {
    return new OrganizationFindingsState(PreviousFailures.of([]), false);
  }

  static async read(lines: AsyncIterable<string>): Promise<OrganizationFindingsState> {
    const collector = PreviousFailures.collect();
    for await (const text of lines) {
      const previous = text.trim() === '' ? undefined : previousOf(text);
      if (previous) collector.add(previous);
    }
    return new OrganizationFindingsState(collector.build(), true);
  }

  private mark(id: string): number {
    const index = this.previous.indexOf(idDigest(id));
    if (index >= 0) this.seen[index] = 1;
    return index;
  }

  /** This run's finding against the previous run's: undefined when it passes now and did not fail then. */
  compare(finding: Finding): OrganizationFindingChange | undefined {
    const earlier = this.mark(finding.id);
    if (!isFailing(finding.status)) return earlier >= 0 ? 'resolved' : undefined;
    if (earlier < 0) return 'new';
    return this.previous.stateAt(earlier) === stateDigest(finding) ? 'unchanged' : 'changed';
  }

  /** A finding this run has no more reason to keep (its account is closed or closing): dropped from the state, not resolved. */
  settle(id: string): void {
    this.mark(id);
  }

  /**
   * Whether a line of the previous state is kept in the next: the finding of an account this run
   * did not list at all (a run scoped to some OUs), so the run after it is compared with what was
   * last seen of that account rather than paging it as new.
   */
  carries(text: string): boolean {
    const previous = previousOf(text);
    if (!previous) return false;
    const index = this.previous.indexOf(idDigest(previous.id));
    return index >= 0 && this.seen[index] === 0;
  }
}
