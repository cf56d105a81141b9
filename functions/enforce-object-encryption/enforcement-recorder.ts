import type { Notice } from '../../shared/core/normalise-event.js';
import type { ObjectOutcome } from '../../shared/core/object-outcome.js';
import type { ObjectReference } from '../../shared/core/object-reference.js';

/** Where each handled object, rejected record and ignored notice is written down: logs and metrics. */
export interface EnforcementRecorder {
  objectHandled(ref: ObjectReference, outcome: ObjectOutcome, durationMs: number): void;
  recordRejected(deliveryId: string, notice: Notice): void;
  noticeIgnored(deliveryId: string, notice: Notice): void;
  alertsNotPublished(error: unknown, count: number): void;
  /** UpdateObjectEncryption was refused by code and a copy was made instead. */
  updateRefused(ref: ObjectReference, code: string, endpointWide: boolean): void;
}
