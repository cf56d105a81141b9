import type { FindingCounts } from './diff-findings.js';
import { FINDING_STATUSES, SEVERITIES, compareText, type FindingStatus, type Severity } from './finding.js';

export const RUN_HISTORY_KIND = 'encryption-audit-run';

/**
 * One run in a run history: counts only, by status, severity, check and account. The history is
 * what the report's trend is drawn from, and it outlives Security Hub's 90 days.
 */
export interface RunHistoryEntry {
  readonly kind: typeof RUN_HISTORY_KIND;
  readonly runId: string;
  readonly startedAt: string;
  /** One account's run, or the organization's merge of many. */
  readonly scope: 'account' | 'organization';
  /** The account audited, or the account the organization's run ran from. */
  readonly accountId: string;
  readonly findings: number;
  readonly byStatus: Readonly<Record<FindingStatus, number>>;
  readonly failingBySeverity: Readonly<Record<Severity, number>>;
  readonly byCheck: Readonly<Record<string, { readonly findings: number; readonly failing: number }>>;
  /**
   * Findings and failing findings per account. An organization's entry keeps the accounts with the
   * most failing findings (HISTORY_ACCOUNTS_KEPT) and sums the rest under `otherAccounts`.
   */
  readonly byAccount: Readonly<Record<string, { readonly findings: number; readonly failing: number }>>;
  readonly otherAccounts?: { readonly accounts: number; readonly findings: number; readonly failing: number } | undefined;
  readonly accounts?: { readonly listed: number; readonly audited: number; readonly notAudited: number; readonly skipped: number } | undefined;
}

/** Runs kept: a year and more of nightly runs, a few hundred KB for an account. */
export const HISTORY_RUNS_KEPT = 400;
/** Accounts named in an organization's entry: enough for the worst of them, bounded at any size. */
export const HISTORY_ACCOUNTS_KEPT = 100;

/** Where an account's run history is kept, beside its reports. */
export const accountHistoryKey = (prefix: string, accountId: string): string => `${prefix}${accountId}/history.jsonl`;
/** Where the organization's run history is kept. */
export const organizationHistoryKey = (prefix: string): string => `${prefix}organization/history.jsonl`;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0);
const counts = <K extends string>(keys: readonly K[], value: unknown): Record<K, number> => {
  const record = isRecord(value) ? value : {};
  return Object.fromEntries(keys.map((key) => [key, count(record[key])])) as Record<K, number>;
};
const pairs = (value: unknown): Record<string, { findings: number; failing: number }> => {
  if (!isRecord(value)) return {};
  return Object.fromEntries(
    Object.entries(value).flatMap(([name, pair]) => (isRecord(pair) ? [[name, { findings: count(pair['findings']), failing: count(pair['failing']) }]] : [])),
  );
};

/** One line of a history read back; anything that is not an entry is undefined (and skipped). */
export const parseHistoryLine = (line: string): RunHistoryEntry | undefined => {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value['kind'] !== RUN_HISTORY_KIND) return undefined;
  const { runId, startedAt, scope, accountId } = value;
  if (typeof runId !== 'string' || typeof startedAt !== 'string' || Number.isNaN(Date.parse(startedAt))) return undefined;
  if (scope !== 'account' && scope !== 'organization') return undefined;
  const other = isRecord(value['otherAccounts']) ? value['otherAccounts'] : undefined;
  const accounts = isRecord(value['accounts']) ? value['accounts'] : undefined;
  return {
    kind: RUN_HISTORY_KIND,
    runId,
    startedAt,
    scope,
    accountId: typeof accountId === 'string' ? accountId : '',
    findings: count(value['findings']),
    byStatus: counts(FINDING_STATUSES, value['byStatus']),
    failingBySeverity: counts(SEVERITIES, value['failingBySeverity']),
    byCheck: pairs(value['byCheck']),
    byAccount: pairs(value['byAccount']),
    ...(other ? { otherAccounts: { accounts: count(other['accounts']), findings: count(other['findings']), failing: count(other['failing']) } } : {}),
    ...(accounts ? { accounts: { listed: count(accounts['listed']), audited: count(accounts['audited']), notAudited: count(accounts['notAudited']), skipped: count(accounts['skipped']) } } : {}),
  };
};

type AccountCounts = { readonly findings: number; readonly failing: number };

const worseFirst = ([a, x]: readonly [string, AccountCounts], [b, y]: readonly [string, AccountCounts]): number =>
  y.failing - x.failing || y.findings - x.findings || compareText(a, b);

/**
 * An organization's accounts as they stream past, bounded: the `keep` with the most failing
 * findings by name, the others summed — memory holds `keep` accounts, not the organization.
 */
export class WorstAccounts {
  private readonly kept: [string, AccountCounts][] = [];
  private readonly others = { accounts: 0, findings: 0, failing: 0 };

  constructor(private readonly keep = HISTORY_ACCOUNTS_KEPT) {}

  add(accountId: string, counts: AccountCounts): void {
    const entry: [string, AccountCounts] = [accountId, { findings: counts.findings, failing: counts.failing }];
    let at = this.kept.findIndex((kept) => worseFirst(entry, kept) < 0);
    if (at < 0) at = this.kept.length;
    this.kept.splice(at, 0, entry);
    if (this.kept.length <= this.keep) return;
    const [, dropped] = this.kept.pop() as [string, AccountCounts];
    this.others.accounts += 1;
    this.others.findings += dropped.findings;
    this.others.failing += dropped.failing;
  }

  bounded(): Pick<RunHistoryEntry, 'byAccount' | 'otherAccounts'> {
    return {
      byAccount: Object.fromEntries(this.kept.map(([accountId, counts]) => [accountId, { ...counts }])),
      ...(this.others.accounts > 0 ? { otherAccounts: { ...this.others } } : {}),
    };
  }
}

/** An organization's accounts, bounded as WorstAccounts keeps them. */
export const boundAccounts = (byAccount: ReadonlyMap<string, AccountCounts>, keep = HISTORY_ACCOUNTS_KEPT): Pick<RunHistoryEntry, 'byAccount' | 'otherAccounts'> => {
  const worst = new WorstAccounts(keep);
  for (const [accountId, counts] of byAccount) worst.add(accountId, counts);
  return worst.bounded();
};

export interface StoredHistory {
  /** Oldest first, at most `keep` entries. */
  readonly entries: readonly RunHistoryEntry[];
  /** Lines of the stored history that were not entries: left out when it is written again. */
  readonly skippedLines: number;
}

const byStart = (a: RunHistoryEntry, b: RunHistoryEntry): number => Date.parse(a.startedAt) - Date.parse(b.startedAt) || compareText(a.runId, b.runId);

/**
 * A stored history read a line at a time, keeping only the newest entries: memory holds `keep`
 * entries whatever the file's size.
 */
export const readHistory = async (stored: AsyncIterable<string> | undefined, keep = HISTORY_RUNS_KEPT): Promise<StoredHistory> => {
  const kept: RunHistoryEntry[] = [];
  let skippedLines = 0;
  if (stored) {
    for await (const line of stored) {
      if (line.trim() === '') continue;
      const parsed = parseHistoryLine(line);
      if (!parsed) {
        skippedLines += 1;
        continue;
      }
      kept.push(parsed);
      if (kept.length >= 2 * keep) {
        kept.sort(byStart);
        kept.splice(0, kept.length - keep);
      }
    }
  }
  return { entries: kept.sort(byStart).slice(-keep), skippedLines };
};

/**
 * The history with this run in it, oldest first, at most `keep` entries. A run already there (a
 * retry of the same run) is replaced, not added twice.
 */
export const withRun = (history: readonly RunHistoryEntry[], entry: RunHistoryEntry, keep = HISTORY_RUNS_KEPT): RunHistoryEntry[] =>
  [...history.filter((item) => !(item.runId === entry.runId && item.scope === entry.scope)), entry].sort(byStart).slice(-keep);

/** The history's text: one entry a line. */
export const historyText = (entries: readonly RunHistoryEntry[]): string => entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');

/** One account's run as a history entry. */
export const accountHistoryEntry = (run: { readonly runId: string; readonly startedAt: string; readonly accountId: string }, counts: FindingCounts): RunHistoryEntry => ({
  kind: RUN_HISTORY_KIND,
  runId: run.runId,
  startedAt: run.startedAt,
  scope: 'account',
  accountId: run.accountId,
  findings: counts.findings,
  byStatus: { ...counts.byStatus },
  failingBySeverity: { ...counts.failingBySeverity },
  byCheck: Object.fromEntries([...counts.byCheck.entries()].sort(([a], [b]) => compareText(a, b)).map(([check, pair]) => [check, { ...pair }])),
  byAccount: { [run.accountId]: { findings: counts.findings, failing: counts.byStatus.failed + counts.byStatus.error } },
});

/** The organization's run as a history entry: its totals, and its worst accounts by name. */
export const organizationHistoryEntry = (
  run: { readonly runId: string; readonly startedAt: string; readonly callerAccountId: string },
  totals: {
    readonly findings: number;
    readonly byStatus: Readonly<Record<FindingStatus, number>>;
    readonly failingBySeverity: Readonly<Record<Severity, number>>;
    readonly accounts: { readonly listed: number; readonly audited: number; readonly notAudited: number; readonly skipped: number };
  },
  byCheck: ReadonlyMap<string, { readonly findings: number; readonly failing: number }>,
  accounts: Pick<RunHistoryEntry, 'byAccount' | 'otherAccounts'>,
): RunHistoryEntry => ({
  kind: RUN_HISTORY_KIND,
  runId: run.runId,
  startedAt: run.startedAt,
  scope: 'organization',
  accountId: run.callerAccountId,
  findings: totals.findings,
  byStatus: { ...totals.byStatus },
  failingBySeverity: { ...totals.failingBySeverity },
  byCheck: Object.fromEntries([...byCheck.entries()].sort(([a], [b]) => compareText(a, b)).map(([check, pair]) => [check, { findings: pair.findings, failing: pair.failing }])),
  ...accounts,
  accounts: { ...totals.accounts },
});
