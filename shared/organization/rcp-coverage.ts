import { CHECKS } from '../audit/checks-catalogue.js';
import { ERROR_SEVERITY, makeFinding } from '../audit/checks/make-finding.js';
import { compareText, type AccountFinding } from '../audit/finding.js';
import type { RcpSemantics } from '../prevention/resource-control-policy.js';
import { accountResource, type MemberAccount } from './account-result.js';

/**
 * The guarantees an account needs from the Resource Control Policies above it to be covered: the
 * semantics of the RCP `enforcer prevention rcp` prints. A required key is reported, not needed.
 */
export const RCP_GUARANTEES = ['tls-only', 'kms-required', 'aws-managed-key-denied', 'sse-c-denied'] as const;
export type RcpGuarantee = (typeof RCP_GUARANTEES)[number];

const GUARANTEE_OF: Readonly<Record<RcpGuarantee, (semantics: RcpSemantics) => boolean>> = {
  'tls-only': (semantics) => semantics.tlsOnly,
  'kms-required': (semantics) => semantics.kmsRequired,
  'aws-managed-key-denied': (semantics) => semantics.awsManagedKeyDenied,
  'sse-c-denied': (semantics) => semantics.sseCDenied,
};

/** What each guarantee denies, in the words of the finding. */
const DENIED: Readonly<Record<RcpGuarantee, string>> = {
  'tls-only': 'plain HTTP',
  'kms-required': 'uploads asking for SSE-S3',
  'aws-managed-key-denied': 'uploads under the aws/s3 key',
  'sse-c-denied': 'SSE-C uploads',
};

/** Whether an RCP denies anything the coverage counts (or names a required key): only those are worth their targets. */
export const providesAnyGuarantee = (semantics: RcpSemantics): boolean => RCP_GUARANTEES.some((guarantee) => GUARANTEE_OF[guarantee](semantics)) || semantics.requiredKey !== undefined;

/** The RCPs attached at one root, OU or account of an account's path, by `name (p-id)`. */
export interface RcpAttachment {
  readonly target: string;
  readonly policies: readonly string[];
}

/** Why the RCPs could not be read: the call and AWS's answer. */
export interface RcpReadFailure {
  readonly operation: string;
  readonly code: string;
  readonly message: string;
}

/**
 * What the Resource Control Policies do for one account, decided by the list step (which reads
 * the organization) and carried on the account's line of the run's listing to the merge.
 * `path` runs from the root to the account; `attachments` are the RCPs with a guarantee attached
 * on it, in path order.
 */
export type RcpCoverage =
  | { readonly kind: 'covered'; readonly path: readonly string[]; readonly attachments: readonly RcpAttachment[]; readonly requiredKeys: readonly string[] }
  | { readonly kind: 'not-covered'; readonly path: readonly string[]; readonly attachments: readonly RcpAttachment[]; readonly missing: readonly RcpGuarantee[] }
  | { readonly kind: 'management-account' }
  | { readonly kind: 'not-enabled'; readonly roots: readonly string[] }
  | ({ readonly kind: 'unreadable' } & RcpReadFailure);

/** An RCP that provides some guarantee, with the ids of the roots, OUs and accounts it is attached to. */
export interface GuaranteeingRcp {
  readonly id: string;
  readonly name: string;
  readonly semantics: RcpSemantics;
  readonly targets: readonly string[];
}

interface AttachedRcp {
  readonly label: string;
  readonly semantics: RcpSemantics;
}

/** What the list step read of the organization, in the form each account's decision needs. */
export type RcpLandscape =
  | {
      readonly kind: 'read';
      readonly managementAccountId: string;
      /** Every OU and account to its parent: an account's path, walked up. */
      readonly parentOf: ReadonlyMap<string, string>;
      readonly attachedAt: ReadonlyMap<string, readonly AttachedRcp[]>;
    }
  | { readonly kind: 'not-enabled'; readonly managementAccountId: string; readonly roots: readonly string[] }
  | { readonly kind: 'unreadable'; readonly managementAccountId?: string | undefined; readonly failure: RcpReadFailure };

export const rcpLandscape = (read: { readonly managementAccountId: string; readonly parentOf: ReadonlyMap<string, string>; readonly policies: readonly GuaranteeingRcp[] }): RcpLandscape => {
  const attachedAt = new Map<string, AttachedRcp[]>();
  for (const policy of read.policies) {
    const attached = { label: `${policy.name} (${policy.id})`, semantics: policy.semantics };
    for (const target of new Set(policy.targets)) attachedAt.set(target, [...(attachedAt.get(target) ?? []), attached]);
  }
  return { kind: 'read', managementAccountId: read.managementAccountId, parentOf: read.parentOf, attachedAt };
};

/** OUs nest at most five deep under a root: anything longer is a loop in what was read. */
const MAX_PATH = 8;

/**
 * The account's coverage: the union of what every RCP attached on its path (the root, each OU
 * down to it, the account itself) denies — an RCP's Deny applies wherever it is attached above.
 * The management account is never covered: RCPs do not apply to its resources.
 */
export const rcpCoverageOf = (accountId: string, landscape: RcpLandscape): RcpCoverage => {
  if (landscape.managementAccountId === accountId) return { kind: 'management-account' };
  if (landscape.kind === 'not-enabled') return { kind: 'not-enabled', roots: landscape.roots };
  if (landscape.kind === 'unreadable') return { kind: 'unreadable', ...landscape.failure };

  const path = [accountId];
  for (let parent = landscape.parentOf.get(accountId); parent !== undefined && path.length <= MAX_PATH; parent = landscape.parentOf.get(parent)) path.unshift(parent);
  if (path.length === 1 || path.length > MAX_PATH) {
    return {
      kind: 'unreadable',
      operation: 'ListAccountsForParent',
      code: path.length === 1 ? 'AccountNotInTree' : 'TreeLoop',
      message: path.length === 1 ? 'the account was under no root or OU when the organization was walked (it may have joined or moved meanwhile)' : 'the organization’s tree came back with a loop',
    };
  }

  const attachments: RcpAttachment[] = [];
  const provided = new Set<RcpGuarantee>();
  const requiredKeys = new Set<string>();
  for (const target of path) {
    const attached = landscape.attachedAt.get(target) ?? [];
    if (attached.length === 0) continue;
    attachments.push({ target, policies: attached.map((policy) => policy.label).sort(compareText) });
    for (const { semantics } of attached) {
      RCP_GUARANTEES.filter((guarantee) => GUARANTEE_OF[guarantee](semantics)).forEach((guarantee) => provided.add(guarantee));
      if (semantics.requiredKey !== undefined) requiredKeys.add(semantics.requiredKey);
    }
  }
  const missing = RCP_GUARANTEES.filter((guarantee) => !provided.has(guarantee));
  if (missing.length > 0) return { kind: 'not-covered', path, attachments, missing };
  return { kind: 'covered', path, attachments, requiredKeys: [...requiredKeys].sort(compareText) };
};

const listed = (items: readonly string[], last: 'and' | 'or'): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1] ?? ''}`;

const EXPECTED = `RCPs attached to the root, to an OU above the account or to the account itself deny ${listed(
  RCP_GUARANTEES.map((guarantee) => DENIED[guarantee]),
  'and',
)}`;

const pathText = (path: readonly string[]): string => path.join(' → ');

const attachmentsText = (attachments: readonly RcpAttachment[]): string => attachments.map(({ target, policies }) => `${target}: ${policies.join(', ')}`).join('; ');

/** In words a person can act on, and the same night after night while nothing changes. */
const observedOf = (coverage: RcpCoverage): string => {
  switch (coverage.kind) {
    case 'covered':
      return (
        `RCPs on the path ${pathText(coverage.path)} deny ${listed(RCP_GUARANTEES.map((guarantee) => DENIED[guarantee]), 'and')} (attached at ${attachmentsText(coverage.attachments)})` +
        (coverage.requiredKeys.length > 0 ? `; uploads naming a key other than ${listed(coverage.requiredKeys, 'or')} are denied` : '')
      );
    case 'not-covered':
      return (
        `no RCP on the path ${pathText(coverage.path)} denies ${listed(
          coverage.missing.map((guarantee) => DENIED[guarantee]),
          'or',
        )}` + (coverage.attachments.length > 0 ? ` (RCPs attached on it: ${attachmentsText(coverage.attachments)})` : ' (no RCP that denies any of them is attached on it)')
      );
    case 'management-account':
      return 'the management account: Resource Control Policies never apply to its resources, whatever is attached to the root or to the account';
    case 'not-enabled':
      return `Resource Control Policies are not enabled on the root ${listed(coverage.roots, 'and')}: no RCP applies to any account`;
    case 'unreadable':
      return `the organization's RCPs could not be read: ${coverage.operation} failed with ${coverage.code}`;
  }
};

const MANAGEMENT_ACCOUNT_REMEDIATION =
  'RCPs cannot protect the management account: its buckets rely on their bucket policies. Give each the Deny statements of s3-policy-denies-wrong-key and s3-tls-only-policy (see their remediation) and block SSE-C (s3-sse-c-blocked), and keep workloads and data out of the management account.';

const notEnabledRemediation = (roots: readonly string[]): string =>
  `Enable RCPs on the root (aws organizations enable-policy-type --root-id ${roots[0] ?? 'r-…'} --policy-type RESOURCE_CONTROL_POLICY), then ${CHECKS['org-rcp-coverage'].remediation.replace(/^./, (first) => first.toLowerCase())}`;

/**
 * The account's `org-rcp-coverage` finding, filed like its `org-account-audited` one: in the
 * account, in the caller's home region. Passed when covered; failed when not; informational for
 * the management account, which no RCP covers; error when the RCPs could not be read.
 */
export const rcpCoverageFinding = (account: MemberAccount, coverage: RcpCoverage, region: string): AccountFinding => {
  const check = CHECKS['org-rcp-coverage'];
  const common = { resource: accountResource(account.accountId), region, observed: observedOf(coverage), expected: EXPECTED };
  switch (coverage.kind) {
    case 'covered':
      return { accountId: account.accountId, ...makeFinding(check, { ...common, status: 'passed' }) };
    case 'not-covered':
      return { accountId: account.accountId, ...makeFinding(check, { ...common, status: 'failed' }) };
    case 'management-account':
      // Informational, not failed: no RCP can ever cover it, so a failure could never be fixed here; its
      // buckets' own guardrails are judged by s3-policy-denies-wrong-key and s3-tls-only-policy in its audit.
      return { accountId: account.accountId, ...makeFinding(check, { ...common, status: 'informational', remediation: MANAGEMENT_ACCOUNT_REMEDIATION }) };
    case 'not-enabled':
      return { accountId: account.accountId, ...makeFinding(check, { ...common, status: 'failed', remediation: notEnabledRemediation(coverage.roots) }) };
    case 'unreadable':
      return {
        accountId: account.accountId,
        ...makeFinding(check, {
          ...common,
          status: 'error',
          severity: ERROR_SEVERITY,
          title: `${check.title}: could not be checked (${coverage.message.slice(0, 300)})`,
          remediation: `Let the organization audit's list function (or the CLI's caller) call organizations:${coverage.operation}, from the management account or a delegated administrator (it failed with ${coverage.code}), then the check can run.`,
        }),
      };
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringsOf = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined);

const attachmentsOf = (value: unknown): RcpAttachment[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  const attachments: RcpAttachment[] = [];
  for (const item of value) {
    const policies = isRecord(item) ? stringsOf(item['policies']) : undefined;
    if (!isRecord(item) || typeof item['target'] !== 'string' || !policies) return undefined;
    attachments.push({ target: item['target'], policies });
  }
  return attachments;
};

/** A coverage read back from the run's listing; anything that is not one is undefined. */
export const parseRcpCoverage = (value: unknown): RcpCoverage | undefined => {
  if (!isRecord(value)) return undefined;
  switch (value['kind']) {
    case 'covered': {
      const [path, attachments, requiredKeys] = [stringsOf(value['path']), attachmentsOf(value['attachments']), stringsOf(value['requiredKeys'])];
      return path && attachments && requiredKeys ? { kind: 'covered', path, attachments, requiredKeys } : undefined;
    }
    case 'not-covered': {
      const [path, attachments, missing] = [stringsOf(value['path']), attachmentsOf(value['attachments']), stringsOf(value['missing'])];
      if (!path || !attachments || !missing || !missing.every((guarantee) => (RCP_GUARANTEES as readonly string[]).includes(guarantee))) return undefined;
      return { kind: 'not-covered', path, attachments, missing: missing as RcpGuarantee[] };
    }
    case 'management-account':
      return { kind: 'management-account' };
    case 'not-enabled': {
      const roots = stringsOf(value['roots']);
      return roots ? { kind: 'not-enabled', roots } : undefined;
    }
    case 'unreadable': {
      const { operation, code, message } = value;
      return typeof operation === 'string' && typeof code === 'string' && typeof message === 'string' ? { kind: 'unreadable', operation, code, message } : undefined;
    }
    default:
      return undefined;
  }
};

/** What the merge reports for an account whose listing line carries no coverage it can read. */
export const RCP_COVERAGE_NOT_LISTED: RcpCoverage = Object.freeze({
  kind: 'unreadable',
  operation: 'ListAccounts',
  code: 'CoverageNotListed',
  message: "the run's listing carries no RCP coverage for the account (listed by an earlier version, or the line is damaged)",
});
