import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { loadEnforcerConfig } from '../../shared/config/enforcer-config.js';
import { createKmsClient, createS3Client, createSnsClient } from '../../shared/aws/aws-clients.js';
import { KmsKeyDirectory } from '../../shared/adapters/kms-key-directory.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { SnsNotificationPublisher } from '../../shared/adapters/sns-notification-publisher.js';
import { requirementFor } from '../../shared/core/object-requirement.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { resolvePolicyKeys } from '../../shared/resolve-policy-keys.js';
import { enforceInvocation, type InvocationDependencies } from './enforce-invocation.js';
import { powertoolsRecorder } from './powertools-recorder.js';

// Composition root. Configuration is validated here, at cold start: a bad setting throws before
// any event is read, so nothing is processed under a configuration nobody meant.
const config = loadEnforcerConfig();
const { logger, metrics } = createTelemetry('enforce-object-encryption');
const s3 = createS3Client(config.aws);
const kms = createKmsClient(config.aws);
const sns = createSnsClient(config.aws);

let dependencies: Promise<InvocationDependencies> | undefined;

const prepare = async (functionName: string): Promise<InvocationDependencies> => {
  const keys = await resolvePolicyKeys(config.policy, new KmsKeyDirectory(kms));
  for (const [reference, description] of keys.descriptions) {
    if (description.state !== 'Enabled') {
      logger.warn('a required KMS key is not usable; remediations under it will fail and alert', { reference, arn: description.arn, state: description.state });
    }
  }
  logger.info('enforcer ready', { mode: config.mode, requiredKeyArn: keys.arnOf(config.policy.requiredKey) });
  return {
    store: new S3ObjectStore(s3),
    requirementOf: (bucket, key) => requirementFor(config.policy, keys.arnOf, bucket, key),
    mode: config.mode,
    copyLimitBytes: config.copyLimitBytes,
    alerts: new SnsNotificationPublisher(sns, config.findingsTopicArn),
    recorder: powertoolsRecorder(logger, metrics),
    concurrency: config.objectConcurrency,
    functionName,
    now: () => Date.now(),
  };
};

/** Key resolution is remembered for the life of the execution environment, but not a failed one. */
const ready = (functionName: string): Promise<InvocationDependencies> => {
  dependencies ??= prepare(functionName).catch((error: unknown) => {
    dependencies = undefined;
    throw error;
  });
  return dependencies;
};

export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

const enforce = async (event: unknown, context: Context): Promise<SqsBatchResponse | { processed: number }> => {
  const report = await enforceInvocation(event, await ready(context.functionName));
  if (report.trigger === 'sqs') {
    return { batchItemFailures: report.failedDeliveries.map((itemIdentifier) => ({ itemIdentifier })) };
  }
  if (report.failedDeliveries.length > 0) {
    // Direct (asynchronous) invocations: Lambda's retries and on-failure destination take over.
    throw new Error(`${report.failedDeliveries.length} record(s) not enforced: ${report.failureReasons.slice(0, 10).join('; ')}`);
  }
  return { processed: report.handled.length };
};

export const handler = middy(enforce)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
