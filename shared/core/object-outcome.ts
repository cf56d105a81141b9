import { AwsCallError } from '../errors.js';
import type { AlertReason, EncryptionTarget, QuietSkipReason } from './decide-object-action.js';
import type { EncryptionState } from './encryption-state.js';

export interface FailureDescription {
  readonly code: string;
  readonly message: string;
  /** Worth another delivery (throttling, 5xx, network); otherwise someone must act. */
  readonly transient: boolean;
}

/** Every object ends in exactly one of these. */
export type ObjectOutcome =
  | { readonly kind: 'compliant'; readonly encryption: EncryptionState }
  | {
      readonly kind: 'remediated';
      readonly strategy: 'copy-in-place';
      readonly before: EncryptionState;
      readonly after: EncryptionState;
      readonly target: EncryptionTarget;
      readonly newVersionId?: string | undefined;
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
