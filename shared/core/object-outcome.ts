import { AwsCallError } from '../errors.js';
import type { AlertReason, EncryptionTarget, QuietSkipReason, RemediationMethod } from './decide-object-action.js';
import type { EncryptionState } from './encryption-state.js';

export interface FailureDescription {
  readonly code: string;
  readonly message: string;
  /** Worth another delivery (throttling, 5xx, network); otherwise someone must act. */
  readonly transient: boolean;
}

export interface PriorVersionOutcome {
  readonly versionId: string;
  readonly disposition: 'retained' | 'retained-locked' | 'deleted' | 'delete-failed';
  readonly detail?: string | undefined;
}

/** Every object ends in exactly one of these. */
export type ObjectOutcome =
  | { readonly kind: 'compliant'; readonly encryption: EncryptionState }
  | {
      readonly kind: 'remediated';
      readonly strategy: RemediationMethod;
      readonly before: EncryptionState;
      readonly after: EncryptionState;
      readonly target: EncryptionTarget;
      readonly newVersionId?: string | undefined;
      /** Why UpdateObjectEncryption was not used when it was tried first. */
      readonly fellBackFrom?: string | undefined;
      /** Whether the object's ACL was written with the copy (ACL-enabled buckets). */
      readonly aclCarried?: boolean | undefined;
      /** The non-compliant version a copy leaves behind in a versioned bucket, and what became of it. */
      readonly priorVersion?: PriorVersionOutcome | undefined;
    }
  | {
      readonly kind: 'skipped';
      readonly reason: QuietSkipReason | AlertReason;
      readonly detail: string;
      readonly alert: boolean;
      readonly before?: EncryptionState | undefined;
    }
  | { readonly kind: 'failed'; readonly error: FailureDescription; readonly before?: EncryptionState | undefined };

/** Only failures are retried; every other outcome is final. */
export const needsRetry = (outcome: ObjectOutcome): boolean => outcome.kind === 'failed';

/** Someone should hear about this object: unremediable, or failed for a reason retrying will not fix. */
export const needsAlert = (outcome: ObjectOutcome): boolean =>
  (outcome.kind === 'skipped' && outcome.alert) || (outcome.kind === 'failed' && !outcome.error.transient);

/** What went wrong, from whatever was thrown: AWS errors keep their code and whether a retry can help. */
export const failureOf = (error: unknown): FailureDescription => {
  if (error instanceof AwsCallError) return { code: error.code, message: error.message, transient: error.transient };
  return { code: 'UnexpectedError', message: error instanceof Error ? error.message : String(error), transient: true };
};
