import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.js';
import { S3ReportStore } from '../../shared/adapters/s3-report-store.js';
import { StsRoleAssumer } from '../../shared/adapters/sts-role-assumer.js';
import { createRegionalKmsClients, createRegionalS3Clients, createRegionalSsmClients, createStsClient } from '../../shared/aws/aws-clients.js';
import { securityHubImporter } from '../../shared/aws/security-hub-importer.js';
import { loadOrganizationAuditConfig } from '../../shared/config/organization-config.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { parseMemberAccount, reasonOfCaughtFailure, type AccountResult } from '../../shared/organization/account-result.js';
import { parseOrganizationRun } from '../../shared/organization/organization-run.js';
import { accountOfFunctionArn } from '../audit-encryption/audit-account.js';
import { powertoolsAuditRecorder } from '../audit-encryption/powertools-audit-recorder.js';
import { auditMember, recordResult, type MemberAuditDependencies } from './audit-member.js';
import { openAccountWith } from './member-access.js';

// Composition root: one child of the organization audit's Distributed Map, one account per invocation.
const config = loadOrganizationAuditConfig(undefined, { publishes: false });
const { aws } = config.audit;
const { logger, metrics } = createTelemetry('audit-member-account');
const caller = { s3In: createRegionalS3Clients(aws), kmsIn: createRegionalKmsClients(aws), ssmIn: createRegionalSsmClients(aws), securityHub: securityHubImporter(aws) };
const assumer = new StsRoleAssumer(createStsClient(aws), { roleName: config.memberRoleName, partition: partitionOf(aws.region), sessionName: 's3-encryption-audit' });
const recorder = powertoolsAuditRecorder(logger, metrics);

const dependencies = (callerAccountId: string): MemberAuditDependencies => ({
  config,
  reportsOwner: { accountId: callerAccountId, clients: caller },
  openAccount: openAccountWith({ aws, callerAccountId, callerClients: caller, assumer, parameterName: config.memberParameterName }),
  store: new S3ReportStore(caller.s3In(aws.region), config.reportsBucket, callerAccountId),
  recorder,
  // One account at a time per execution environment: what a stopped run left in /tmp can go.
  openSpool: () => new LocalReportSpool({ removeLeftovers: true }),
});

/** What the Map keeps of each child: small, whatever the account held. */
export interface MemberAuditResponse {
  readonly accountId: string;
  readonly status: AccountResult['status'];
}

const auditOneAccount = async (event: unknown, context: Context): Promise<MemberAuditResponse> => {
  const callerAccountId = accountOfFunctionArn(context.invokedFunctionArn);
  if (!callerAccountId) throw new Error(`cannot tell the account from the function ARN "${context.invokedFunctionArn}"`);
  const fields = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const run = parseOrganizationRun(fields['run']);
  const account = parseMemberAccount(fields['account']);
  const deps = dependencies(callerAccountId);
  // The state machine caught this account's audit failing (a timeout, a crash): recorded, never dropped.
  const failure = fields['failure'];
  const result: AccountResult =
    typeof failure === 'object' && failure !== null
      ? { ...account, status: 'not-audited', reason: reasonOfCaughtFailure(failure as Record<string, unknown>) }
      : await auditMember(deps, run, account);
  if (result.status === 'not-audited') logger.warn('account not audited', { accountId: account.accountId, reason: result.reason });
  await recordResult(deps, run, result);
  return { accountId: result.accountId, status: result.status };
};

export const handler = middy(auditOneAccount)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
