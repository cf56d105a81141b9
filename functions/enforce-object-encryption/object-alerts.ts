import { describeEncryption } from '../../shared/core/encryption-state.js';
import type { ObjectOutcome } from '../../shared/core/object-outcome.js';
import { describeObject, type ObjectReference } from '../../shared/core/object-reference.js';
import type { Notification } from '../../shared/ports/notification-publisher.js';

export interface HandledObject {
  readonly ref: ObjectReference;
  readonly outcome: ObjectOutcome;
}

export interface ObjectAlert {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly outcome: 'skipped' | 'failed' | 'remediated';
  readonly reason: string;
  readonly detail: string;
  readonly encryption?: string | undefined;
  readonly severity: 'high' | 'medium' | 'low';
  /** For a remediated object in a versioned bucket: the non-compliant version left behind. */
  readonly residualVersionId?: string | undefined;
}

export const alertOf = ({ ref, outcome }: HandledObject): ObjectAlert | undefined => {
  if (outcome.kind === 'skipped' && outcome.alert) {
    return {
      bucket: ref.bucket,
      key: ref.key,
      versionId: ref.versionId,
      outcome: 'skipped',
      reason: outcome.reason,
      detail: outcome.detail,
      encryption: outcome.before ? describeEncryption(outcome.before) : undefined,
      severity: outcome.reason === 'report-only' ? 'medium' : 'high',
    };
  }
  if (outcome.kind === 'failed' && !outcome.error.transient) {
    return {
      bucket: ref.bucket,
      key: ref.key,
      versionId: ref.versionId,
      outcome: 'failed',
      reason: outcome.error.code,
      detail: outcome.error.message,
      encryption: outcome.before ? describeEncryption(outcome.before) : undefined,
      severity: 'high',
    };
  }
  if (outcome.kind === 'remediated' && outcome.priorVersion && outcome.priorVersion.disposition !== 'deleted') {
    const { versionId, disposition, detail } = outcome.priorVersion;
    return {
      bucket: ref.bucket,
      key: ref.key,
      versionId: outcome.newVersionId,
      outcome: 'remediated',
      reason: disposition === 'delete-failed' ? 'residual-version-not-deleted' : 'residual-version',
      detail: `remediated as version ${outcome.newVersionId ?? '?'}; the non-compliant version ${versionId} remains${detail ? ` (${detail})` : ''}`,
      encryption: describeEncryption(outcome.before),
      severity: disposition === 'delete-failed' ? 'medium' : 'low',
      residualVersionId: versionId,
    };
  }
  return undefined;
};

const line = (alert: ObjectAlert): string =>
  `- [${alert.severity}] ${describeObject(alert)}: ${alert.outcome} (${alert.reason}) — ${alert.detail}${alert.encryption ? `; encryption: ${alert.encryption}` : ''}`;

/** Keeps every message well under SNS's 256 KiB, whatever the keys look like. */
const ALERTS_PER_MESSAGE = 50;

/** One notification per 50 alerts: an invocation's alerts are published together, not one by one. */
export const alertNotifications = (alerts: readonly ObjectAlert[], functionName: string): Notification[] => {
  const notifications: Notification[] = [];
  for (let start = 0; start < alerts.length; start += ALERTS_PER_MESSAGE) {
    const part = alerts.slice(start, start + ALERTS_PER_MESSAGE);
    const parts = Math.ceil(alerts.length / ALERTS_PER_MESSAGE);
    const index = start / ALERTS_PER_MESSAGE + 1;
    const highest = (['high', 'medium', 'low'] as const).find((severity) => part.some((alert) => alert.severity === severity)) ?? 'low';
    const buckets = [...new Set(part.map((alert) => alert.bucket))];
    notifications.push({
      subject: `S3 encryption: ${part.length} object(s) need attention in ${buckets.length === 1 ? buckets[0] : `${buckets.length} buckets`}${parts > 1 ? ` (${index}/${parts})` : ''}`,
      text: [
        `${part.length} object(s) need attention (reported by ${functionName}):`,
        '',
        ...part.map(line),
      ].join('\n'),
      document: { kind: 'object-alerts', source: functionName, part: index, parts, alerts: part },
      attributes: {
        kind: 'object-alerts',
        severity: highest,
        reasons: [...new Set(part.map((alert) => alert.reason))].join(','),
      },
    });
  }
  return notifications;
};
