import { AwsCallError } from '../errors.js';

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** Answers for a condition that passes: throttling, conflicts, server faults and timeouts. */
const TRANSIENT_ERROR_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'ConditionalRequestConflict',
  // A multipart upload that vanished (aborted elsewhere): a new attempt starts a new one.
  'NoSuchUpload',
  'OperationAborted',
  'InternalError',
  'ServiceUnavailable',
  'KMSInternalException',
  'DependencyTimeoutException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

export const errorCode = (error: unknown): string => {
  // Already turned into ours: its code is the AWS one (its name is the class's).
  if (error instanceof AwsCallError) return error.code;
  const shape = (error ?? {}) as SdkErrorShape;
  return shape.code && NETWORK.has(shape.code) ? shape.code : shape.name || shape.code || 'UnknownError';
};

export const httpStatusOf = (error: unknown): number | undefined =>
  ((error ?? {}) as SdkErrorShape).$metadata?.httpStatusCode;

/** Turns whatever the SDK threw into an AwsCallError that says whether another try can help. */
export const toAwsCallError = (operation: string, error: unknown): AwsCallError => {
  if (error instanceof AwsCallError) return error;
  const shape = (error ?? {}) as SdkErrorShape;
  const code = errorCode(error);
  const status = httpStatusOf(error);
  const transient =
    TRANSIENT_ERROR_CODES.has(code) || NETWORK.has(code) || shape.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429 || status === 409));
  // S3 reports a problem with a KMS key as a 400/403 whose code starts with KMS.
  const message = (shape.message ?? String(error)).slice(0, 500);
  return new AwsCallError(operation, code, status, transient, message, { cause: error });
};
