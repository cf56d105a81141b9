import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { isFailing, type AccountFinding } from '../../shared/audit/finding.js';
import { fixRecordOf, fixTarget, type FixResult } from '../../shared/audit/plan-fixes.js';
import type { AuditOutcome } from './audit-account.js';
import type { AuditRecorder } from './audit-recorder.js';

const target = (result: FixResult): string => fixTarget(result.plan);

/** Structured lines: never object contents or credentials; names, ARNs, states. */
export const powertoolsAuditRecorder = (logger: Logger, metrics: Metrics): AuditRecorder => ({
  factsGathered(counts) {
    logger.info('audit facts gathered', counts);
    metrics.addMetric('BucketsAudited', MetricUnit.Count, counts.buckets);
    metrics.addMetric('BucketsUnreachable', MetricUnit.Count, counts.unreachable);
  },
  fixAttempted(result) {
    const { before, ...record } = fixRecordOf(result);
    // A bucket policy names principals and accounts: the log says how long it was, not what it said.
    const policy = record.action === 'PutBucketPolicy';
    const fields = { resource: target(result), ...record, ...(policy ? { beforeCharacters: before.length } : { before }), findings: result.plan.findingIds };
    if (result.outcome === 'applied' || result.outcome === 'planned') logger.warn(`audit fix ${result.outcome}`, fields);
    else logger.error(`audit fix ${result.outcome}`, fields);
    const metric = { applied: 'FixesApplied', planned: 'FixesPlanned', failed: 'FixesFailed', refused: 'FixesRefused' } as const;
    metrics.addMetric(metric[result.outcome], MetricUnit.Count, 1);
  },
  previousDetailsUnavailable(reason) {
    logger.warn('the previous findings that changed or resolved could not be read back; the summary shows what the state holds', { reason });
  },
  previousReportUnavailable(reason) {
    logger.warn('no previous report to compare with; every failing finding is new', { reason });
  },
  reportNotWritten(what, error) {
    logger.error('audit report not written', { what, error: error as Error });
    metrics.addMetric('ReportWriteFailures', MetricUnit.Count, 1);
  },
  securityHubImported(outcome) {
    const { kind, region } = outcome;
    if (kind === 'not-enabled') {
      // One line per region, whatever the number of findings: the audit goes on without it.
      logger.warn('Security Hub CSPM is not enabled: findings not imported', { region, detail: outcome.message });
    } else if (kind === 'interrupted') {
      logger.error('Security Hub import stopped', { region, imported: outcome.imported, failed: outcome.failed, error: outcome.error });
    } else {
      (outcome.failed > 0 ? logger.error : logger.info).call(logger, 'Security Hub import', { region, imported: outcome.imported, failed: outcome.failed, failures: outcome.failures.slice(0, 5) });
    }
    metrics.addMetric('SecurityHubImported', MetricUnit.Count, kind === 'not-enabled' ? 0 : outcome.imported);
    metrics.addMetric('SecurityHubImportFailures', MetricUnit.Count, kind === 'not-enabled' ? 1 : outcome.failed + (kind === 'interrupted' ? 1 : 0));
  },
  findingRecorded(finding: AccountFinding) {
    if (!isFailing(finding.status)) return;
    logger.info('finding', {
      accountId: finding.accountId,
      id: finding.id,
      check: finding.check,
      severity: finding.severity,
      status: finding.status,
      resource: finding.resource,
      region: finding.region,
      observed: finding.observed,
    });
  },
  runCompleted(outcome: AuditOutcome) {
    logger.info('audit completed', { ...outcome });
    metrics.addMetric('FindingsFailing', MetricUnit.Count, outcome.findings.failed + outcome.findings.error);
    metrics.addMetric('FindingsNew', MetricUnit.Count, outcome.changes.new);
    metrics.addMetric('FindingsChanged', MetricUnit.Count, outcome.changes.changed);
    metrics.addMetric('FindingsResolved', MetricUnit.Count, outcome.changes.resolved);
  },
});
