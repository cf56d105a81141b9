import { compareText } from './finding.js';
import { appliesToAction, parsePolicyDocument } from './iam-policy.js';

/** Administration: changing who may use the key, or destroying or disabling it. */
export const ADMIN_ACTIONS = ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation'] as const;
/** Use that reads data: decrypting, directly or as the first half of a re-encryption. */
export const DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:ReEncryptFrom'] as const;

export interface RoleOverlap {
  /** `AWS:arn:…`, `Service:…`, `*` (everyone) or `everyone except …` (NotPrincipal). */
  readonly principal: string;
  readonly admin: readonly string[];
  readonly decrypt: readonly string[];
}

export type RoleSeparation =
  | { readonly kind: 'separated' }
  | { readonly kind: 'overlap'; readonly overlaps: readonly RoleOverlap[] }
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * The account root grant (`arn:…:iam::<own account>:root`, or the bare account id) delegates to IAM
 * policies rather than granting one principal; it is what every default key policy holds.
 */
const isOwnAccountRoot = (principal: string, accountId: string): boolean =>
  principal === `AWS:${accountId}` || new RegExp(`^AWS:arn:aws[a-z-]*:iam::${accountId}:root$`).test(principal);

/**
 * Allow statements are added up per principal. Conditions are not evaluated and Deny statements are
 * not subtracted, so a conditional grant counts as a grant: the check errs towards reporting.
 */
export const evaluateRoleSeparation = (policy: string, accountId: string): RoleSeparation => {
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return { kind: 'unreadable', reason: parsed.reason };
  const grants = new Map<string, { admin: Set<string>; decrypt: Set<string> }>();
  for (const statement of parsed.statements) {
    if (statement.effect !== 'Allow' || !statement.principal) continue;
    const admin = ADMIN_ACTIONS.filter((action) => appliesToAction(statement.actions, action));
    const decrypt = DECRYPT_ACTIONS.filter((action) => appliesToAction(statement.actions, action));
    if (admin.length === 0 && decrypt.length === 0) continue;
    const principals = statement.principal.negated
      ? [`everyone except ${statement.principal.ids.join(', ')}`]
      : statement.principal.anyone
        ? ['*']
        : statement.principal.ids;
    for (const principal of principals) {
      if (isOwnAccountRoot(principal, accountId)) continue;
      const entry = grants.get(principal) ?? { admin: new Set<string>(), decrypt: new Set<string>() };
      admin.forEach((action) => entry.admin.add(action));
      decrypt.forEach((action) => entry.decrypt.add(action));
      grants.set(principal, entry);
    }
  }
  const overlaps = [...grants.entries()]
    .filter(([, entry]) => entry.admin.size > 0 && entry.decrypt.size > 0)
    .map(([principal, entry]) => ({ principal, admin: [...entry.admin].sort(), decrypt: [...entry.decrypt].sort() }))
    .sort((a, b) => compareText(a.principal, b.principal));
  return overlaps.length === 0 ? { kind: 'separated' } : { kind: 'overlap', overlaps };
};
