import type { ReportSummary } from '../audit/audit-report.js';
import { CHECKS } from '../audit/checks-catalogue.js';
import { makeFinding } from '../audit/checks/make-finding.js';
import { FINDING_STATUSES, type AccountFinding, type FindingStatus } from '../audit/finding.js';
import { NOT_AUDITED_REASON_CODES, type NotAuditedReason } from './not-audited-reason.js';

/** An account as the organization run knows it: its id and its name in the organization. */
export interface MemberAccount {
  readonly accountId: string;
  readonly name: string;
}

/** Each region of the account the audit looked for the member stack in. */
export interface RegionCoverage {
  readonly deployed: readonly string[];
  readonly absent: readonly string[];
  readonly unreadable: readonly string[];
}

/**
 * What one account's audit leaves for the merge: small, whatever the account holds. The findings
 * stay in the account's report; the merge streams them from there.
 */
export type AccountResult =
  | (MemberAccount & {
      readonly status: 'audited';
      readonly buckets: number;
      readonly keys: number;
      readonly findings: Readonly<Record<FindingStatus, number>>;
      readonly changes: ReportSummary['changes'];
      readonly page: boolean;
      /** The account's JSON report; absent when it could not be written (then `reportError` says why). */
      readonly reportKey?: string | undefined;
      readonly reportError?: string | undefined;
      readonly regions: RegionCoverage;
    })
  | (MemberAccount & { readonly status: 'not-audited'; readonly reason: NotAuditedReason });

export type AuditedAccountResult = Extract<AccountResult, { status: 'audited' }>;

const ACCOUNT_ID = /^\d{12}$/;

export const parseMemberAccount = (value: unknown): MemberAccount => {
  const fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const { accountId, name } = fields;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) throw new Error(`account.accountId must be 12 digits, not ${JSON.stringify(accountId)}`);
  return { accountId, name: typeof name === 'string' ? name : '' };
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** A stored result read back; one that is not a result is undefined (the merge then reports the account as having none). */
export const parseAccountResult = (text: string): AccountResult | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  let account: MemberAccount;
  try {
    account = parseMemberAccount(value);
  } catch {
    return undefined;
  }
  if (value['status'] === 'not-audited') {
    const reason = isRecord(value['reason']) ? value['reason'] : {};
    const code = (NOT_AUDITED_REASON_CODES as readonly unknown[]).includes(reason['code']) ? (reason['code'] as NotAuditedReason['code']) : 'audit-failed';
    return { ...account, status: 'not-audited', reason: { code, detail: typeof reason['detail'] === 'string' ? reason['detail'] : 'no detail recorded' } };
  }
  if (value['status'] !== 'audited') return undefined;
  const counts = isRecord(value['findings']) ? value['findings'] : {};
  const changes = isRecord(value['changes']) ? value['changes'] : {};
  const count = (record: Record<string, unknown>, name: string): number => (typeof record[name] === 'number' && Number.isInteger(record[name]) ? (record[name] as number) : 0);
  const regions = isRecord(value['regions']) ? value['regions'] : {};
  return {
    ...account,
    status: 'audited',
    buckets: count(value, 'buckets'),
    keys: count(value, 'keys'),
    findings: Object.fromEntries(FINDING_STATUSES.map((status) => [status, count(counts, status)])) as Record<FindingStatus, number>,
    changes: { new: count(changes, 'new'), changed: count(changes, 'changed'), resolved: count(changes, 'resolved'), fixed: count(changes, 'fixed'), unchanged: count(changes, 'unchanged') },
    page: value['page'] === true,
    ...(typeof value['reportKey'] === 'string' ? { reportKey: value['reportKey'] } : {}),
    ...(typeof value['reportError'] === 'string' ? { reportError: value['reportError'] } : {}),
    regions: { deployed: strings(regions['deployed']), absent: strings(regions['absent']), unreadable: strings(regions['unreadable']) },
  };
};

/** Security Hub's form for an account as a resource. */
export const accountResource = (accountId: string): string => `AWS::::Account:${accountId}`;

/**
 * A not-audited account is a failing finding of its own: nothing in it was read, so it pages every
 * night until it is audited again. It belongs to the account, filed in the caller's home region.
 */
export const notAuditedFinding = (account: MemberAccount, reason: NotAuditedReason, region: string): AccountFinding => ({
  accountId: account.accountId,
  ...makeFinding(CHECKS['org-account-audited'], {
    resource: accountResource(account.accountId),
    region,
    status: 'failed',
    observed: `not audited (${reason.code}): ${reason.detail}`,
    expected: 'the organization audit reads the account through its member role, in every audited region',
  }),
});

export const auditedFinding = (account: MemberAccount, region: string): AccountFinding => ({
  accountId: account.accountId,
  ...makeFinding(CHECKS['org-account-audited'], {
    resource: accountResource(account.accountId),
    region,
    status: 'passed',
    observed: 'audited',
    expected: 'the organization audit reads the account through its member role, in every audited region',
  }),
});

/**
 * A failure the state machine caught (`{Error, Cause}`) as a reason: a Lambda that ran out of time
 * is `timed-out`; anything else is `audit-failed` with the error's own message, never a stack.
 */
export const reasonOfCaughtFailure = (failure: { readonly Error?: unknown; readonly Cause?: unknown }): NotAuditedReason => {
  const error = typeof failure.Error === 'string' ? failure.Error : 'unknown error';
  let message = typeof failure.Cause === 'string' ? failure.Cause : '';
  try {
    const cause: unknown = JSON.parse(message);
    if (isRecord(cause) && typeof cause['errorMessage'] === 'string') message = cause['errorMessage'];
  } catch {
    // A Cause that is not JSON is the message itself.
  }
  const detail = `${error}${message ? `: ${message.split('\n')[0]?.slice(0, 500)}` : ''}`;
  if (/Timeout|Timedout|TimedOut/.test(error) || /Task timed out/.test(message)) return { code: 'timed-out', detail: `the account's audit did not finish in time (${detail})` };
  return { code: 'audit-failed', detail };
};
