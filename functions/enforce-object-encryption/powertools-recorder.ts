import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { describeEncryption } from '../../shared/core/encryption-state.js';
import type { Notice } from '../../shared/core/normalise-event.js';
import type { ObjectOutcome } from '../../shared/core/object-outcome.js';
import type { ObjectReference } from '../../shared/core/object-reference.js';
import type { EnforcementRecorder } from './enforcement-recorder.js';

const METRIC_BY_OUTCOME: Record<ObjectOutcome['kind'], string> = {
  compliant: 'ObjectsCompliant',
  remediated: 'ObjectsRemediated',
  skipped: 'ObjectsSkipped',
  failed: 'ObjectsFailed',
};

const outcomeFields = (outcome: ObjectOutcome): Record<string, unknown> => {
  switch (outcome.kind) {
    case 'compliant':
      return { before: describeEncryption(outcome.encryption), after: describeEncryption(outcome.encryption) };
    case 'remediated':
      return {
        strategy: outcome.strategy,
        before: describeEncryption(outcome.before),
        after: describeEncryption(outcome.after),
        newVersionId: outcome.newVersionId,
        fellBackFrom: outcome.fellBackFrom,
        aclCarried: outcome.aclCarried,
        priorVersion: outcome.priorVersion,
      };
    case 'skipped':
      return { reason: outcome.reason, detail: outcome.detail, before: outcome.before && describeEncryption(outcome.before), alert: outcome.alert };
    case 'failed':
      return { error: outcome.error, before: outcome.before && describeEncryption(outcome.before) };
  }
};

/** One structured line per object; never object bytes or credentials, only names and encryption. */
export const powertoolsRecorder = (logger: Logger, metrics: Metrics): EnforcementRecorder => {
  const refusalsLogged = new Set<string>();
  return {
    objectHandled(ref: ObjectReference, outcome: ObjectOutcome, durationMs: number) {
      const fields = {
        bucket: ref.bucket,
        key: ref.key,
        versionId: ref.versionId,
        eventName: ref.eventName,
        outcome: outcome.kind,
        durationMs,
        ...outcomeFields(outcome),
      };
      if (outcome.kind === 'failed') logger.error('object not enforced', fields);
      else if (outcome.kind === 'skipped' && outcome.alert) logger.warn('object not remediable', fields);
      else if (outcome.kind === 'skipped' && outcome.reason === 'gone') {
        // S3 is strongly consistent: an object its own ObjectCreated event names is rarely missing.
        // A real deletion ends here too, but so would a key read under the wrong spelling.
        logger.warn('object named by the event not found', {
          ...fields,
          keysTried: ref.keySpellings ?? [ref.key],
          eventSize: ref.size,
          eventETag: ref.eTag,
        });
        metrics.addMetric('ObjectsGone', MetricUnit.Count, 1);
      } else logger.info('object enforced', fields);
      metrics.addMetric(METRIC_BY_OUTCOME[outcome.kind], MetricUnit.Count, 1);
    },
    recordRejected(deliveryId: string, notice: Notice) {
      logger.error('record rejected', { delivery: deliveryId, record: notice.record, reason: notice.reason });
      metrics.addMetric('RecordsRejected', MetricUnit.Count, 1);
    },
    noticeIgnored(deliveryId: string, notice: Notice) {
      logger.info('notice acknowledged without work', { delivery: deliveryId, record: notice.record, reason: notice.reason });
    },
    alertsNotPublished(error: unknown, count: number) {
      logger.error('alerts not published; their records will be retried', { count, error: error as Error });
      metrics.addMetric('AlertPublishFailures', MetricUnit.Count, 1);
    },
    updateRefused(ref: ObjectReference, code: string, endpointWide: boolean) {
      // Logged once per answer per cold start; counted every time.
      if (!refusalsLogged.has(code)) {
        refusalsLogged.add(code);
        logger.warn('UpdateObjectEncryption refused; copying instead', {
          code,
          bucket: ref.bucket,
          key: ref.key,
          scope: endpointWide ? 'the endpoint does not implement it: copies from now on' : 'this object',
        });
      }
      metrics.addMetric('UpdateFallbacks', MetricUnit.Count, 1);
    },
  };
};
