import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { loadEnforcerConfig } from '../../shared/config/enforcer-config.js';
import { createKmsClient, createS3Client, createSnsClient } from '../../shared/aws/aws-clients.js';
import { KmsKeyDescriber } from '../../shared/adapters/kms-key-describer.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { SnsNotificationPublisher } from '../../shared/adapters/sns-notification-publisher.js';
import { requirementFor } from '../../shared/core/object-requirement.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { resolvePolicyKeys } from '../../shared/resolve-policy-keys.js';
import { batchOperationsResponse, type BatchOperationsResponse } from './batch-operations-results.js';
import { enforceInvocation, type InvocationDependencies } from './enforce-invocation.js';
import { powertoolsRecorder } from './powertools-recorder.js';
import { UpdateCapability } from './update-capability.js';

// Composition root. Configuration is validated here, at cold start: a bad setting throws before
// any event is read, so nothing is processed under a configuration nobody meant.
const config = loadEnforcerConfig();
const { logger, metrics } = createTelemetry('enforce-object-encryption');
const s3 = createS3Client(config.aws);
const kms = createKmsClient(config.aws);
const sns = createSnsClient(config.aws, config.findingsTopicArn);

type PreparedDependencies = Omit<InvocationDependencies, 'remainingTimeMs'>;
let dependencies: Promise<PreparedDependencies> | undefined;

const prepare = async (functionName: string): Promise<PreparedDependencies> => {
  const keys = await resolvePolicyKeys(config.policy, new KmsKeyDescriber(() => kms), config.aws.region);
  for (const [reference, description] of keys.descriptions) {
    if (description.state !== 'Enabled') {
      logger.warn('a required KMS key is not usable; remediations under it will fail and alert', { reference, arn: description.arn, state: description.state });
    }
  }
  const update = new UpdateCapability(config.updateObjectEncryptionAvailable, `the S3 endpoint ${config.aws.s3Endpoint ?? ''} is not Amazon S3`);
  logger.info('enforcer ready', {
    mode: config.mode,
    strategy: config.policy.strategy,
    requiredKeyArn: keys.arnOf(config.policy.requiredKey),
    updateObjectEncryption: update.available ? 'available' : `not used: ${update.reason}`,
  });
  const recorder = powertoolsRecorder(logger, metrics);
  return {
    store: new S3ObjectStore(s3),
    requirementOf: (bucket, key) => requirementFor(config.policy, keys.arnOf, bucket, key),
    mode: config.mode,
    copyLimitBytes: config.copyLimitBytes,
    strategy: config.policy.strategy,
    priorVersions: config.policy.priorVersions,
    update,
    multipart: { partBytes: config.multipartPartBytes, concurrency: config.multipartConcurrency },
    clock: () => new Date(),
    onUpdateRefused: (ref, code, endpointWide) => recorder.updateRefused(ref, code, endpointWide),
    alerts: new SnsNotificationPublisher(sns, config.findingsTopicArn),
    recorder,
    concurrency: config.objectConcurrency,
    functionName,
    now: () => Date.now(),
  };
};

/** Key resolution is remembered for the life of the execution environment, but not a failed one. */
const ready = (functionName: string): Promise<PreparedDependencies> => {
  dependencies ??= prepare(functionName).catch((error: unknown) => {
    dependencies = undefined;
    throw error;
  });
  return dependencies;
};

export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

const enforce = async (event: unknown, context: Context): Promise<SqsBatchResponse | BatchOperationsResponse | { processed: number }> => {
  const prepared = await ready(context.functionName);
  const report = await enforceInvocation(event, { ...prepared, remainingTimeMs: () => context.getRemainingTimeInMillis() });
  if (report.trigger === 'batch-operations' && report.batchJob) {
    return batchOperationsResponse(report.batchJob, report.deliveries, report.handled);
  }
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
