import { ConfigurationError } from '../errors.js';
import { loadAuditConfig, type AuditRunSettings } from './audit-config.js';

/**
 * Which accounts a run covers: the whole organization, or only the account ids and the accounts
 * under the organizational units (or root) given. Both lists together select their union.
 */
export interface OrganizationScope {
  readonly accounts?: readonly string[] | undefined;
  readonly organizationalUnits?: readonly string[] | undefined;
}

export interface OrganizationAuditConfig {
  /** The account audit's own settings, as one account's audit reads them. */
  readonly audit: AuditRunSettings;
  readonly reportsBucket: string;
  /** Reports are encrypted under the reports bucket's key, not under any member's key. */
  readonly reportsKmsKeyArn: string;
  /** The role the member template creates in each account (a path is allowed: `audit/reader`). */
  readonly memberRoleName: string;
  /** The SSM parameter the member template publishes in each region. */
  readonly memberParameterName: string;
  /** The regions the member template is deployed to: where each account's enforcer is looked for. */
  readonly auditRegions: readonly string[];
  readonly scope: OrganizationScope;
  /** Set when the run announces (the merge); the other steps never publish. */
  readonly findingsTopicArn?: string | undefined;
}

type Environment = Readonly<Record<string, string | undefined>>;

export const DEFAULT_MEMBER_ROLE_NAME = 's3-encryption-enforcer-audit';
export const DEFAULT_MEMBER_PARAMETER_NAME = '/s3-encryption-enforcer/member';

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** IAM role names (with an optional path), as the trust of a member role can name them. */
const ROLE_NAME = /^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const PARAMETER_NAME = /^\/?[a-zA-Z0-9_.\-/]{1,1011}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_ID = /^\d{12}$/;
const PARENT_ID = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const checkedList = (env: Environment, name: string, pattern: RegExp, what: string, problems: string[]): string[] => {
  const items = list(env[name]);
  const invalid = items.filter((item) => !pattern.test(item));
  if (invalid.length > 0) problems.push(`${name} holds ${invalid.map((item) => `"${item}"`).join(', ')}, which ${invalid.length === 1 ? 'is not' : 'are not'} ${what}`);
  return [...new Set(items)];
};

/**
 * The organization audit's configuration, read and validated once at cold start by each of its
 * functions (and by the CLI); throws ConfigurationError listing every problem. The account audit's
 * own settings (REQUIRED_KMS_KEY, POLICY, AUDIT_CONCURRENCY, …) are read as one account's audit
 * reads them; FINDINGS_TOPIC_ARN only where the run announces.
 */
export const loadOrganizationAuditConfig = (env: Environment = process.env, use: { readonly publishes: boolean } = { publishes: false }): OrganizationAuditConfig => {
  const problems: string[] = [];
  let audit: AuditRunSettings | undefined;
  let findingsTopicArn: string | undefined;
  try {
    if (use.publishes) {
      const { findingsTopicArn: topic, ...settings } = loadAuditConfig(env);
      audit = settings;
      findingsTopicArn = topic;
    } else {
      audit = loadAuditConfig(env, { publishes: false });
    }
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    problems.push(...error.problems);
  }

  if (!env['REPORTS_BUCKET']?.trim()) problems.push('REPORTS_BUCKET is not set: the organization audit keeps each account’s report, and its own, in the central reports bucket');
  const reportsKmsKeyArn = env['REPORTS_KMS_KEY_ARN']?.trim() ?? '';
  if (!KMS_KEY_ARN.test(reportsKmsKeyArn)) {
    problems.push(`REPORTS_KMS_KEY_ARN must be the ARN of the reports bucket's KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID), not "${reportsKmsKeyArn}"`);
  }
  const memberRoleName = env['MEMBER_ROLE_NAME']?.trim() || DEFAULT_MEMBER_ROLE_NAME;
  if (!ROLE_NAME.test(memberRoleName)) problems.push(`MEMBER_ROLE_NAME "${memberRoleName}" is not an IAM role name (with an optional path)`);
  const memberParameterName = env['MEMBER_PARAMETER_NAME']?.trim() || DEFAULT_MEMBER_PARAMETER_NAME;
  if (!PARAMETER_NAME.test(memberParameterName)) problems.push(`MEMBER_PARAMETER_NAME "${memberParameterName}" is not an SSM parameter name`);
  const auditRegions = checkedList(env, 'AUDIT_REGIONS', REGION, 'a region', problems);
  if (auditRegions.length === 0 && env['AUDIT_REGIONS'] !== undefined) problems.push('AUDIT_REGIONS is empty: name the regions the member template is deployed to');
  const accounts = checkedList(env, 'ORGANIZATION_ACCOUNTS', ACCOUNT_ID, 'a 12-digit account id', problems);
  const organizationalUnits = checkedList(env, 'ORGANIZATION_OUS', PARENT_ID, 'an organizational unit id (ou-…) or a root id (r-…)', problems);

  if (problems.length > 0 || !audit) throw new ConfigurationError(problems);
  return Object.freeze({
    audit,
    reportsBucket: audit.reportsBucket as string,
    reportsKmsKeyArn,
    memberRoleName,
    memberParameterName,
    auditRegions: Object.freeze(auditRegions.length > 0 ? auditRegions : [audit.aws.region]),
    scope: Object.freeze({
      ...(accounts.length > 0 ? { accounts: Object.freeze(accounts) } : {}),
      ...(organizationalUnits.length > 0 ? { organizationalUnits: Object.freeze(organizationalUnits) } : {}),
    }),
    ...(findingsTopicArn ? { findingsTopicArn } : {}),
  });
};
