import type { AuditRecorder } from './audit-recorder.js';
import { runAudit, type AuditOutcome, type AuditRunDependencies } from './audit-run.js';
import { scanAccount, type AccountScanDependencies } from './scan-account.js';

export type { AuditOutcome, ReportDestination, RunEnding } from './audit-run.js';
export { announceThrough, LEFT_TO_THE_MERGE } from './audit-run.js';

/**
 * One account's audit: the scan's clients (sources, writers) and context, and the run's report
 * destination and channel, each as its own piece declares them.
 */
export interface AuditDependencies
  extends Omit<AccountScanDependencies, 'recorder'>,
    Pick<AuditRunDependencies, 'reports' | 'securityHub' | 'ending'> {
  readonly recorder: AuditRecorder;
}

/** The nightly run of one account: its scan, inside the run that diffs, reports and notifies. */
export const auditAccount = (deps: AuditDependencies, startedAt: Date): Promise<AuditOutcome> =>
  runAudit(
    {
      accountId: deps.context.accountId,
      homeRegion: deps.context.homeRegion,
      requiredKeyReference: deps.context.policy.requiredKey,
      reports: deps.reports,
      securityHub: deps.securityHub,
      ending: deps.ending,
      recorder: deps.recorder,
    },
    (openSink) => scanAccount({ sources: deps.sources, writers: deps.writers, recorder: deps.recorder, context: deps.context }, openSink),
    startedAt,
  );

/** A scheduled EventBridge event carries the time it was due: retries of it file under the same run. */
export const scheduledTime = (event: unknown, now: () => Date): Date => {
  const time = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)['time'] : undefined;
  if (typeof time === 'string') {
    const parsed = new Date(time);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return now();
};

/** The account is the fourth field of the function's own ARN. */
export const accountOfFunctionArn = (arn: string | undefined): string | undefined => {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
};
