// The enforce function's line per object (powertoolsRecorder in
// functions/enforce-object-encryption/powertools-recorder.ts), read by its structured fields, which
// follow the product's ObjectOutcome type, rather than by its message text.

/** @import { ObjectOutcome } from '../shared/core/object-outcome.js' */

/**
 * @typedef {{ outcome: 'compliant' }
 *   | { outcome: 'remediated', strategy: Extract<ObjectOutcome, { kind: 'remediated' }>['strategy'] }
 *   | { outcome: 'skipped', reason: Extract<ObjectOutcome, { kind: 'skipped' }>['reason'], detail?: string, alert?: boolean }
 *   | { outcome: 'failed', error?: { code?: string, message?: string } }} OutcomeFields
 */

/**
 * @typedef {{ level: string, message: string, bucket: string, key: string, versionId?: string, eventName?: string, durationMs?: number } & OutcomeFields} ObjectLogLine
 */

/** Every kind of ObjectOutcome, and only those: the type checker holds this to the product's union. @type {{ readonly [Kind in ObjectOutcome['kind']]: true }} */
const OUTCOME_KINDS = { compliant: true, remediated: true, skipped: true, failed: true };

/**
 * Whether a parsed log line is the enforce function's account of one object.
 * @param {Record<string, unknown>} log
 * @returns {log is ObjectLogLine}
 */
export const isObjectLine = (log) =>
  typeof log['bucket'] === 'string' && typeof log['key'] === 'string' && typeof log['outcome'] === 'string' && Object.hasOwn(OUTCOME_KINDS, log['outcome']);

/**
 * Whether a parsed log line is a notice the function acknowledged without work (S3's test event, a
 * delete): a Notice (`record`, `reason`) of a delivery, at INFO. A rejected record has the same
 * fields at ERROR.
 * @param {Record<string, unknown>} log
 * @returns {log is { level: 'INFO', delivery: string } & import('../shared/core/normalise-event.js').Notice}
 */
export const isIgnoredNoticeLine = (log) =>
  log['level'] === 'INFO' && typeof log['delivery'] === 'string' && typeof log['record'] === 'string' && typeof log['reason'] === 'string' && !('outcome' in log);
