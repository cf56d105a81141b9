import { normaliseEvent, type Delivery, type Trigger } from '../../shared/core/normalise-event.js';
import { failureOf, needsRetry, type ObjectOutcome } from '../../shared/core/object-outcome.js';
import { compareSequencers, type ObjectReference } from '../../shared/core/object-reference.js';
import { mapBounded } from '../../shared/core/run-bounded.js';
import type { NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import { enforceObject, type ObjectEnforcement } from './enforce-object.js';
import type { EnforcementRecorder } from './enforcement-recorder.js';
import { alertNotifications, alertOf, type HandledObject } from './object-alerts.js';

export interface InvocationDependencies extends ObjectEnforcement {
  readonly alerts: NotificationPublisher;
  readonly recorder: EnforcementRecorder;
  /** Bounds the objects of one invocation that are in flight at once. */
  readonly concurrency: number;
  readonly functionName: string;
  readonly now: () => number;
}

export interface HandledDelivery extends HandledObject {
  readonly deliveryId: string;
}

export interface InvocationReport {
  readonly trigger: Trigger;
  readonly deliveries: readonly Delivery[];
  readonly batchJob?: { readonly invocationSchemaVersion: string; readonly invocationId: string } | undefined;
  /** Deliveries (SQS messageIds, or record paths) that are not done and must be retried. */
  readonly failedDeliveries: readonly string[];
  readonly handled: readonly HandledDelivery[];
  /** Why each failed delivery failed, for the error a direct invocation throws. */
  readonly failureReasons: readonly string[];
}

interface PendingObject {
  readonly deliveryId: string;
  /** The notice the object came from: spellings of one notice share it. */
  readonly notice: number;
  readonly ref: ObjectReference;
}

interface HandledSpelling extends HandledDelivery {
  readonly notice: number;
  readonly durationMs: number;
}

const objectIdentity = (ref: ObjectReference): string => `${ref.bucket}\u0000${ref.key}`;

/** One object per spelling the notice may mean: each that exists is enforced. */
const spellingsOf = (ref: ObjectReference): ObjectReference[] => (ref.keySpellings ?? [ref.key]).map((key) => ({ ...ref, key }));

const isGone = (outcome: ObjectOutcome): boolean => outcome.kind === 'skipped' && outcome.reason === 'gone';

/** A spelling that named nothing says nothing yet: it is settled with its siblings. */
const awaitsSiblings = ({ ref, outcome }: { ref: ObjectReference; outcome: ObjectOutcome }): boolean =>
  ref.keySpellings !== undefined && isGone(outcome);

/**
 * Notices for the same key are handled one after another, oldest first, so duplicates and the
 * copy's own event see the result of the earlier write instead of racing it.
 */
const groupByObject = (pending: readonly PendingObject[]): PendingObject[][] => {
  const groups = new Map<string, PendingObject[]>();
  for (const item of pending) {
    const id = objectIdentity(item.ref);
    groups.set(id, [...(groups.get(id) ?? []), item]);
  }
  return [...groups.values()].map((group) =>
    group.length < 2 ? group : [...group].sort((a, b) => compareSequencers(a.ref.sequencer ?? '', b.ref.sequencer ?? '')),
  );
};

/**
 * The spellings of a notice that named no object are dropped when another spelling found one; when
 * none did, the notice ends as one `gone` outcome that names every spelling tried.
 */
const settleSpellings = (deferred: readonly HandledSpelling[]): HandledSpelling[] => {
  const byNotice = new Map<number, HandledSpelling[]>();
  for (const item of deferred) byNotice.set(item.notice, [...(byNotice.get(item.notice) ?? []), item]);
  const settled: HandledSpelling[] = [];
  for (const items of byNotice.values()) {
    const first = items[0] as HandledSpelling;
    const spellings = first.ref.keySpellings ?? [first.ref.key];
    const tried = spellings.map((key) => JSON.stringify(key)).join(', ');
    const detail = first.outcome.kind === 'skipped' ? first.outcome.detail : 'the object was not found';
    settled.push({
      ...first,
      ref: { ...first.ref, key: spellings[0] },
      outcome: { kind: 'skipped', reason: 'gone', alert: false, detail: `${detail} (spellings tried: ${tried})` },
      durationMs: items.reduce((sum, item) => sum + item.durationMs, 0),
    });
  }
  return settled;
};

export const enforceInvocation = async (event: unknown, deps: InvocationDependencies): Promise<InvocationReport> => {
  const { trigger, deliveries, batchJob } = normaliseEvent(event);
  const failed = new Set<string>();
  const failureReasons: string[] = [];

  for (const delivery of deliveries) {
    for (const notice of delivery.ignored) deps.recorder.noticeIgnored(delivery.id, notice);
    for (const notice of delivery.rejections) {
      deps.recorder.recordRejected(delivery.id, notice);
      failed.add(delivery.id);
      failureReasons.push(`${notice.record}: ${notice.reason}`);
    }
  }

  const pending = deliveries
    .flatMap((delivery) => delivery.objects.map((ref) => ({ deliveryId: delivery.id, ref })))
    .flatMap(({ deliveryId, ref }, notice) => spellingsOf(ref).map((spelling) => ({ deliveryId, notice, ref: spelling })));
  const handledGroups = await mapBounded(groupByObject(pending), deps.concurrency, async (group) => {
    const results: HandledSpelling[] = [];
    for (const { deliveryId, notice, ref } of group) {
      const started = deps.now();
      let outcome: ObjectOutcome;
      try {
        outcome = await enforceObject(ref, deps);
      } catch (error) {
        outcome = { kind: 'failed', error: failureOf(error) };
      }
      const item = { deliveryId, notice, ref, outcome, durationMs: deps.now() - started };
      if (!awaitsSiblings(item)) deps.recorder.objectHandled(ref, outcome, item.durationMs);
      results.push(item);
    }
    return results;
  });
  const all = handledGroups.flat();
  const found = all.filter((item) => !awaitsSiblings(item));
  const noticesWithAFind = new Set(found.map((item) => item.notice));
  const nothingFound = settleSpellings(all.filter((item) => awaitsSiblings(item) && !noticesWithAFind.has(item.notice)));
  for (const item of nothingFound) deps.recorder.objectHandled(item.ref, item.outcome, item.durationMs);
  const handled: HandledDelivery[] = [...found, ...nothingFound]
    .sort((a, b) => a.notice - b.notice)
    .map(({ deliveryId, ref, outcome }) => ({ deliveryId, ref, outcome }));

  for (const { deliveryId, ref, outcome } of handled) {
    if (needsRetry(outcome) && outcome.kind === 'failed') {
      failed.add(deliveryId);
      failureReasons.push(`s3://${ref.bucket}/${ref.key}: ${outcome.error.code}: ${outcome.error.message}`);
    }
  }

  // A Batch Operations job reports every task in its completion report: that is where its alerts go.
  const alerted = trigger === 'batch-operations' ? [] : handled.flatMap((item) => {
    const alert = alertOf(item);
    return alert ? [{ deliveryId: item.deliveryId, alert }] : [];
  });
  if (alerted.length > 0) {
    try {
      for (const notification of alertNotifications(alerted.map(({ alert }) => alert), deps.functionName)) {
        await deps.alerts.publish(notification);
      }
    } catch (error) {
      // An alert that was not sent is not done: its deliveries are retried, and sent again.
      deps.recorder.alertsNotPublished(error, alerted.length);
      for (const { deliveryId } of alerted) failed.add(deliveryId);
      failureReasons.push(`alerts not published: ${failureOf(error).message}`);
    }
  }

  return { trigger, deliveries, batchJob, failedDeliveries: [...failed], handled, failureReasons };
};
