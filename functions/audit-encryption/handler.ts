import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { loadAuditConfig } from '../../shared/config/audit-config.js';
import { createRegionalKmsClients, createRegionalS3Clients, createSnsClient } from '../../shared/aws/aws-clients.js';
import { securityHubImporter } from '../../shared/aws/security-hub-importer.js';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.js';
import { SnsNotificationPublisher } from '../../shared/adapters/sns-notification-publisher.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { accountOfFunctionArn, auditAccount, scheduledTime, type AuditDependencies, type AuditOutcome } from './audit-account.js';
import { announceOnSns, auditServices, type AccountClients } from './audit-services.js';
import { powertoolsAuditRecorder } from './powertools-audit-recorder.js';

// Composition root. Configuration is validated at cold start; clients are made once, per region.
const config = loadAuditConfig();
const { logger, metrics } = createTelemetry('audit-encryption');
const clients: AccountClients = { s3In: createRegionalS3Clients(config.aws), kmsIn: createRegionalKmsClients(config.aws), securityHub: securityHubImporter(config.aws) };
const ending = announceOnSns(new SnsNotificationPublisher(createSnsClient(config.aws, config.findingsTopicArn), config.findingsTopicArn));
const recorder = powertoolsAuditRecorder(logger, metrics);

/** The function audits its own account and keeps its reports there. */
const dependencies = (accountId: string): AuditDependencies =>
  auditServices({
    settings: config,
    audited: { accountId, clients },
    reportsOwner: { accountId, clients },
    ending,
    recorder,
    // One run at a time per execution environment: what a stopped run left in /tmp can go.
    openSpool: () => new LocalReportSpool({ removeLeftovers: true }),
  });

const audit = async (event: unknown, context: Context): Promise<AuditOutcome> => {
  const accountId = accountOfFunctionArn(context.invokedFunctionArn);
  if (!accountId) throw new Error(`cannot tell the account from the function ARN "${context.invokedFunctionArn}"`);
  return auditAccount(dependencies(accountId), scheduledTime(event, () => new Date()));
};

export const handler = middy(audit)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
