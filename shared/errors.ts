/**
 * One base class for every error the enforcer raises on purpose, each with a stable code and a
 * literal name: the bundles are minified, so a name taken from the constructor would be whatever
 * the minifier left, and that is what Lambda logs as the errorType.
 */
export abstract class EnforcerError extends Error {
  abstract override readonly name: string;
  abstract readonly code: string;
}

/** Configuration that cannot be used; raised at cold start so nothing is processed. */
export class ConfigurationError extends EnforcerError {
  override readonly name = 'ConfigurationError';
  readonly code = 'InvalidConfiguration';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** An AWS call that failed in a way the caller did not expect as an outcome. */
export class AwsCallError extends EnforcerError {
  override readonly name = 'AwsCallError';
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly httpStatus: number | undefined,
    /** Throttling, 5xx, network: worth another delivery. Access and KMS problems are not. */
    readonly transient: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${code}${httpStatus ? ` (HTTP ${httpStatus})` : ''}: ${message}`, options);
  }
}

/** S3's answers meaning the object (or the version) no longer exists. */
export const isObjectGone = (error: unknown): boolean =>
  error instanceof AwsCallError && (error.code === 'NoSuchKey' || error.code === 'NoSuchVersion' || error.code === 'NotFound');
