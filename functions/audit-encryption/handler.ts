import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { loadAuditConfig } from '../../shared/config/audit-config.js';
import { createRegionalKmsClients, createRegionalS3Clients, createSnsClient } from '../../shared/aws/aws-clients.js';
import { KmsKeyInspector } from '../../shared/adapters/kms-key-inspector.js';
import { S3BucketEncryptionWriter } from '../../shared/adapters/s3-bucket-encryption-writer.js';
import { S3BucketInspector } from '../../shared/adapters/s3-bucket-inspector.js';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.js';
import { S3ReportStore } from '../../shared/adapters/s3-report-store.js';
import { SNS_MESSAGE_BUDGET_BYTES, SnsNotificationPublisher, snsMessageBytes } from '../../shared/adapters/sns-notification-publisher.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { accountOfFunctionArn, auditAccount, scheduledTime, type AuditDependencies, type AuditOutcome } from './audit-account.js';
import { powertoolsAuditRecorder } from './powertools-audit-recorder.js';

// Composition root. Configuration is validated at cold start; clients are made once, per region.
const config = loadAuditConfig();
const { logger, metrics } = createTelemetry('audit-encryption');
const s3In = createRegionalS3Clients(config.aws);
const kmsIn = createRegionalKmsClients(config.aws);
const sns = createSnsClient(config.aws);
const keys = new KmsKeyInspector(kmsIn);

const dependencies = (accountId: string): AuditDependencies => ({
  sources: { buckets: new S3BucketInspector(s3In, config.aws.region), keys, concurrency: config.concurrency },
  writers: { bucketEncryption: new S3BucketEncryptionWriter(s3In, accountId), keyRotation: keys },
  reports: config.reportsBucket
    ? {
        store: new S3ReportStore(s3In(config.aws.region), config.reportsBucket, accountId),
        bucket: config.reportsBucket,
        prefix: config.reportsPrefix,
        // One run at a time per execution environment: what a stopped run left in /tmp can go.
        openSpool: () => new LocalReportSpool({ removeLeftovers: true }),
      }
    : undefined,
  publisher: new SnsNotificationPublisher(sns, config.findingsTopicArn),
  measure: snsMessageBytes,
  budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
  recorder: powertoolsAuditRecorder(logger, metrics),
  context: { accountId, homeRegion: config.aws.region, policy: config.policy, settings: config.audit, enforcer: config.enforcer },
});

const audit = async (event: unknown, context: Context): Promise<AuditOutcome> => {
  const accountId = accountOfFunctionArn(context.invokedFunctionArn);
  if (!accountId) throw new Error(`cannot tell the account from the function ARN "${context.invokedFunctionArn}"`);
  return auditAccount(dependencies(accountId), scheduledTime(event, () => new Date()));
};

export const handler = middy(audit)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
