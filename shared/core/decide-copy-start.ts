import type { CopyMethod } from './decide-object-action.js';
import type { FailureDescription } from './object-outcome.js';

/** A deliberately low estimate of server-side copy speed, so a copy that is started can finish. */
export const ASSUMED_COPY_BYTES_PER_SECOND = 100 * 1024 ** 2;
/** Time kept back for the calls around a multipart copy and for reporting. */
export const COPY_TIME_MARGIN_MS = 30_000;
/** Lambda's longest invocation. */
export const LAMBDA_MAX_MS = 15 * 60 * 1000;

export interface CopyStartInput {
  readonly method: CopyMethod;
  readonly sizeBytes: number;
  /** Time left in this invocation, read just before the copy would start. */
  readonly remainingTimeMs: number;
}

export type CopyStart =
  | { readonly kind: 'start' }
  /** No invocation could finish it: the same reason as an object too large for S3 to copy. */
  | { readonly kind: 'alert'; readonly reason: 'exceeds-copy-limit'; readonly detail: string }
  /** This invocation could not finish it and a fresh one can: a transient failure, with nothing written. */
  | { readonly kind: 'defer'; readonly error: FailureDescription & { readonly code: 'InsufficientTime'; readonly transient: true } };

/**
 * Whether a copy in place may start now. One CopyObject request always may; a multipart copy only
 * if it can finish within an invocation, and within this one.
 */
export const decideCopyStart = ({ method, sizeBytes, remainingTimeMs }: CopyStartInput): CopyStart => {
  if (method === 'copy-in-place') return { kind: 'start' };
  const neededMs = (sizeBytes / ASSUMED_COPY_BYTES_PER_SECOND) * 1000 + COPY_TIME_MARGIN_MS;
  const neededS = Math.ceil(neededMs / 1000);
  if (neededMs > LAMBDA_MAX_MS) {
    return {
      kind: 'alert',
      reason: 'exceeds-copy-limit',
      detail: `copying ${sizeBytes} bytes needs about ${neededS} s, more than a Lambda invocation has; re-encrypt it with an S3 Batch Operations copy job`,
    };
  }
  if (remainingTimeMs < neededMs) {
    return {
      kind: 'defer',
      error: {
        code: 'InsufficientTime',
        message: `copying ${sizeBytes} bytes needs about ${neededS} s and ${Math.floor(remainingTimeMs / 1000)} s are left; not started`,
        transient: true,
      },
    };
  }
  return { kind: 'start' };
};
