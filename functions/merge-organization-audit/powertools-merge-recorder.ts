import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MergeRecorder } from './merge-organization.js';

/** Structured lines and metrics; an account not audited is a warning and a metric an alarm can watch. */
export const powertoolsMergeRecorder = (logger: Logger, metrics: Metrics): MergeRecorder => ({
  accountNotAudited(line) {
    logger.warn('account not audited', { accountId: line.accountId, reasonCode: line.reasonCode, reason: line.reason });
  },
  reportNotWritten(what, error) {
    logger.error('organization report not written', { what, error: error as Error });
  },
  stateNotSaved(accountId, error) {
    logger.error('account state not saved: its changes will page again', { accountId, error: error as Error });
  },
  mergeCompleted(outcome) {
    logger.info('organization audit merged', { ...outcome });
    metrics.addMetric('AccountsAudited', MetricUnit.Count, outcome.accounts.audited);
    metrics.addMetric('AccountsNotAudited', MetricUnit.Count, outcome.accounts.notAudited);
  },
});
