import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'S3EncryptionEnforcer';

/** One logger and one metrics instance per function, made in its handler. */
export const createTelemetry = (serviceName: string): { logger: Logger; metrics: Metrics } => ({
  logger: new Logger({ serviceName }),
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
});
