import type { AuditContext } from '../../shared/audit/audit-context.js';
import type { Notification, NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { FixWriters } from './apply-fixes.js';
import type { AuditRecorder } from './audit-recorder.js';
import { runAudit, type AuditOutcome, type ReportDestination } from './audit-run.js';
import type { FactSources } from './gather-facts.js';
import { scanAccount } from './scan-account.js';

export type { AuditOutcome, ReportDestination } from './audit-run.js';

/** One account's audit: its clients (sources, writers), where its reports go, who hears of it. */
export interface AuditDependencies {
  readonly sources: FactSources;
  readonly writers: FixWriters;
  readonly reports?: ReportDestination | undefined;
  readonly publisher: NotificationPublisher;
  /** The size a notification has on the channel, and the channel's limit. */
  readonly measure: (notification: Notification) => number;
  readonly budgetBytes: number;
  readonly recorder: AuditRecorder;
  /** `context.accountId` is the account audited. */
  readonly context: AuditContext;
}

/** The nightly run of one account: its scan, inside the run that diffs, reports and notifies. */
export const auditAccount = (deps: AuditDependencies, startedAt: Date): Promise<AuditOutcome> =>
  runAudit(
    {
      accountId: deps.context.accountId,
      homeRegion: deps.context.homeRegion,
      requiredKeyReference: deps.context.policy.requiredKey,
      reports: deps.reports,
      publisher: deps.publisher,
      measure: deps.measure,
      budgetBytes: deps.budgetBytes,
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
