import { BatchImportFindingsCommand, type AwsSecurityFinding, type BatchImportFindingsCommandOutput, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AwsCallError, ConfigurationError } from '../errors.js';
import { ASFF_LIMITS } from '../findings-export/asff-finding.js';
import type { BatchImport, FailedImport, FindingsImporter } from '../ports/findings-importer.js';
import { errorCode, httpStatusOf, toAwsCallError } from './aws-error.js';

/** Security Hub's quota for BatchImportFindings, per account and region. */
export const DEFAULT_RATE_PER_SECOND = 10;
export const DEFAULT_BURST = 30;
/** Attempts per batch, the first included; on top of whatever retries the client makes itself. */
export const DEFAULT_MAX_ATTEMPTS = 6;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 10_000;

const OPERATION = 'BatchImportFindings';

/** LimitExceededException is how Security Hub itself says "throttled" (HTTP 429). */
const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException', 'Throttling']);

/** How Security Hub answers for an account where it is not enabled: per finding, or for the call. */
const NOT_ENABLED = new Set(['InvalidAccess', 'InvalidAccessException']);

export interface SecurityHubFindingsImporterOptions {
  /** Calls per second per region, once the burst is spent. Defaults to DEFAULT_RATE_PER_SECOND. */
  readonly ratePerSecond?: number;
  /** Calls a region may take at once after a quiet spell. Defaults to DEFAULT_BURST. */
  readonly burst?: number;
  /** Defaults to DEFAULT_MAX_ATTEMPTS. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The time in milliseconds since the epoch. */
  readonly now?: () => number;
  /** A number in [0, 1), for the backoff's jitter. */
  readonly random?: () => number;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const quoteAwsMessage = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 300);

/**
 * A token bucket: `burst` calls at once, then `ratePerSecond`. A call reserves its token at once,
 * and waits for it if the bucket is in debt, so waiting callers go in the order they came and the
 * rate holds however many wait.
 */
class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes a token; answers how long to wait before using it, in milliseconds. */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.ratePerSecond) / 1000);
    this.refilledAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.ratePerSecond;
  }
}

/**
 * BatchImportFindings, paced per region under Security Hub's quota and retried with full-jitter
 * exponential backoff when throttled or when the service fails on its side; importing the same
 * findings again is harmless (an upsert by Id). A Security Hub that is not enabled is a value.
 */
export class SecurityHubFindingsImporter implements FindingsImporter {
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly securityHubIn: (region: string) => SecurityHubClient,
    options: SecurityHubFindingsImporterOptions = {},
  ) {
    this.ratePerSecond = options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
    this.burst = options.burst ?? DEFAULT_BURST;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.sleep = options.sleep ?? wait;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;

    const problems: string[] = [];
    if (!Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0) problems.push(`Security Hub import rate ${this.ratePerSecond} per second must be above 0`);
    if (!Number.isInteger(this.burst) || this.burst < 1) problems.push(`Security Hub import burst ${this.burst} must be a whole number of at least 1`);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) problems.push(`Security Hub import attempts ${this.maxAttempts} must be a whole number of at least 1`);
    if (problems.length > 0) throw new ConfigurationError(problems);
  }

  async importBatch(region: string, findings: readonly AwsSecurityFinding[]): Promise<BatchImport> {
    if (findings.length === 0) return { kind: 'imported', imported: 0, failed: [] };
    if (findings.length > ASFF_LIMITS.findingsPerBatch) {
      throw new RangeError(`${findings.length} findings in one ${OPERATION} call; Security Hub takes at most ${ASFF_LIMITS.findingsPerBatch}`);
    }
    const securityHub = this.securityHubIn(region);
    for (let attempt = 1; ; attempt += 1) {
      const delay = this.bucketOf(region).reserve();
      if (delay > 0) await this.sleep(delay);
      try {
        const answer = await securityHub.send(new BatchImportFindingsCommand({ Findings: [...findings] }));
        return this.outcomeOf(answer, region, findings);
      } catch (error) {
        const code = errorCode(error);
        if (NOT_ENABLED.has(code)) return this.notEnabled(region, findings, error instanceof Error ? error.message : String(error));
        if (!this.isRetriable(error) || attempt >= this.maxAttempts) throw this.failure(error, region, attempt);
        // Full jitter: a random wait up to the exponential bound keeps retrying callers apart.
        await this.sleep(this.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private bucketOf(region: string): TokenBucket {
    let bucket = this.buckets.get(region);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.now);
      this.buckets.set(region, bucket);
    }
    return bucket;
  }

  private isRetriable(error: unknown): boolean {
    return THROTTLED.has(errorCode(error)) || httpStatusOf(error) === 429 || toAwsCallError(OPERATION, error).transient;
  }

  private outcomeOf(answer: BatchImportFindingsCommandOutput, region: string, findings: readonly AwsSecurityFinding[]): BatchImport {
    const failed: FailedImport[] = (answer.FailedFindings ?? []).map((failure) => ({
      id: failure.Id ?? '(no id)',
      code: failure.ErrorCode ?? 'UnknownError',
      message: failure.ErrorMessage ?? '',
    }));
    const imported = answer.SuccessCount ?? findings.length - failed.length;
    // A disabled Security Hub refuses every finding of the call, each with InvalidAccess.
    if (imported === 0 && failed.length > 0 && failed.every((failure) => NOT_ENABLED.has(failure.code))) {
      return this.notEnabled(region, findings, failed[0]?.message ?? '');
    }
    return { kind: 'imported', imported, failed };
  }

  private notEnabled(region: string, findings: readonly AwsSecurityFinding[], awsMessage: string): BatchImport {
    const account = findings[0]?.AwsAccountId ?? 'this account';
    const said = quoteAwsMessage(awsMessage);
    return {
      kind: 'not-enabled',
      message:
        `Security Hub is not enabled in account ${account} region ${region}, so its findings were not imported there: enable it ` +
        `(the Security Hub console, or aws securityhub enable-security-hub --region ${region} in that account) and the next run imports them` +
        (said === '' ? '.' : `. AWS said: ${said}`),
    };
  }

  private failure(error: unknown, region: string, attempts: number): AwsCallError {
    const failed = toAwsCallError(OPERATION, error);
    const tries = attempts > 1 ? `, after ${attempts} attempts` : '';
    const message = error instanceof Error ? error.message : String(error);
    return new AwsCallError(OPERATION, failed.code, failed.httpStatus, failed.transient, `in ${region}${tries}: ${quoteAwsMessage(message)}`, { cause: error });
  }
}
