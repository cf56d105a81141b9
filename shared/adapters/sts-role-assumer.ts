import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsCallError, ConfigurationError } from '../errors.js';
import type { NotAuditedReason } from '../organization/not-audited-reason.js';
import type { MemberAccess, RoleAssumer } from '../ports/role-assumer.js';
import { errorCode, toAwsCallError } from './aws-error.js';

/**
 * A Lambda function assumes the member's role with its own role's credentials: role chaining,
 * which STS caps at one hour whatever the role's maximum session duration says.
 */
export const DEFAULT_SESSION_SECONDS = 3600;

/**
 * Credentials are renewed this long before they expire. The SDK asks its provider again once the
 * set it holds has less than 5 minutes left; with a longer margin it is then given a new set, never
 * the same nearly expired one again.
 */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 15 * 60;

/** AssumeRole's own bounds on DurationSeconds. */
const MIN_SESSION_SECONDS = 900;
const MAX_SESSION_SECONDS = 43_200;

export interface StsRoleAssumerOptions {
  /** The role's name in every member account, with its path if it has one: `audit/reader`. */
  readonly roleName: string;
  /** The organization's partition: aws, aws-cn, aws-us-gov… */
  readonly partition: string;
  /** The session's name, as the member's CloudTrail shows it. */
  readonly sessionName: string;
  /** Defaults to DEFAULT_SESSION_SECONDS. */
  readonly durationSeconds?: number;
  /** Defaults to DEFAULT_REFRESH_MARGIN_SECONDS; must be shorter than the session. */
  readonly refreshMarginSeconds?: number;
  /** The time in milliseconds since the epoch. */
  readonly now?: () => number;
}

const ACCOUNT_ID = /^\d{12}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const PARTITION = /^aws(?:-[a-z]+)*$/;
/** IAM paths are printable ASCII between slashes; role names are IAM's own character set. */
const ROLE_NAME = /^(?:[\x21-\x2E\x30-\x7E]+\/)*[\w+=,.@-]{1,64}$/;

const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException']);
const TIMED_OUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EPIPE']);

/**
 * Access key ids and long base64 runs (session tokens) cut out of AWS's messages before they are
 * quoted: a signature mismatch can echo the signed request, whose headers carry the session token.
 */
const SECRET_LIKE = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|[A-Za-z0-9+/=]{64,}/g;

const quoteAwsMessage = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(SECRET_LIKE, '[redacted]').slice(0, 300);

const shown = (value: string): string => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

export const memberRoleArn = (partition: string, accountId: string, roleName: string): string => `arn:${partition}:iam::${accountId}:role/${roleName}`;

export class StsRoleAssumer implements RoleAssumer {
  private readonly roleName: string;
  private readonly partition: string;
  private readonly sessionName: string;
  private readonly durationSeconds: number;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sts: STSClient,
    options: StsRoleAssumerOptions,
  ) {
    // A leading slash is how IAM writes a path; the ARN has none there.
    this.roleName = options.roleName.replace(/^\//, '');
    this.partition = options.partition;
    this.sessionName = options.sessionName;
    this.durationSeconds = options.durationSeconds ?? DEFAULT_SESSION_SECONDS;
    const marginSeconds = options.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS;
    this.refreshMarginMs = marginSeconds * 1000;
    this.now = options.now ?? Date.now;

    const problems: string[] = [];
    if (!ROLE_NAME.test(this.roleName)) {
      problems.push(`member role name ${shown(options.roleName)} is not an IAM role name (letters, digits and +=,.@_-, up to 64, after an optional path such as audit/)`);
    }
    if (!PARTITION.test(this.partition)) problems.push(`partition ${shown(this.partition)} is not an AWS partition (aws, aws-cn, aws-us-gov…)`);
    if (!SESSION_NAME.test(this.sessionName)) {
      problems.push(`role session name ${shown(this.sessionName)} must be 2–64 letters, digits or +=,.@_- (STS's rule)`);
    }
    if (!Number.isInteger(this.durationSeconds) || this.durationSeconds < MIN_SESSION_SECONDS || this.durationSeconds > MAX_SESSION_SECONDS) {
      problems.push(`session duration ${this.durationSeconds} s must be a whole number from ${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS}`);
    }
    // A margin as long as the session would renew the credentials at every request.
    if (!Number.isFinite(marginSeconds) || marginSeconds < 0 || marginSeconds >= this.durationSeconds) {
      problems.push(`refresh margin ${marginSeconds} s must be at least 0 and shorter than the session (${this.durationSeconds} s)`);
    }
    if (problems.length > 0) throw new ConfigurationError(problems);
  }

  roleArnIn(accountId: string): string {
    return memberRoleArn(this.partition, accountId, this.roleName);
  }

  /** Assumes the role at once, so a member whose role is refused is known before its audit starts. */
  async assume(accountId: string): Promise<MemberAccess> {
    if (!ACCOUNT_ID.test(accountId)) throw new RangeError(`not an AWS account id: ${shown(accountId)} (12 digits expected)`);
    const roleArn = this.roleArnIn(accountId);
    let first: AwsCredentialIdentity;
    try {
      first = await this.request(accountId, roleArn);
    } catch (error) {
      const reason = await this.refusal(error, accountId, roleArn);
      if (reason) return { kind: 'refused', reason };
      throw this.failure(error, `assuming ${roleArn}`);
    }
    return { kind: 'assumed', credentials: this.renewing(accountId, roleArn, first) };
  }

  /**
   * The cached set until it is within the margin of its expiry, then a new one. Callers that arrive
   * while a renewal is under way wait for that one AssumeRole. A failed renewal is thrown to the
   * callers that waited for it, and the next call tries again.
   */
  private renewing(accountId: string, roleArn: string, first: AwsCredentialIdentity): AwsCredentialIdentityProvider {
    let current = first;
    let renewal: Promise<AwsCredentialIdentity> | undefined;
    return async () => {
      if (this.isFresh(current)) return current;
      renewal ??= this.request(accountId, roleArn)
        .then(
          (renewed) => {
            current = renewed;
            return renewed;
          },
          (error: unknown) => {
            throw this.failure(error, `renewing the credentials of ${roleArn}`);
          },
        )
        .finally(() => {
          renewal = undefined;
        });
      return renewal;
    };
  }

  private isFresh(credentials: AwsCredentialIdentity): boolean {
    return credentials.expiration !== undefined && credentials.expiration.getTime() - this.refreshMarginMs > this.now();
  }

  private async request(accountId: string, roleArn: string): Promise<AwsCredentialIdentity> {
    const { Credentials: issued } = await this.sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: this.sessionName, DurationSeconds: this.durationSeconds }),
    );
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken || !issued.Expiration) {
      const missing = (['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration'] as const).filter((field) => !issued?.[field]);
      throw new AwsCallError('AssumeRole', 'IncompleteCredentials', undefined, false, `the answer for ${roleArn} has no ${missing.join(', ')}`);
    }
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration,
      accountId,
    };
  }

  /** The member's state, as a reason; undefined for anything that is a bug or bad configuration. */
  private async refusal(error: unknown, accountId: string, roleArn: string): Promise<NotAuditedReason | undefined> {
    const code = errorCode(error);
    if (code === 'AccessDenied') {
      return {
        code: 'role-not-assumable',
        detail:
          `${roleArn} could not be assumed (AccessDenied): the role does not exist in account ${accountId}, or its trust policy does not ` +
          `allow the audit's role to assume it; AWS answers both the same way. AWS said: ${quoteAwsMessage(error)}`,
      };
    }
    if (code === 'RegionDisabledException') {
      const region = await this.sts.config.region().catch(() => 'the STS client’s region');
      return {
        code: 'region-disabled',
        detail: `STS is not activated in ${region} for account ${accountId} (RegionDisabledException), so ${roleArn} could not be assumed there`,
      };
    }
    if (THROTTLED.has(code)) {
      return { code: 'throttled', detail: `AssumeRole of ${roleArn} was still throttled (${code}) after the SDK's retries` };
    }
    if (TIMED_OUT.has(code)) {
      return { code: 'timed-out', detail: `AssumeRole of ${roleArn} got no answer in time (${code})` };
    }
    return undefined;
  }

  private failure(error: unknown, doing: string): AwsCallError {
    if (error instanceof AwsCallError) return error;
    const failed = toAwsCallError('AssumeRole', error);
    return new AwsCallError('AssumeRole', failed.code, failed.httpStatus, failed.transient, `${doing}: ${quoteAwsMessage(error)}`, { cause: error });
  }
}
