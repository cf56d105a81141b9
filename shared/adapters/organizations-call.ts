import { AwsCallError } from '../errors.js';
import { errorCode, toAwsCallError } from './aws-error.js';

export interface ListAccountsRetry {
  /** Calls per page, the first included, before a throttled page is given up. */
  readonly attempts: number;
  /** The ceiling of the first pause; it doubles with each throttled call, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1): the share of the ceiling actually waited. */
  readonly random: () => number;
}

/**
 * Organizations publishes no rate for its List and Describe calls, yet answers
 * TooManyRequestsException (ListAccounts from about 250–500 accounts on) for longer than the SDK's
 * own three attempts cover. Eight calls with pauses doubling from 200 ms, capped at 10 s, wait at
 * most 22.6 s for one call.
 */
export const DEFAULT_LIST_ACCOUNTS_RETRY: ListAccountsRetry = Object.freeze({
  attempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});

/** The retry settings with the defaults filled in; refuses an attempt count that is not a positive integer. */
export const organizationsRetry = (retry: Partial<ListAccountsRetry>): ListAccountsRetry => {
  const settled = { ...DEFAULT_LIST_ACCOUNTS_RETRY, ...retry };
  if (!Number.isInteger(settled.attempts) || settled.attempts < 1) throw new RangeError(`Organizations attempts must be a positive integer, not ${settled.attempts}`);
  return settled;
};

/**
 * The pause after the `throttled`-th throttled call (1-based): "full jitter", a random share of
 * the doubling ceiling, so callers throttled together (other tools listing the same organization)
 * do not retry in step.
 */
export const throttleDelayMs = (throttled: number, retry: Pick<ListAccountsRetry, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number =>
  Math.floor(retry.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (throttled - 1)));

const THROTTLED = 'TooManyRequestsException';
const NOT_ALLOWED = new Set(['AccessDeniedException', 'AccessDenied']);

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 500);

/**
 * One Organizations call, retried with full-jitter backoff while it is throttled, up to
 * `retry.attempts` calls. A failure is thrown as an AwsCallError naming the operation; an access
 * denial says, in `whenNotAllowed`, what the caller must be (the sentence ends with the error).
 */
export const callOrganizations = async <T>(
  operation: string,
  send: () => Promise<T>,
  retry: ListAccountsRetry,
  whenNotAllowed: (operation: string) => string,
): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      const code = errorCode(error);
      if (code === THROTTLED && attempt < retry.attempts) {
        await retry.sleep(throttleDelayMs(attempt, retry));
        continue;
      }
      const failed = toAwsCallError(operation, error);
      if (code === THROTTLED) {
        throw new AwsCallError(operation, failed.code, failed.httpStatus, failed.transient, `still throttled after ${attempt} attempts: ${messageOf(error)}`, { cause: error });
      }
      if (NOT_ALLOWED.has(code)) throw new AwsCallError(operation, failed.code, failed.httpStatus, false, `${whenNotAllowed(operation)}: ${messageOf(error)}`, { cause: error });
      throw failed;
    }
  }
};
