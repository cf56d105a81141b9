import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { NotAuditedReason } from '../organization/not-audited-reason.js';

/**
 * What the audit may do in a member account: act there with `credentials`, or report the account
 * with `reason`. `credentials` is a provider, not a set: it stays usable for a run of any length.
 */
export type MemberAccess =
  | { readonly kind: 'assumed'; readonly credentials: AwsCredentialIdentityProvider }
  | { readonly kind: 'refused'; readonly reason: NotAuditedReason };

/**
 * Access to a member account of the organization through a read-only role in it. A refusal that is
 * the member's state (its role, its region, throttling, no answer) is a value; anything else — bad
 * configuration, a bug — is thrown.
 */
export interface RoleAssumer {
  assume(accountId: string): Promise<MemberAccess>;
}
