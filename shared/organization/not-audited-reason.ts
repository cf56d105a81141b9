/**
 * Why an ACTIVE account of the organization was not audited. Every such account is reported with
 * one of these, and pages: an account nobody could read is never left out of a run.
 *
 * - `role-not-assumable`: AssumeRole was refused (AccessDenied). AWS gives the same answer for a
 *   role that does not exist and for one whose trust policy does not name the caller.
 * - `region-disabled`: STS is not enabled in the region the call was made in.
 * - `throttled`: throttled until retries ran out.
 * - `timed-out`: the account's audit did not finish in the time it had.
 * - `audit-failed`: the role was assumed, but the audit itself failed (listing the buckets, say).
 * - `no-result`: the fan-out recorded no result for the account at all.
 */
export const NOT_AUDITED_REASON_CODES = ['role-not-assumable', 'region-disabled', 'throttled', 'timed-out', 'audit-failed', 'no-result'] as const;
export type NotAuditedReasonCode = (typeof NOT_AUDITED_REASON_CODES)[number];

export interface NotAuditedReason {
  readonly code: NotAuditedReasonCode;
  /** What happened, in words a person can act on; never credentials or tokens. */
  readonly detail: string;
}
