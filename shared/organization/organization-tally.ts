import type { ReportSummary } from '../audit/audit-report.js';
import { CHECKS } from '../audit/checks-catalogue.js';
import { FINDING_STATUSES, SEVERITIES, compareSeverity, compareText, highestSeverity, isFailing, type AccountFinding, type FindingStatus, type Severity } from '../audit/finding.js';
import type { AccountResult } from './account-result.js';
import type { NotAuditedReason } from './not-audited-reason.js';
import type { OrganizationFindingChange } from './organization-findings-state.js';

export type AccountOutcome = 'audited' | 'not-audited' | 'skipped';

/** One account as the organization report lists it. */
export interface AccountLine {
  readonly accountId: string;
  readonly name: string;
  readonly status: AccountOutcome;
  readonly reason?: string | undefined;
  readonly reasonCode?: NotAuditedReason['code'] | undefined;
  readonly failing?: number | undefined;
  readonly changes?: ReportSummary['changes'] | undefined;
  readonly page?: boolean | undefined;
  readonly report?: string | undefined;
  readonly regionsWithoutEnforcer?: readonly string[] | undefined;
}

/** A new or changed failure anywhere in the organization, for the on-call summary. */
export interface OrganizationChange {
  readonly change: 'new' | 'changed';
  readonly accountId: string;
  readonly id: string;
  readonly check: string;
  readonly severity: Severity;
  readonly status: FindingStatus;
  readonly resource: string;
  readonly region: string;
  readonly observed: string;
}

export interface OrganizationSummary {
  readonly accounts: { readonly listed: number; readonly audited: number; readonly notAudited: number; readonly skipped: number };
  readonly findings: number;
  readonly byStatus: Readonly<Record<FindingStatus, number>>;
  readonly failingBySeverity: Readonly<Record<Severity, number>>;
  readonly highestFailingSeverity: Severity | 'none';
  readonly changes: ReportSummary['changes'];
  /** Accounts with new or changed failures. */
  readonly accountsWithChanges: number;
  /** Something new or changed anywhere, or an account not audited: on-call is paged. */
  readonly page: boolean;
  /** The most severe of what pages. */
  readonly severity: Severity | 'none';
}

const zeroes = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

const byImportance = (a: OrganizationChange, b: OrganizationChange): number =>
  compareSeverity(a.severity, b.severity) || compareText(a.accountId, b.accountId) || compareText(a.check, b.check) || compareText(a.id, b.id);

/**
 * The organization's totals, kept as accounts and findings stream past: counts, and only the
 * `keep` most important changes, so memory stays the same at ten accounts or ten thousand.
 */
export class OrganizationTally {
  private readonly accounts = { listed: 0, audited: 0, notAudited: 0, skipped: 0 };
  private readonly byStatus = zeroes(FINDING_STATUSES);
  private readonly failingBySeverity = zeroes(SEVERITIES);
  private readonly changes = { new: 0, changed: 0, resolved: 0, fixed: 0, unchanged: 0 };
  private findings = 0;
  private accountsWithChanges = 0;
  private readonly paging = new Set<Severity>();
  private readonly kept: OrganizationChange[] = [];
  private readonly notAudited: AccountLine[] = [];
  /** The account last given to `account`, and whether it is already counted among the accounts with changes. */
  private current: { accountId: string; withChanges: boolean } | undefined;

  constructor(private readonly keep = 50) {}

  /** Each account once, as the listing names it. */
  account(line: AccountLine, result?: AccountResult): void {
    this.current = { accountId: line.accountId, withChanges: false };
    this.accounts.listed += 1;
    if (line.status === 'skipped') this.accounts.skipped += 1;
    if (line.status === 'not-audited') {
      this.accounts.notAudited += 1;
      // Nothing in the account was read: it pages every night until it is audited again.
      this.paging.add(CHECKS['org-account-audited'].severity);
      if (this.notAudited.length < this.keep) this.notAudited.push(line);
    }
    if (result?.status === 'audited') {
      this.accounts.audited += 1;
      for (const kind of ['new', 'changed', 'resolved', 'fixed', 'unchanged'] as const) this.changes[kind] += result.changes[kind];
      if (result.changes.new + result.changes.changed > 0) {
        this.accountsWithChanges += 1;
        this.current.withChanges = true;
      }
    }
  }

  /**
   * A finding the organization run makes about the account just given to `account`
   * (`org-rcp-coverage`), with what became of it since the previous organization run: counted with
   * the accounts' own findings and changes, and, new or changed, paged like them.
   */
  organizationFinding(finding: AccountFinding, change: OrganizationFindingChange | undefined): void {
    this.finding(finding);
    if (change === undefined) return;
    this.changes[change] += 1;
    if (change === 'resolved' || change === 'unchanged') return;
    if (this.current?.accountId === finding.accountId && !this.current.withChanges) {
      this.accountsWithChanges += 1;
      this.current.withChanges = true;
    }
    const { accountId, id, check, severity, status, resource, region, observed } = finding;
    this.change({ change, accountId, id, check, severity, status, resource, region, observed });
  }

  finding(finding: Pick<AccountFinding, 'status' | 'severity'>): void {
    this.findings += 1;
    this.byStatus[finding.status] += 1;
    if (isFailing(finding.status)) this.failingBySeverity[finding.severity] += 1;
  }

  /** A failure new or changed since its account's previous run. */
  change(change: OrganizationChange): void {
    this.paging.add(change.severity);
    this.kept.push(change);
    if (this.kept.length > 2 * this.keep) this.trim();
  }

  private trim(): void {
    this.kept.sort(byImportance);
    this.kept.length = Math.min(this.kept.length, this.keep);
  }

  summary(): OrganizationSummary {
    const failingSeverities = SEVERITIES.filter((severity) => this.failingBySeverity[severity] > 0);
    const severity = highestSeverity(this.paging) ?? 'none';
    return {
      accounts: { ...this.accounts },
      findings: this.findings,
      byStatus: { ...this.byStatus },
      failingBySeverity: { ...this.failingBySeverity },
      highestFailingSeverity: highestSeverity(failingSeverities) ?? 'none',
      changes: { ...this.changes },
      accountsWithChanges: this.accountsWithChanges,
      page: this.paging.size > 0,
      severity,
    };
  }

  /** The most important changes, most severe first. */
  topChanges(): readonly OrganizationChange[] {
    this.trim();
    return [...this.kept];
  }

  /** The first accounts not audited, as listed (all of them are in the report). */
  accountsNotAudited(): readonly AccountLine[] {
    return [...this.notAudited];
  }
}
