import { Buffer } from 'node:buffer';
import { auditAccount } from '../audit-encryption/audit-account.js';
import type { AuditRecorder } from '../audit-encryption/audit-recorder.js';
import { LEFT_TO_THE_MERGE } from '../audit-encryption/audit-run.js';
import { auditServices, type AccountClients } from '../audit-encryption/audit-services.js';
import type { OrganizationAuditConfig } from '../../shared/config/organization-config.js';
import { AwsCallError } from '../../shared/errors.js';
import type { AccountResult, MemberAccount } from '../../shared/organization/account-result.js';
import { enforcerTargetsOf, type MemberDeployment } from '../../shared/organization/member-deployment.js';
import type { NotAuditedReason } from '../../shared/organization/not-audited-reason.js';
import { organizationRunLayout, type OrganizationRun } from '../../shared/organization/organization-run.js';
import type { ReportSpool } from '../../shared/ports/report-spool.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import type { AccountAccess, OpenAccountFor } from './member-access.js';

export interface MemberAuditDependencies {
  readonly config: OrganizationAuditConfig;
  /** The account that runs the audit and owns the reports bucket. */
  readonly reportsOwner: { readonly accountId: string; readonly clients: AccountClients };
  readonly openAccount: OpenAccountFor;
  /** The reports bucket, where the account's result is left for the merge. */
  readonly store: ReportStore;
  readonly recorder: AuditRecorder;
  readonly openSpool: () => ReportSpool;
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'SlowDown', 'RequestLimitExceeded']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT']);

/** Why an account whose role was assumed still could not be audited. */
export const reasonOfAuditFailure = (error: unknown): NotAuditedReason => {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 500) ?? '';
  const code = error instanceof AwsCallError ? error.code : error instanceof Error ? error.name : 'Error';
  if (THROTTLING.has(code)) return { code: 'throttled', detail: `throttled until retries ran out: ${message}` };
  if (TIMEOUTS.has(code)) return { code: 'timed-out', detail: message };
  return { code: 'audit-failed', detail: message };
};

const regionsBy = (deployments: readonly MemberDeployment[], kind: MemberDeployment['kind']): string[] =>
  deployments.filter((deployment) => deployment.kind === kind).map((deployment) => deployment.region);

/**
 * One member account's audit: the account opened (with the member role, or the caller's own
 * credentials at home), what its member stack published in each audited region, then today's
 * account audit with that account's clients. It writes the account's report and leaves the
 * summary and the state to the merge. Whatever happens, the result says so: an account is
 * audited, or it is not with the reason why.
 */
export const auditMember = async (deps: MemberAuditDependencies, run: OrganizationRun, account: MemberAccount): Promise<AccountResult> => {
  let access: AccountAccess;
  try {
    access = await deps.openAccount(account.accountId);
  } catch (error) {
    return { ...account, status: 'not-audited', reason: reasonOfAuditFailure(error) };
  }
  if (access.kind === 'refused') return { ...account, status: 'not-audited', reason: access.reason };
  try {
    const deployments = await Promise.all(deps.config.auditRegions.map((region) => access.deployments.deploymentIn(region)));
    const services = auditServices({
      settings: deps.config.audit,
      audited: { accountId: account.accountId, clients: access.clients },
      reportsOwner: deps.reportsOwner,
      ending: LEFT_TO_THE_MERGE,
      recorder: deps.recorder,
      openSpool: deps.openSpool,
      enforcer: enforcerTargetsOf(deployments),
      reportsKmsKeyArn: deps.config.reportsKmsKeyArn,
      reportStore: deps.store,
    });
    const outcome = await auditAccount(services, new Date(run.startedAt));
    return {
      ...account,
      status: 'audited',
      buckets: outcome.buckets,
      keys: outcome.keys,
      findings: outcome.findings,
      changes: outcome.changes,
      page: outcome.page,
      ...(outcome.reportKey ? { reportKey: outcome.reportKey } : {}),
      ...(outcome.reportError ? { reportError: outcome.reportError } : {}),
      regions: { deployed: regionsBy(deployments, 'deployed'), absent: regionsBy(deployments, 'absent'), unreadable: regionsBy(deployments, 'unreadable') },
    };
  } catch (error) {
    return { ...account, status: 'not-audited', reason: reasonOfAuditFailure(error) };
  } finally {
    access.close();
  }
};

/** The result where the merge looks for it; written last, so a result is there only for a finished account. */
export const recordResult = async (deps: Pick<MemberAuditDependencies, 'config' | 'store'>, run: OrganizationRun, result: AccountResult): Promise<void> => {
  const text = `${JSON.stringify(result)}\n`;
  await deps.store.write({
    key: organizationRunLayout(deps.config.audit.reportsPrefix, run).accountResultKey(result.accountId),
    contentType: 'application/json',
    kmsKeyArn: deps.config.reportsKmsKeyArn,
    body: async function* () {
      yield text;
    },
    contentLength: Buffer.byteLength(text, 'utf8'),
  });
};
