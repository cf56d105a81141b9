import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.js';
import { S3ReportStore } from '../../shared/adapters/s3-report-store.js';
import { SNS_MESSAGE_BUDGET_BYTES, SnsNotificationPublisher, snsMessageBytes } from '../../shared/adapters/sns-notification-publisher.js';
import { createS3Client, createSnsClient } from '../../shared/aws/aws-clients.js';
import { loadOrganizationAuditConfig } from '../../shared/config/organization-config.js';
import { consoleHostOf } from '../../shared/audit/audit-report.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { parseOrganizationRun } from '../../shared/organization/organization-run.js';
import { accountOfFunctionArn } from '../audit-encryption/audit-account.js';
import { mergeOrganization, type MergeOutcome } from './merge-organization.js';
import { powertoolsMergeRecorder } from './powertools-merge-recorder.js';

// Composition root: the organization audit's last step.
const config = loadOrganizationAuditConfig(undefined, { publishes: true });
const { aws } = config.audit;
const { logger, metrics } = createTelemetry('merge-organization-audit');
const s3 = createS3Client(aws);
const publisher = new SnsNotificationPublisher(createSnsClient(aws, config.findingsTopicArn), config.findingsTopicArn as string);
const recorder = powertoolsMergeRecorder(logger, metrics);

const merge = async (event: unknown, context: Context): Promise<MergeOutcome> => {
  const callerAccountId = accountOfFunctionArn(context.invokedFunctionArn);
  if (!callerAccountId) throw new Error(`cannot tell the account from the function ARN "${context.invokedFunctionArn}"`);
  const fields = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const run = parseOrganizationRun(fields['run']);
  const mapRun = fields['mapRun'];
  const mapRunArn = typeof mapRun === 'object' && mapRun !== null ? (mapRun as Record<string, unknown>)['MapRunArn'] : undefined;
  return mergeOrganization(
    {
      store: new S3ReportStore(s3, config.reportsBucket, callerAccountId),
      reports: { bucket: config.reportsBucket, prefix: config.audit.reportsPrefix, kmsKeyArn: config.reportsKmsKeyArn, consoleHost: consoleHostOf(partitionOf(aws.region)) },
      callerAccountId,
      homeRegion: aws.region,
      publisher,
      measure: snsMessageBytes,
      budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
      recorder,
      openSpool: () => new LocalReportSpool({ removeLeftovers: true }),
      concurrency: config.audit.concurrency,
    },
    run,
    typeof mapRunArn === 'string' ? mapRunArn : undefined,
  );
};

export const handler = middy(merge)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
